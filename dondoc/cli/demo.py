"""dondoc demo: the main job on the embedded default, narrated. `make run` calls it.

It ends with the dashboard running (on DONDOC_WEB_HOST:DONDOC_WEB_PORT, the plan seen on 15/01/2016)
when run in a terminal; under tests and CI (stdout not a terminal) it stops after the commands.
"""
import secrets
import shutil
import sys
from datetime import date

import typer

from config import CONFIG_DIR
from config.settings import Settings
from dondoc.cli import app
from dondoc.context import AppContext

DEMO_STEPS = [
    ("Nạp kế hoạch Bắc Kạn 2015-2020 và danh bạ cơ quan / Load the plan and the agency directory",
     ["plan", "load", str(CONFIG_DIR / "plans" / "bac-kan-2015-2020.yaml")]),
    ("Nhiệm vụ của Sở Kế hoạch và Đầu tư / The Department of Planning and Investment's tasks",
     ["tasks", "--agency", "SKHDT", "--today", "2015-03-01"]),
    ("Sở Tài chính báo cáo hoàn thành 3.1.2-c / Finance reports 3.1.2-c done",
     ["task", "done", "3.1.2-c", "--on", "2015-12-20", "--note", "Đã trình UBND tỉnh phương án vốn Quỹ hỗ trợ phát triển HTX",
      "--today", "2015-12-21"]),
    ("Huyện Ba Bể kiện toàn Ban Chỉ đạo muộn / Ba Bể completes 3.3-a late",
     ["task", "done", "3.3-a/BA-BE", "--on", "2015-08-10", "--today", "2015-08-10"]),
    ("Mô phỏng 10 tháng: nhắc việc hằng ngày vào hộp thư đi var/demo/outbox / Simulate Jan-Oct 2015: daily reminders",
     ["simulate", "--from", "2015-01-01", "--to", "2015-10-31"]),
    ("Mở kỳ sơ kết năm 2015: gửi đường dẫn báo cáo cho các đơn vị / Open the 2015 review, links emailed",
     ["review", "open", "2015", "--today", "2015-11-02"]),
    ("Sở Tài chính nộp báo cáo sơ kết (tệp YAML) / Finance submits its review from a file",
     ["review", "submit", "2015", "--agency", "STC", "--file", str(CONFIG_DIR / "examples" / "review-stc-2015.yaml"),
      "--today", "2015-11-20"]),
    ("Ai đã nộp, ai chưa nộp ngày 01/12/2015 / Who has reported on 01/12/2015",
     ["review", "status", "2015", "--today", "2015-12-01"]),
    ("Tổng hợp báo cáo sơ kết năm 2015 / Compile the 2015 review report",
     ["review", "report", "2015", "--out", "{data_dir}/bao-cao-so-ket-2015.docx", "--out",
      "{data_dir}/bao-cao-so-ket-2015.xlsx", "--today", "2015-12-15"]),
    ("Nhắc việc ngày 15/01/2016 (bù những ngày chưa chạy, mỗi người một thư) / The reminders of 15/01/2016",
     ["remind", "--today", "2016-01-15"]),
    ("Chạy lại một ngày trước đó bị từ chối, không thư nào gửi hai lần / An earlier day after a later one is refused",
     ["remind", "--today", "2016-01-11"]),
    ("Việc quá hạn của huyện Pác Nặm ngày 15/01/2016 / What Pác Nặm has overdue on 15/01/2016",
     ["overdue", "--today", "2016-01-15", "--agency", "PAC-NAM"]),
    ("Hộp thư đi: thư gửi thất bại / The outbox: failed deliveries", ["outbox", "--status", "failed"]),
    ("Lịch chạy tự động khi chạy `dondoc serve` / What `dondoc serve` runs, and when",
     ["schedule", "list", "--today", "2016-01-15"]),
]


DEMO_TODAY = date(2016, 1, 15)
DEMO_STAFF = ("alice@lmhtx.example.org", "Alice (Liên minh HTX tỉnh)")


def _demo_staff(settings: Settings) -> str:
    """Alliance staff account alice in the demo database, with a new random password (printed)."""
    from models.accounts import add_staff_user
    from models.db import transaction
    password = secrets.token_urlsafe(12)
    context = AppContext(settings)
    try:
        with transaction(context.engine) as session:
            add_staff_user(session, email=DEMO_STAFF[0], name=DEMO_STAFF[1], password=password,
                           now=context.clock().now(), actor="demo", update_existing=True)
    finally:
        context.close()
    return password


@app.command("demo")
def demo(ctx: typer.Context, keep: bool = typer.Option(False, help="Keep the previous demo database."),
         serve: bool = typer.Option(None, "--serve/--no-serve",
                                    help="End by serving the dashboard. Default: only when stdout is a terminal.")) -> None:
    """Run the main job on a fresh local database in ./var/demo, printing each command it runs."""
    base: Settings = ctx.obj.settings
    data_dir = base.data_dir / "demo"
    if not keep and data_dir.exists():
        shutil.rmtree(data_dir)
    settings = base.model_copy(update={"data_dir": data_dir, "database_url": ""})
    typer.echo(f"dondoc demo — database {settings.resolved_database_url}\n")
    for title, args in DEMO_STEPS:
        args = [a.replace("{data_dir}", str(data_dir)) for a in args]
        typer.secho(f"== {title}", bold=True)
        typer.echo(f"$ dondoc {' '.join(args)}")
        context = AppContext(settings)
        try:
            app(args, obj=context, standalone_mode=False)
        finally:
            context.close()
        typer.echo("")
    typer.echo(f"Database: {settings.resolved_database_url}. Try: DONDOC_DATA_DIR={data_dir} .venv/bin/dondoc task show 3.3-a/BA-BE")
    password = _demo_staff(settings)
    typer.echo(f"\nTài khoản cán bộ Liên minh HTX / Alliance staff account: {DEMO_STAFF[0]}  mật khẩu / password: {password}")
    typer.echo(f"Đầu mối các cơ quan đăng nhập bằng liên kết qua email (e.g. lan.nt@skhdt.example.org); without SMTP "
               f"the mail is a file in {settings.outbox_dir}/")
    if serve is None:
        serve = sys.stdout.isatty()
    if not serve:
        typer.echo("Dashboard: .venv/bin/dondoc demo --serve (or DONDOC_DATA_DIR=var/demo DONDOC_TODAY=2016-01-15 .venv/bin/dondoc web)")
        return
    import uvicorn

    from dondoc.web import create_app
    from dondoc.web.hardening import server_config
    web_settings = settings.model_copy(update={"today": settings.today or DEMO_TODAY})
    context = AppContext(web_settings)
    host, port = web_settings.web_host, web_settings.web_port
    typer.secho(f"\n== Bảng điều khiển / Dashboard: http://{host}:{port}/  (ngày {web_settings.today:%d/%m/%Y}; Ctrl+C to stop)",
                bold=True)
    try:
        uvicorn.Server(server_config(create_app(context), host=host, port=port, log_level="warning")).run()
    finally:
        context.close()
