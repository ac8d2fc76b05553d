"""dondoc user add: Alliance staff accounts for the web pages (focal points sign in by email link)."""
import sys

import typer

from dondoc.cli import app, handles_errors
from models.accounts import add_staff_user
from models.db import transaction

user_app = typer.Typer(help="Alliance staff accounts for the web dashboard.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
@handles_errors
def add(ctx: typer.Context, email: str, name: str = typer.Option(..., "--name", help="The person's full name."),
        password_stdin: bool = typer.Option(False, "--password-stdin",
                                            help="Read the password from the first line of standard input."),
        update: bool = typer.Option(False, "--update", help="Change the name and password of an existing account.")) -> None:
    """Add an Alliance staff account (password asked twice, hidden, unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True)
    context = ctx.obj
    with transaction(context.engine) as session:
        user = add_staff_user(session, email=email, name=name, password=password, now=context.clock().now(),
                              actor=context.actor, update_existing=update)
    typer.echo(f"{'Đã cập nhật' if update else 'Đã tạo'} tài khoản cán bộ Liên minh HTX: {user.name} <{user.email}>")
