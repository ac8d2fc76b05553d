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
from dondoc.cli import app, handles_errors
from dondoc.app.context import AppContext

DEMO_STEPS = [
    ("Nạp kế hoạch Bắc Kạn 2015-2020 và danh bạ cơ quan / Load the plan and the agency directory",
     ["plan", "load", str(CONFIG_DIR / "plans" / "bac-kan-2015-2020.yaml")]),
    ("Đọc một kế hoạch như tỉnh ban hành (.docx, bảng phụ lục nhiệm vụ); chưa nạp / Read a plan as published (.docx "
     "with an annex table of duties): each duty beside its source, nothing loaded without --yes",
     ["plan", "import", str(CONFIG_DIR / "examples" / "ke-hoach-htx-2024-2026.docx"), "--map",
      "Sở Thông tin - Truyền thông=STTTT"]),
    ("Nhiệm vụ của Sở Kế hoạch và Đầu tư / The Department of Planning and Investment's tasks",
     ["tasks", "--agency", "SKHDT", "--today", "2015-03-01"]),
    ("Mô phỏng 10 tháng: nhắc việc hằng ngày vào hộp thư đi <thư mục dữ liệu>/outbox; các đơn vị (mô phỏng) đề nghị gia hạn, "
     "Liên minh quyết định, trả lại báo cáo / Simulate Jan-Oct 2015: daily reminders; simulated agencies ask for "
     "extensions, staff decide and return reports",
     ["simulate", "--from", "2015-01-01", "--to", "2015-10-31", "--demo-agencies"]),
    ("Đề nghị gia hạn và báo cáo bị trả lại trong thời gian mô phỏng / The extensions and returns of the simulation",
     ["task", "requests", "--format", "csv"]),
    ("Liên minh yêu cầu huyện Na Rì giải trình 3.3-d-2/NA-RI (gia hạn không được đồng ý, vẫn chậm) / Staff ask "
     "Na Rì to explain a late duty whose extension was refused",
     ["task", "explain", "3.3-d-2/NA-RI", "--due", "2015-06-30", "--answer-by", "2015-10-31", "--reason",
      "Đề nghị giải trình lý do chưa báo cáo kết quả quý II/2015", "--today", "2015-10-31"]),
    ("Huyện Na Rì giải trình (đầu mối tien.hv@nari.example.org) / Na Rì's focal point answers",
     ["task", "answer", "3.3-d-2/NA-RI", "--text", "Chưa tổng hợp xong số liệu của các xã; sẽ báo cáo trước 15/11/2015",
      "--by", "tien.hv@nari.example.org", "--today", "2015-10-31"]),
    ("Huyện Ba Bể báo cáo đã kiện toàn Ban Chỉ đạo ngày 10/08/2015, quá hạn 30/06/2015 / Ba Bể reports 3.3-a done late",
     ["task", "done", "3.3-a/BA-BE", "--on", "2015-08-10", "--today", "2015-10-31"]),
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
    ("Sở Tài chính báo cáo hoàn thành 3.1.2-c ngày 20/12/2015, trong hạn / Finance reports 3.1.2-c done on time",
     ["task", "done", "3.1.2-c", "--on", "2015-12-20", "--note", "Đã trình UBND tỉnh phương án vốn Quỹ hỗ trợ phát triển HTX",
      "--today", "2015-12-21"]),
    ("Nhắc việc ngày 15/01/2016 (bù những ngày chưa chạy, mỗi người một thư) / The reminders of 15/01/2016",
     ["remind", "--today", "2016-01-15"]),
    ("Thư nhắc việc của chị Lan (Sở KH&ĐT): người gửi, lời chào, liên kết báo cáo một lần / Lan's digest: who "
     "writes, the salutation, the one-click links", "show-digest"),
    ("Chạy lại một ngày trước đó bị từ chối, không thư nào gửi hai lần / An earlier day after a later one is refused",
     ["remind", "--today", "2016-01-11"]),
    ("Thư trả lời và thư báo lỗi đặt vào hộp thư <thư mục dữ liệu>/inbox / Replies and a bounce put in the local reply mailbox",
     None),
    ("Đọc hộp thư trả lời: ghi nhận cập nhật, gửi thư xác nhận, đánh dấu địa chỉ hỏng / Read the reply mailbox",
     ["inbox", "--today", "2016-01-15"]),
    ("Địa chỉ email không nhận được thư / Addresses that bounce", ["bounced"]),
    ("Thay đầu mối Sở GTVT có địa chỉ hỏng, hiệu lực từ 18/01/2016 / Replace Transport's focal point whose address bounces",
     ["people", "replace", "minh.lv@sgtvt.example.org", "--name", "Nông Thị Bích", "--email", "bich.nt@sgtvt.example.org",
      "--address-as", "bà", "--from", "2016-01-18", "--reason", "Địa chỉ cũ bị máy chủ trả lại; anh Minh chuyển công tác",
      "--today", "2016-01-15"]),
    ("Chị Lan (Sở KH&ĐT) vắng 18-22/01/2016: cấp phó nhận thay / Lan is away, her deputy covers",
     ["people", "away", "lan.nt@skhdt.example.org", "--from", "2016-01-18", "--to", "2016-01-22",
      "--reason", "Đi tập huấn tại Hà Nội", "--today", "2016-01-15"]),
    ("Ai nhận gì ngày 18/01/2016 ở Sở GTVT / Who receives what at Transport on 18/01/2016",
     ["agencies", "show", "SGTVT", "--today", "2016-01-18"]),
    ("Xuất danh bạ hôm nay ra YAML / Export today's directory",
     ["agencies", "export", "--out", "{data_dir}/agencies-export.yaml", "--today", "2016-01-15"]),
    ("Danh bạ của tỉnh Bắc Kạn: mỗi tỉnh một danh bạ, kế hoạch của tỉnh nào chỉ khớp cơ quan của tỉnh đó / "
     "Bắc Kạn's directory (a plan matches only its own province's agencies)",
     ["agencies", "list", "--province", "Bắc Kạn"]),
    ("Sở KH&ĐT gửi kèm sản phẩm của 3.1.1-a (tệp PDF, kiểm tra theo nội dung) / Planning files its evidence (a PDF)",
     ["task", "attach", "3.1.1-a", str(CONFIG_DIR / "examples" / "ke-hoach-kttt-2016.pdf"), "--due", "2015-12-31",
      "--note", "Kế hoạch phát triển KTTT năm 2016 đã ban hành", "--today", "2016-01-15"]),
    ("Tệp sản phẩm của 3.1.1-a / The evidence filed with 3.1.1-a", ["task", "files", "3.1.1-a"]),
    ("Liên minh HTX (phối hợp) góp ý cho 3.1.1-a; Sở KH&ĐT thấy trên trang nhiệm vụ / The coordinating Alliance's note",
     ["task", "contribute", "3.1.1-a", "--agency", "LMHTX", "--note", "Đã góp ý dự thảo, đề nghị bổ sung chỉ tiêu HTX mới",
      "--today", "2016-01-15"]),
    ("Điều chuyển 3.1.1-b sang Sở Tài chính từ 15/01/2016; thư báo cho hai cơ quan / Reassign 3.1.1-b to Finance",
     ["task", "reassign", "3.1.1-b", "--to", "STC", "--reason", "Quyết định số 25/QĐ-UBND giao Sở Tài chính chủ trì",
      "--today", "2016-01-15"]),
    ("Việc quá hạn của Sở Tài chính: 3.1.1-b đã theo cơ quan chủ trì mới / Finance's overdue list now has 3.1.1-b",
     ["overdue", "--today", "2016-01-15", "--agency", "STC"]),
    ("Việc quá hạn của huyện Pác Nặm ngày 15/01/2016, theo kế hoạch / What Pác Nặm has overdue on 15/01/2016, one plan",
     ["overdue", "--today", "2016-01-15", "--agency", "PAC-NAM", "--plan", "BK-KTTT-2015-2020"]),
    ("Hộp thư đi: thư gửi thất bại / The outbox: failed deliveries", ["outbox", "--status", "failed"]),
    ("Các đơn vị báo cáo đến 15/01/2016: đa số đúng hạn, một số trễ, vài đơn vị chưa báo cáo (dữ liệu minh họa cho "
     "bảng điều khiển) / Agencies report up to 15/01/2016: most on time, some late, a few never (demo data)",
     "reporting"),
    ("Lịch chạy tự động khi chạy `dondoc serve` / What `dondoc serve` runs, and when",
     ["schedule", "list", "--today", "2016-01-15"]),
]


DEMO_TODAY = date(2016, 1, 15)
DEMO_REPLIES = [  # (whose digest of 15/01/2016, what they answer)
    ("lan.nt@skhdt.example.org", "3.1.1-a: Đã hoàn thành ngày 14/01/2016\n"
                                 "3.1.1-b: Tiến độ 70%, đang chờ ý kiến UBND tỉnh\n\nTrân trọng,\nNguyễn Thị Lan"),
    ("mai.lt@stc.example.org", None),  # an out-of-office answer: ignored
    ("minh.lv@sgtvt.example.org", "bounce"),  # his mail server refuses the address
]


def _place_demo_replies(settings: Settings) -> list[str]:
    """Put what people and servers send back into the demo's reply mailbox (a maildir): a reply quoting
    the digest, an out-of-office answer, and a delivery status report (RFC 3464)."""
    import mailbox
    from email import message_from_bytes, policy
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    from sqlmodel import Session, select

    from models.clock import FixedClock
    from models.outbox import Message, MessageContent
    from notifications.outbox import bodies_of

    context = AppContext(settings)
    box = mailbox.Maildir(settings.inbox_maildir, create=True)
    placed = []
    at = format_datetime(FixedClock.on(DEMO_TODAY).now().replace(hour=10))
    try:
        with Session(context.engine) as session:
            for email, answer in DEMO_REPLIES:
                found = session.exec(select(Message, MessageContent).join(MessageContent).where(
                    Message.recipient_email == email, Message.kind == "daily", Message.send_date == DEMO_TODAY)).first()
                if found is None:
                    continue
                sent = message_from_bytes(found[1].raw, policy=policy.default)
                message = EmailMessage()
                if answer == "bounce":
                    placed.append(f"{email}: máy chủ báo lỗi 550 5.1.1 / a delivery status report (user unknown)")
                    box.add(_demo_delivery_report(sent, email, settings.resolved_mail_from))
                    continue
                message["From"], message["To"] = str(sent["To"]), str(sent["Reply-To"])
                message["Subject"] = "Trả lời tự động: Vắng mặt" if answer is None else f"Re: {sent['Subject']}"
                message["Date"] = at
                message["Message-ID"], message["In-Reply-To"] = make_msgid(domain="demo.example.org"), str(sent["Message-ID"])
                if answer is None:
                    message["Auto-Submitted"] = "auto-replied"
                    message.set_content("Tôi đi công tác đến hết ngày 20/01/2016.")
                    placed.append(f"{email}: thư trả lời tự động / an out-of-office answer")
                else:
                    quoted = "\n".join(f"> {line}" for line in bodies_of(found[1].raw)[0].splitlines())
                    message.set_content(f"{answer}\n\nVào 08:00 ngày 15/01/2016, Dondoc đã viết:\n{quoted}\n")
                    placed.append(f"{email} trả lời / replies: " + answer.split("\n\n")[0].replace("\n", " | "))
                box.add(bytes(message))
    finally:
        context.close()
    return placed


def _demo_delivery_report(sent, recipient: str, mail_from: str) -> bytes:
    """What a mail server sends back for an address that does not exist. Our return path is not used
    by the .eml outbox, so the report is matched by the returned Message-ID."""
    from email.utils import parseaddr
    boundary = "demo-dsn"
    return (f"From: MAILER-DAEMON@mx.sgtvt.example.org\r\nTo: {parseaddr(mail_from)[1]}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{recipient}@mx.sgtvt.example.org>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
            f"boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
            f"Your message could not be delivered.\r\n\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; mx.sgtvt.example.org\r\n\r\nFinal-Recipient: rfc822; {recipient}\r\n"
            f"Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {sent['Message-ID']}\r\n"
            f"To: {recipient}\r\n\r\n--{boundary}--\r\n").encode()


def _demo_digest(settings: Settings) -> list[str]:
    """The head and the first lines of Lan's digest of 15/01/2016, as the outbox wrote it (.eml)."""
    from email import message_from_bytes, policy
    [path] = sorted((settings.outbox_dir / DEMO_TODAY.isoformat()).glob("*-daily-lan.nt@skhdt.example.org.eml"))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content().splitlines()
    signature = text.index("Trân trọng./.") if "Trân trọng./." in text else len(text)
    return ([f"{path}", f"From: {message['From']}", f"Subject: {message['Subject']}", ""] + text[:12] + ["  ..."]
            + text[signature:signature + 4]
            + ["", "(dondoc demo --serve, rồi mở liên kết 'Báo cáo kết quả' / then open a 'Báo cáo kết quả' link)"])


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


DEMO_MARK = ".dondoc-demo"  # in a data folder the demo filled: it may empty it again


def _demo_folder(data_dir) -> None:
    """Empty the data folder for a fresh demo, unless it holds data the demo did not make (refused)."""
    from config.errors import InputError
    if not data_dir.exists():
        return
    if (data_dir / "dondoc.db").exists() and not (data_dir / DEMO_MARK).exists():
        raise InputError(f"{data_dir} holds a database the demo did not make; the demo starts afresh and would "
                         "delete it: set DONDOC_DATA_DIR to another folder (or pass --keep)", field="DONDOC_DATA_DIR",
                         vi=f"{data_dir} chứa một cơ sở dữ liệu không do bản demo tạo; bản demo bắt đầu lại từ đầu và "
                            "sẽ xóa nó: hãy đặt DONDOC_DATA_DIR sang thư mục khác (hoặc dùng --keep)")
    shutil.rmtree(data_dir)


@app.command("demo")
@handles_errors
def demo(ctx: typer.Context, keep: bool = typer.Option(False, help="Keep the previous demo database."),
         serve: bool = typer.Option(None, "--serve/--no-serve",
                                    help="End by serving the dashboard. Default: only when stdout is a terminal.")) -> None:
    """Run the main job on a fresh demo database in the data folder, printing each command it runs.

    The data folder is DONDOC_DATA_DIR, else ~/.local/share/dondoc: the commands you type afterwards
    read the demo's data. A folder holding a database the demo did not make is refused."""
    base: Settings = ctx.obj.settings
    data_dir = base.data_dir
    if not keep:
        _demo_folder(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARK).write_text("made by dondoc demo: `dondoc demo` may empty this folder\n", encoding="utf-8")
    # The reply mailbox is a maildir here (no server): the emails say how to answer them by replying.
    settings = base.model_copy(update={"data_dir": data_dir, "database_url": "", "imap_host": "",
                                       "inbox_maildir": str(data_dir / "inbox")})
    typer.echo(f"dondoc demo — database {settings.resolved_database_url}\n")
    for title, args in DEMO_STEPS:
        typer.secho(f"== {title}", bold=True)
        if args == "reporting":
            from dondoc.app.simulation import demo_reporting
            context = AppContext(settings)
            try:
                recorded = demo_reporting(context, DEMO_TODAY)
            finally:
                context.close()
            typer.echo(f"  {recorded['on_time']} kỳ hạn hoàn thành đúng hạn, {recorded['late']} trễ hạn, "
                       f"{recorded['left_open']} chưa báo cáo; {recorded['never_reporting_agencies']} đơn vị chưa "
                       f"báo cáo lần nào / on time, late, left open; agencies that never reported\n")
            continue
        if args is None or args == "show-digest":
            for line in (_place_demo_replies(settings) if args is None else _demo_digest(settings)):
                typer.echo(f"  {line}")
            typer.echo("")
            continue
        args = [a.replace("{data_dir}", str(data_dir)) for a in args]
        typer.echo(f"$ dondoc {' '.join(args)}")
        context = AppContext(settings)
        try:
            app(args, obj=context, standalone_mode=False)
        finally:
            context.close()
        typer.echo("")
    typer.echo(f"Database: {settings.resolved_database_url}. Try: .venv/bin/dondoc status; .venv/bin/dondoc task show 3.3-a/BA-BE "
               "--today 15/01/2016")
    password = _demo_staff(settings)
    typer.echo(f"\nTài khoản cán bộ Liên minh HTX / Alliance staff account: {DEMO_STAFF[0]}  mật khẩu / password: {password}")
    typer.echo(f"Đầu mối các cơ quan đăng nhập bằng liên kết qua email (e.g. lan.nt@skhdt.example.org); without SMTP "
               f"the mail is a file in {settings.outbox_dir}/")
    if serve is None:
        serve = sys.stdout.isatty()
    if not serve:
        typer.echo("Dashboard: .venv/bin/dondoc demo --serve (or DONDOC_TODAY=2016-01-15 .venv/bin/dondoc web)")
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
