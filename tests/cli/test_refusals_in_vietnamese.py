"""Every refusal the command line prints has its Vietnamese (issue 23): the refusals of bad input
(`InputError`, every one written with `vi=`, held so by a scan of the code), the reasons mail was not
delivered, and click's own usage errors. Vietnamese by default, English with DONDOC_LANGUAGE=en."""
import ast
import csv
import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from sqlmodel import Session, select

from config.policy import ReminderPolicy
from models.outbox import Message
from notifications.delivery_errors import explain, explain_line
from notifications.dispatch import dispatch
from notifications.transports import SmtpTransport
from tests.conftest import AGENCIES, BUNDLED_PLAN, Cli, at_vn
from tests.outbox_support import fill_outbox, start_server
from tests.review_support import free_port

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["models", "dondoc", "config", "notifications", "flows"]


def vietnamese_letters(text: str) -> list[str]:
    return [ch for ch in text if ch in "đĐ" or (ch.isalpha() and unicodedata.normalize("NFD", ch) != ch)]


# --- every InputError has its Vietnamese -------------------------------------------------------------

def product_trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8"))
            for folder in PRODUCT for path in sorted((ROOT / folder).rglob("*.py"))}


def refusal_classes(trees) -> set[str]:
    """InputError and the classes of ours derived from it (NotAllowed, SubmissionRefused, ...)."""
    names, grew = {"InputError"}, True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        (getattr(base, "id", None) or getattr(base, "attr", None)) in names for base in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def test_every_input_error_the_product_raises_says_it_in_vietnamese_too():
    trees = product_trees()
    classes = refusal_classes(trees)
    assert {"InputError", "NotAllowed", "SubmissionRefused", "NobodyLeft"} <= classes
    missing, calls = [], 0
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in classes:
                calls += 1
                # vi= given, or **kwargs handed on by a helper that was itself given them
                if not any(keyword.arg in ("vi", None) for keyword in node.keywords):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert calls > 150  # the scan sees the product's refusals
    assert missing == [], "InputError without vi=:\n" + "\n".join(missing)


def test_the_validators_of_the_files_people_edit_refuse_with_their_vietnamese():
    """A pydantic validator's plain ValueError would reach a Vietnamese screen in English: they raise
    `Refusal(en, vi=...)`."""
    plain = []
    for path, tree in product_trees().items():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef) or not any(
                    "validator" in ast.unparse(decorator) for decorator in function.decorator_list):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                        getattr(node.exc.func, "id", None) == "ValueError":
                    plain.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert plain == []


# --- real bad inputs through the command line ----------------------------------------------------------

def bad_plan_date(tmp_path) -> tuple[list, str, str, str]:
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace("  due: 2015-12-31\n", "  due: 2015-13-31\n", 1), encoding="utf-8")
    line = text[:text.index("  due: 2015-12-31\n")].count("\n") + 1
    return (["plan", "load", path], f"{path}:{line}: task ",
            ": due: '2015-13-31' không phải ngày hợp lệ (viết YYYY-MM-DD, ví dụ 2016-01-15)",
            ": due: Input should be a valid date or datetime, month value is outside expected range of 1-12")


def bad_agency_email(tmp_path) -> tuple[list, str, str, str]:
    text = AGENCIES.read_text(encoding="utf-8")
    path = tmp_path / "agencies.yaml"
    path.write_text(text.replace("email: lan.nt@skhdt.example.org", "email: lan.nt-at-skhdt", 1), encoding="utf-8")
    line = text[:text.index("email: lan.nt@skhdt.example.org")].count("\n") + 1
    return (["agencies", "import", path], f"{path}:{line}: agency SKHDT: focal_points.0.email: ",
            "'lan.nt-at-skhdt' không phải địa chỉ email (ten@example.org)",
            "'lan.nt-at-skhdt' is not an email address (name@example.org)")


def unknown_ref(tmp_path) -> tuple[list, str, str, str]:
    return (["task", "show", "3.3-a/BA-BX"], "ref: ", "không có nhiệm vụ nào mã 3.3-a/BA-BX (có phải 3.3-a/BA-BE?)",
            "no task with ref 3.3-a/BA-BX (did you mean 3.3-a/BA-BE?)")


@pytest.mark.parametrize("bad_input", [bad_plan_date, bad_agency_email, unknown_ref])
@pytest.mark.parametrize("language", [None, "en"])
def test_a_bad_file_or_ref_is_refused_in_vietnamese_by_default_and_in_english_when_asked(
        loaded, tmp_path, monkeypatch, bad_input, language):
    args, where, vi, en = bad_input(tmp_path)
    if language is None:
        monkeypatch.delenv("DONDOC_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("DONDOC_LANGUAGE", language)
    result = loaded(*args)
    said = result.output.strip()
    assert result.exit_code == 2 and len(said.splitlines()) == 1 and "Traceback" not in said, said
    if language is None:
        assert said.startswith(f"lỗi: {where}") and said.endswith(vi), said
    else:
        assert said.startswith(f"error: {where}") and said.endswith(en), said


# --- why mail was not delivered ------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("language", [None, "en"])
def test_remind_says_why_the_mail_server_could_not_be_reached_and_what_to_check(loaded, settings, monkeypatch,
                                                                                language):
    if language is None:
        monkeypatch.delenv("DONDOC_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("DONDOC_LANGUAGE", language)
    port = free_port()  # nothing listens there
    down = Cli(settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=5)))
    result = down("remind", "--today", "2016-01-15")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    if language is None:
        assert f"thư chưa gửi được: không mở được kết nối SMTP tới 127.0.0.1:{port}: máy chủ từ chối kết nối " \
               "(ConnectionRefusedError: " in result.output, result.output
        assert "kiểm tra DONDOC_SMTP_HOST, DONDOC_SMTP_PORT" in result.output
        assert result.output.strip().splitlines()[-1].startswith("lỗi: chưa gửi được: ")
    else:
        assert f"message(s) not sent: cannot open the SMTP connection to 127.0.0.1:{port}: ConnectionRefusedError: " \
               in result.output, result.output
        assert vietnamese_letters(result.output.split("\n", 1)[1]) == [], result.output  # (line 1: a date and counts)


class Refusing:
    """An SMTP server (aiosmtpd) answering RCPT for one address with `reply`, accepting the others."""

    def __init__(self, address: str, reply: str):
        self.address, self.reply = address, reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.address:
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


@pytest.mark.parametrize("reply, vi, en", [
    ("550 5.1.1 No such mailbox here", "máy chủ thư từ chối người nhận (550 5.1.1 No such mailbox here): thư không "
     "gửi lại; kiểm tra địa chỉ email của đầu mối", "550 5.1.1 No such mailbox here"),
    ("451 4.3.0 Try again later", "máy chủ thư tạm thời chưa nhận thư (451 4.3.0 Try again later): thư sẽ được gửi "
     "lại tự động", "451 4.3.0 Try again later"),
    ("554 5.7.1 Relay access denied", "máy chủ thư từ chối thư (554 5.7.1 Relay access denied): thư không gửi lại; "
     "hỏi người quản trị máy chủ thư", "554 5.7.1 Relay access denied"),
])
def test_a_refusal_by_a_real_smtp_server_is_explained_in_vietnamese_and_kept_as_said_in_english(
        settings, engine, reply, vi, en):
    refused = "hai.tv@pacnam.example.org"
    now = at_vn(__import__("datetime").date(2016, 1, 15), 8)
    controller = start_server(Refusing(refused, reply))
    fill_outbox(engine, 2, now=now, names=["alice@example.org", refused])
    try:
        report = dispatch(engine, SmtpTransport(settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})), now=now, policy=ReminderPolicy())
    finally:
        controller.stop()
    [line] = report.errors
    assert explain_line(line, "en") == line == f"{refused}: {en}"
    assert explain_line(line, "vi").startswith(f"{refused}: {vi}"), explain_line(line, "vi")
    with Session(engine) as session:
        stored = session.exec(select(Message).where(Message.recipient_email == refused)).one().last_error
    assert explain(stored, "vi").startswith(vi)


def test_a_login_refused_a_timeout_and_an_unknown_host_say_what_the_it_officer_can_check():
    # The texts SmtpTransport records for them (notifications/transports.py, _connect and _describe).
    server = "cannot open the SMTP connection to mail.example.org:587: "
    assert explain(server + "535 5.7.8 Authentication credentials invalid", "vi") == (
        "không mở được kết nối SMTP tới mail.example.org:587: máy chủ không chấp nhận tên đăng nhập hoặc mật khẩu "
        "(535 5.7.8 Authentication credentials invalid): kiểm tra DONDOC_SMTP_USER và DONDOC_SMTP_PASSWORD (mật khẩu "
        "có đổi không, tài khoản có bị khóa không)")
    assert "có thể tăng DONDOC_SMTP_TIMEOUT_SECONDS" in explain(server + "timeout: the SMTP server stopped answering", "vi")
    assert "không tìm thấy máy chủ tên mail.example.org" in explain(
        server + "gaierror: [Errno -2] Name or service not known", "vi")
    assert explain(server + "535 5.7.8 Authentication credentials invalid", "en") == \
        server + "535 5.7.8 Authentication credentials invalid"


def test_a_bounce_is_called_a_bounce_and_a_failure_of_unknown_kind_is_shown_without_a_guessed_cause():
    # notifications/bounces.py records a returned message as "bounced: <the report's reason>".
    bounce = "bounced: minh.lv@sgtvt.example.org: 5.1.1 smtp; 550 5.1.1 <minh.lv@sgtvt.example.org>: User unknown"
    said = explain(bounce, "vi")
    assert said.startswith("thư đã bị trả lại (minh.lv@sgtvt.example.org: 5.1.1 smtp; 550 5.1.1") and "User unknown" in said
    assert "gửi lại;" not in said.replace("không gửi lại", "") and "ngắt" not in said
    assert explain("SMTPServerDisconnected: Connection unexpectedly closed", "vi").startswith(
        "kết nối tới máy chủ thư bị ngắt giữa chừng (SMTPServerDisconnected: Connection unexpectedly closed)")
    assert explain("something no transport says", "vi") == "gửi không thành công (something no transport says)"
    assert explain(bounce, "en") == bounce


@pytest.mark.parametrize("language", [None, "en"])
def test_the_outbox_explains_a_failure_in_the_readers_language_and_keeps_it_as_recorded(
        cli, settings, engine, monkeypatch, language):
    if language is None:
        monkeypatch.delenv("DONDOC_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("DONDOC_LANGUAGE", language)
    from notifications.transports import transport_for
    now = at_vn(__import__("datetime").date(2016, 1, 15), 8)
    fill_outbox(engine, 2, now=now, names=["alice@example.org", "không-phải-địa-chỉ"])
    dispatch(engine, transport_for(settings), now=now, policy=ReminderPolicy())
    stored = json.loads(cli.ok("outbox", "--status", "failed", "--format", "json").output)[0]["error"]
    assert stored.startswith("malformed address: "), stored  # JSON: as the transport recorded it, in any language
    [heading, row] = list(csv.reader(io.StringIO(cli.ok("outbox", "--status", "failed", "--format", "csv").output)))
    shown = row[heading.index("Error" if language == "en" else "Lỗi")]
    if language is None:
        assert shown == explain(stored, "vi") and shown.startswith("địa chỉ người nhận không hợp lệ: "), shown
        table = " ".join(cli.ok("outbox", "--status", "failed").output.split())  # (the table wraps long cells)
        assert "Lỗi" in table and "trong danh bạ (dondoc people edit)" in table, table
    else:
        assert shown == stored


# --- click's own usage errors --------------------------------------------------------------------------

USAGE = [
    (["tasks", "--no-such-option"], "lỗi: không có tùy chọn --no-such-option (xem dondoc tasks --help)",
     "error: No such option: --no-such-option (see dondoc tasks --help)"),
    (["no-such-command"], "lỗi: không có lệnh 'no-such-command'. (xem dondoc --help)",
     "error: No such command 'no-such-command'. (see dondoc --help)"),
    (["agencies", "edit", "SKHDT", "--name-vi", "Sở"], "lỗi: thiếu tùy chọn '--reason'. (xem dondoc agencies edit --help)",
     "error: Missing option '--reason'. (see dondoc agencies edit --help)"),
    (["task", "show"], "lỗi: thiếu đối số 'ref'. (xem dondoc task show --help)",
     "error: Missing argument 'ref'. (see dondoc task show --help)"),
    (["outbox", "--limit", "many"], "lỗi: giá trị không hợp lệ cho '--limit': 'many' không phải số nguyên "
     "(xem dondoc outbox --help)", "error: Invalid value for '--limit': Input should be a valid integer, unable to "
     "parse string as an integer (see dondoc outbox --help)"),
]


@pytest.mark.slow
@pytest.mark.parametrize("language", [None, "en"])
def test_clicks_usage_errors_are_in_vietnamese_by_default_and_in_english_when_asked(tmp_path, language):
    environment = {k: v for k, v in os.environ.items() if k != "DONDOC_LANGUAGE"}
    environment.update(PYTHONPATH=str(ROOT), DONDOC_DATA_DIR=str(tmp_path))
    if language:
        environment["DONDOC_LANGUAGE"] = language
    for args, vi, en in USAGE:
        done = subprocess.run([sys.executable, "-m", "dondoc.cli", *args], cwd=ROOT, capture_output=True, text=True,
                              env=environment)
        assert done.returncode == 2 and done.stdout == "", (args, done.stdout, done.stderr)
        assert done.stderr == (en if language == "en" else vi) + "\n", (args, done.stderr)
    # Help's own words too (the commands' help is as written)
    done = subprocess.run([sys.executable, "-m", "dondoc.cli", "task", "show", "--help"], cwd=ROOT, capture_output=True,
                          text=True, env=environment)
    headings = [line for line in done.stdout.splitlines() if line and not line.startswith(" ")]
    assert done.returncode == 0 and headings[0].startswith(
        "Usage: dondoc task show" if language == "en" else "Cách dùng: dondoc task show"), done.stdout
    assert headings[1:] == (["Arguments:", "Options:"] if language == "en" else ["Đối số:", "Tùy chọn:"]), headings
    # click's own words in an option's help: --help's line, "[default: ...]", "[required]"
    done = subprocess.run([sys.executable, "-m", "dondoc.cli", "agencies", "edit", "--help"], cwd=ROOT,
                          capture_output=True, text=True, env={**environment, "COLUMNS": "200"})
    said = done.stdout
    if language == "en":
        assert "Show this message and exit." in said and "[required]" in said, said
    else:
        assert "Hiện trợ giúp này rồi thoát." in said and "[bắt buộc]" in said, said
        assert "Show this message" not in said and "[required]" not in said, said
    done = subprocess.run([sys.executable, "-m", "dondoc.cli", "outbox", "--help"], cwd=ROOT, capture_output=True,
                          text=True, env={**environment, "COLUMNS": "200"})
    said = " ".join(done.stdout.split())  # (help wraps long lines)
    assert ("[default: 200]" if language == "en" else "[mặc định: 200]") in said, said
