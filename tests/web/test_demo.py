"""The main job (README, `make run`) ends with the dashboard's staff account (and, in a terminal, the server)."""
from sqlmodel import Session, select

from dondoc.app.context import AppContext
from models.accounts import StaffUser, authenticate_staff


def test_the_demo_without_a_terminal_does_not_serve_and_prints_alices_password(cli, settings, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    result = cli.ok("demo")
    assert "dondoc demo --serve" in result.output and "Dashboard: http" not in result.output
    assert "$ dondoc schedule list --today 2016-01-15" in result.output and "15/01/2016 08:00" in result.output
    # Reply by email on a local maildir: a reply recorded and confirmed, an out-of-office ignored, a bounce flagged.
    assert "3 messages read — 1 replies (1 recorded, 0 refused), 1 bounces, 1 ignored" in result.output
    assert "3.1.1-a: recorded as done on 14/01/2016" in result.output and "minh.lv@sgtvt.example.org flagged" in result.output
    assert "error: --today: the reminders of 15/01/2016 have run already; an earlier day (11/01/2016)" in result.output
    # Part B of issue 21: evidence filed (checked by content), a coordinator's note, a duty moved to Finance.
    assert "3.1.1-a: đã lưu 1 tệp: ke-hoach-kttt-2016.pdf (application/pdf)" in result.output
    assert "3.1.1-a: đã ghi nhận ý kiến phối hợp của LMHTX" in result.output
    assert "3.1.1-b: chủ trì SKHDT → STC" in result.output and "(đã áp dụng); 3 thư vào hàng đợi." in result.output
    password = result.output.split("mật khẩu / password: ", 1)[1].split()[0]
    context = AppContext(settings.model_copy(update={"database_url": ""}))
    with Session(context.engine) as session:
        assert session.exec(select(StaffUser.email)).one() == "alice@lmhtx.example.org"
        assert authenticate_staff(session, email="alice@lmhtx.example.org", password=password)
    context.close()
