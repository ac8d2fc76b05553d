"""The summary lines of `plan load`, `plan import`, `inbox`, `review submit` and `schedule list` are
in the CLI's language (issue 23): Vietnamese by default, English with DONDOC_LANGUAGE=en."""
import json
import mailbox
from datetime import date

import pytest

from dondoc.app import review_jobs
from tests.conftest import BUNDLED_PLAN, FIXTURES, Cli
from tests.review_support import start_smtp

SEED = FIXTURES / "plans" / "bac-kan-2015-2020.txt"


@pytest.fixture(params=["vi", "en"])
def language(request, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", request.param)
    return request.param


def test_plan_load_says_what_it_imported_and_changed_in_the_clis_language(cli, language):
    first = cli.ok("plan", "load", BUNDLED_PLAN).stdout
    again = cli.ok("plan", "load", BUNDLED_PLAN).stdout
    if language == "vi":
        assert "Danh bạ cơ quan: đã nhập " in first and "(danh bạ đang trống)," in first and " thay đổi." in first
        assert "Kế hoạch BK-KTTT-2015-2020: 147 nhiệm vụ mới, 0 sửa, 0 bỏ; 835 kỳ hạn thêm, 0 bớt." in first
        assert "Kế hoạch BK-KTTT-2015-2020: đã cập nhật sẵn, không có gì thay đổi." in again
        assert "Agency directory" not in first and "tasks created" not in first and "already up to date" not in again
    else:
        assert "Agency directory: imported " in first and "(the directory was empty)," in first
        assert ("Plan BK-KTTT-2015-2020: 147 tasks created, 0 updated, 0 retired; 835 due dates added, 0 removed."
                in first)
        assert "Plan BK-KTTT-2015-2020: already up to date, nothing changed." in again


def test_schedule_list_says_the_scheduler_is_not_running_in_the_clis_language(loaded, language):
    listed = loaded.ok("schedule", "list", "--today", "2016-01-15").stdout
    if language == "vi":
        assert "Bộ lập lịch: không chạy trên cơ sở dữ liệu này (khởi động bằng `dondoc serve`)." in listed
    else:
        assert "Scheduler: not running on this database (start it with `dondoc serve`)." in listed


def test_inbox_counts_what_it_read_in_the_clis_language(loaded, settings, tmp_path, language):
    cli = Cli(settings.model_copy(update=dict(inbox_maildir=str(tmp_path / "maildir"))))
    said = cli.ok("inbox", "--today", "2015-06-02", "--no-flow").stdout
    if language == "vi":
        assert ("02/06/2015: đã đọc 0 thư — 0 trả lời (0 đã ghi nhận, 0 bị từ chối), 0 thư bị trả lại, 0 bỏ qua, "
                "0 đã xử lý trước đó; đã gửi 0 email.") in said
    else:
        assert ("02/06/2015: 0 messages read — 0 replies (0 recorded, 0 refused), 0 bounces, 0 ignored, "
                "0 already processed; 0 emails sent.") in said


def test_review_submit_says_what_it_recorded_in_the_clis_language(loaded, settings, app_context, tmp_path, language):
    controller, _ = start_smtp()
    try:
        app_context.settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
        review_jobs.open_review(app_context, date(2015, 11, 2), 2015)
    finally:
        controller.stop()
    inputs = tmp_path / "stc.json"
    inputs.write_text(json.dumps({"tasks": [{"ref": "3.1.2-c", "status": "in_progress", "progress": 40}]}), "utf-8")
    first = loaded.ok("review", "submit", "2015", "--agency", "STC", "--file", inputs, "--today", "2015-11-10").stdout
    second = loaded.ok("review", "submit", "2015", "--agency", "STC", "--file", inputs, "--today", "2015-11-12").stdout
    if language == "vi":
        assert "STC: đã ghi nhận sơ kết năm 2015 từ stc.json — 1 nhiệm vụ, 0 chỉ tiêu." in first
        assert "; thay cho lần nộp trước." in second
    else:
        assert "STC: review 2015 recorded from stc.json — 1 tasks, 0 indicators." in first
        assert "; replaces the earlier submission." in second


def test_plan_imports_warnings_are_in_the_clis_language(loaded, language):
    shown = loaded.ok("plan", "import", SEED).stdout
    if language == "vi":
        assert "  ! mục 1, 2 không nêu cơ quan chủ trì nhiệm vụ nào" in shown
        assert "    ! 3.2.2-k: 'Định kỳ' không nêu kỳ: hiểu theo mặc định của chính sách" in shown
        assert "name no agency" not in shown and "names no period" not in shown
    else:
        assert "  ! sections 1, 2 name no agency that leads a duty" in shown
        assert "    ! 3.2.2-k: 'Định kỳ' names no period: read as the policy's default" in shown


def _mail(subject: str, headers: str = "") -> bytes:
    return (f"From: Lan <lan@example.org>\r\nTo: dondoc@lmhtx.example.org\r\nSubject: {subject}\r\n"
            f"Message-ID: <{abs(hash(subject))}@example.org>\r\nDate: Tue, 02 Jun 2015 08:00:00 +0700\r\n{headers}"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nXin chào\r\n").encode()


def test_inbox_says_what_became_of_each_message_in_the_clis_language(loaded, settings, tmp_path, language):
    box = mailbox.Maildir(tmp_path / "maildir", create=True)
    box.add(_mail("Out of office", "Auto-Submitted: auto-replied\r\n"))
    box.add(_mail("Quảng cáo"))
    cli = Cli(settings.model_copy(update=dict(inbox_maildir=str(tmp_path / "maildir"))))
    said = cli.ok("inbox", "--today", "2015-06-02", "--no-flow").stdout
    if language == "vi":
        assert '  lan@example.org "Out of office": trả lời tự động, bỏ qua — thư trả lời tự động' in said
        assert '  lan@example.org "Quảng cáo": thư khác, bỏ qua — không phải trả lời thư của dondoc' in said
    else:
        assert '  lan@example.org "Out of office": auto_reply, ignored — an automatic answer' in said
        assert '  lan@example.org "Quảng cáo": unknown, ignored — not a reply to one of our emails' in said
