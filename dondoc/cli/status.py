"""dondoc status: one screen on an installation's health."""
import typer

from dondoc.cli import app, handles_errors


@app.command("status")
@handles_errors
def status(ctx: typer.Context) -> None:
    """One screen on this installation's health: the database, its plans, the last job runs, the outbox
    waiting and failed, the scheduler's lease."""
    typer.echo("TODO")
