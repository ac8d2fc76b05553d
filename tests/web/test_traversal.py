"""Names that could reach a file path: message kinds and languages, export names, plan codes in report
names, outbox file names, every path parameter of the site. None leaves its folder; each is refused
with a 4xx or a clear error."""
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from config.errors import InputError
from notifications.letter import default_sender, letter, salutation
from notifications.render import KINDS, render
from notifications.transports import FileTransport
from tests.abuse_support import open_review, snapshot
from tests.conftest import BUNDLED_PLAN

TRAVERSALS = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "....//....//etc/passwd",
              "..\\..\\windows\\win.ini", "%00", "/etc/passwd"]


@pytest.mark.parametrize("kind", ["../../../etc/passwd", "daily/../signin", "/etc/passwd", "", "daily/vi"])
def test_a_message_kind_that_is_not_a_known_folder_is_refused(kind):
    with pytest.raises(InputError, match="no message templates"):
        render(kind, "vi", {})


def test_a_language_naming_a_path_falls_back_to_vietnamese():
    values = dict(letter("vi", sender=default_sender(), plans=[], greeting=salutation("vi", "Bob")), recipient_name="Bob",
                  link="http://x/signin/link/t", minutes=30, expires="08:30 15/01/2016")
    rendered = render("signin", "../../../etc", values)
    assert rendered.subject == render("signin", "vi", values).subject
    assert KINDS == {"address_dead", "daily", "reply_confirmation", "review_chaser", "review_missing", "review_request",
                     "signin", "task_work", "reassignment"}


@pytest.mark.parametrize("traversal", TRAVERSALS)
def test_path_parameters_holding_a_path_are_answered_4xx(alice, traversal):
    for url in (f"/tasks/{traversal}", f"/agencies/{traversal}", f"/outbox/{traversal}", f"/reviews/{traversal}",
                f"/reviews/2015/{traversal}", f"/calendar/{traversal}/0123.ics", f"/calendar/SKHDT/{traversal}.ics",
                f"/review/{traversal}", f"/signin/link/{traversal}"):
        response = alice.get(url, follow_redirects=False)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert "root:" not in response.text and "[fonts]" not in response.text


def test_an_export_is_named_by_the_day_whatever_the_query_says(alice):
    for extension in ("csv", "xlsx"):
        response = alice.get(f"/overdue.{extension}?format=../../etc/passwd&name=../../x&today=../../etc/passwd")
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="qua-han-2016-01-15.{extension}"'


@pytest.mark.parametrize("code", ["../../etc/passwd", "..", "a/b", "plan\\..\\x"])
def test_a_plan_code_that_could_leave_the_reports_folder_is_refused(cli, engine, tmp_path, code):
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    assert "  code: BK-KTTT-2015-2020\n" in text
    plan = tmp_path / "plan.yaml"
    plan.write_text(text.replace("  code: BK-KTTT-2015-2020\n", f"  code: '{code}'\n", 1), encoding="utf-8")
    before = snapshot(engine)
    result = cli("plan", "load", plan)
    assert result.exit_code == 2 and f"{plan}:" in result.output and "plan.code" in result.output, result.output
    assert snapshot(engine) == before


def test_review_commands_refuse_agency_codes_and_files_that_are_paths(loaded, app_context, tmp_path, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the refusals checked below are the English ones
    open_review(app_context)
    template = loaded("review", "template", "2015", "--agency", "../../etc", "--out", tmp_path / "t.xlsx",
                      "--today", "2015-11-10")
    assert template.exit_code == 2 and "no agency with code ../../etc" in template.output
    report = loaded("review", "report", "2015", "--out", tmp_path / "../../etc/passwd", "--today", "2015-12-10")
    assert report.exit_code == 2 and "--out" in report.output
    submit = loaded("review", "submit", "2015", "--agency", "SKHDT", "--file", "/etc/passwd", "--today", "2015-11-10")
    assert submit.exit_code == 2 and "expected a .json" in submit.output


def test_the_outbox_file_of_an_address_full_of_dots_and_slashes_stays_in_its_folder(tmp_path):
    # What the dispatcher hands a transport: the message's sending columns.
    message = SimpleNamespace(id=7, kind="daily", recipient_email="../../../evil@attacker.example",
                              send_date=date(2015, 4, 1), raw=b"raw", attempts=0)
    outbox = tmp_path / "outbox"
    with FileTransport(outbox, "Dondoc <dondoc@example.org>") as transport:
        transport.send(message)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 1 and written[0].parent == outbox / "2015-04-01"
    assert Path(written[0]).resolve().is_relative_to(outbox.resolve())
