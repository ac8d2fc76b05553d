"""dondoc user add: Alliance staff accounts."""
from sqlmodel import Session, select

from models.accounts import StaffUser, authenticate_staff
from models.audit import AuditEntry


def test_alice_is_added_with_a_password_from_stdin_and_can_then_sign_in(cli, engine):
    result = _add(cli, "Alice@LMHTX.example.org", "--name", "Alice Nguyễn", password="mật khẩu của Alice 2016")
    assert result.exit_code == 0, result.output
    assert "Alice Nguyễn <alice@lmhtx.example.org>" in result.output
    with Session(engine) as session:
        user = session.exec(select(StaffUser)).one()
        assert "mật khẩu" not in user.password_hash
        assert authenticate_staff(session, email="alice@lmhtx.example.org", password="mật khẩu của Alice 2016")
        assert authenticate_staff(session, email="alice@lmhtx.example.org", password="sai mật khẩu 2016") is None
        assert session.exec(select(AuditEntry).where(AuditEntry.entity == "staff_user")).one().actor == "test"


def _add(cli, *args, password="mật khẩu đủ dài"):
    from dondoc.cli import app
    from dondoc.app.context import AppContext
    context = AppContext(cli.settings)
    try:
        return cli.runner.invoke(app, ["user", "add", *args, "--password-stdin"], input=password + "\n", obj=context)
    finally:
        context.close()


def test_an_existing_address_is_refused_unless_updating(cli):
    assert _add(cli, "alice@lmhtx.example.org", "--name", "Alice").exit_code == 0
    again = _add(cli, "alice@lmhtx.example.org", "--name", "Alice")
    assert again.exit_code == 2 and "--update" in again.output
    assert _add(cli, "alice@lmhtx.example.org", "--name", "Alice N.", "--update", password="mật khẩu mới 2016").exit_code == 0


def test_a_short_password_is_refused(cli):
    result = _add(cli, "alice@lmhtx.example.org", "--name", "Alice", password="ngắn")
    assert result.exit_code == 2 and "lỗi: password: mật khẩu cần ít nhất 10 ký tự" in result.output  # Vietnamese: the default
