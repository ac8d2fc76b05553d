"""The inbox job against a real IMAP server: Debian's Dovecot started on a loopback port by each test
(tests/inbox_support.py), holding real replies and reports APPENDed by the test; mail out over a
loopback SMTP server that keeps each envelope. And the job killed midway, then run again."""
import random
import signal
import time
from datetime import date

import pytest
from sqlmodel import Session, func, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from models.audit import AuditEntry
from models.inbound import BouncedAddress, InboundMail
from models.occurrence import Occurrence, Progress
from models.outbox import Message
from models.plan import Task
from tests.conftest import Cli, at_vn
from tests.inbox_support import (
    DOVECOT, Dovecot, delivery_report, inbox_process, out_of_office, reply, start_envelope_smtp,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not __import__("os").path.exists(DOVECOT),
                                 reason="needs Dovecot: apt-get install -y dovecot-imapd (.ci/run installs it)")]

LAN, HUNG, MAI = "lan.nt@skhdt.example.org", "hung.tv@skhdt.example.org", "mai.lt@stc.example.org"
SON, MINH = "son.hv@snnptnt.example.org", "minh.lv@sgtvt.example.org"
JUNE_1, JUNE_2 = date(2015, 6, 1), date(2015, 6, 2)
PROCESSED = "dondoc-processed"


@pytest.fixture
def dovecot():
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def mail():
    controller, box = start_envelope_smtp()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def ctx(loaded, settings, mail, dovecot):
    context = AppContext(settings.model_copy(update=dict(
        smtp_host="127.0.0.1", smtp_port=mail.port, mail_from="Dondoc <dondoc@lmhtx.example.org>",
        secret_key="a-test-key-for-reply-addresses", **dovecot.settings_update())))
    yield context
    context.close()


def digests_of(box, day: date) -> dict[str, object]:
    return {e.rcpt_tos[0]: e for e in box.kind("daily") if e.message["Date"].datetime.date() == day}


def first_occurrence(ctx, ref: str) -> Occurrence:
    with Session(ctx.engine) as session:
        task = session.exec(select(Task).where(Task.ref == ref)).one()
        return session.exec(select(Occurrence).where(Occurrence.task_id == task.id).order_by(Occurrence.due_date)).first()


def test_it_reads_replies_and_bounces_from_an_imap_mailbox_and_files_them(ctx, mail, dovecot):
    jobs.run_reminder_day(ctx, JUNE_1)
    sent = digests_of(mail, JUNE_1)
    dovecot.append(
        reply(sent[LAN].raw, "Đã hoàn thành", at=at_vn(JUNE_1, 15)),
        reply(sent[MAI].raw, "Tiến độ 60%"),
        reply(sent[SON].raw, "Ghi chú: đang chờ ý kiến UBND tỉnh", quote="gmail"),  # quoting the whole digest
        reply(sent[LAN].raw, "Đã hoàn thành", sender=HUNG),  # the wrong person
        out_of_office(sent[HUNG].raw),
        delivery_report(sent[MINH].raw, return_path=sent[MINH].mail_from, recipient=MINH),
    )

    report = jobs.read_inbox(ctx, at_vn(JUNE_2, 9))

    assert (report.read, report.replies, report.recorded, report.refused, report.bounces, report.ignored) == \
        (6, 4, 3, 1, 1, 1), report.lines
    assert first_occurrence(ctx, "4.2-a/SKHDT").completed_on == JUNE_1
    assert first_occurrence(ctx, "4.2-a/STC").progress_percent == 60
    assert first_occurrence(ctx, "4.2-a/SNNPTNT").note == "đang chờ ý kiến UBND tỉnh"
    with Session(ctx.engine) as session:
        assert session.exec(select(Message.status).where(Message.recipient_email == MINH)).all() == ["failed"]
        assert session.exec(select(BouncedAddress.email)).all() == [MINH]
    assert sorted(e.rcpt_tos[0] for e in mail.kind("reply_confirmation")) == sorted([LAN, MAI, SON, HUNG])
    # Transport has no one else: the Alliance's focal points hear that Minh's address is dead.
    assert {e.rcpt_tos[0].split("@")[1] for e in mail.kind("address_dead")} == {"lmhtx.example.org"}
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED)) == (0, 6)

    again = jobs.read_inbox(ctx, at_vn(JUNE_2, 10))
    assert again.read == 0 and len(mail.kind("reply_confirmation")) == 4


def test_the_job_killed_midway_and_run_again_applies_every_reply_once(ctx, mail, dovecot):
    jobs.run_reminder_day(ctx, JUNE_1)
    sent = digests_of(mail, JUNE_1)
    people = sorted(sent)
    assert len(people) >= 12
    dovecot.append(*(reply(sent[email].raw, f"Tiến độ {10 + n}%") for n, email in enumerate(people)))
    settings = ctx.settings

    # Killed just after a message's transaction committed, before it was moved out of the inbox.
    first = inbox_process(settings, now=at_vn(JUNE_2, 9), pause=5)
    committed = 0
    for line in first.stdout:
        if line.startswith("committed"):
            committed += 1
            if committed == 3:
                first.send_signal(signal.SIGKILL)
                break
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert dovecot.count("INBOX") == len(people) - 2  # the third is recorded but still in the inbox

    # Killed at a random moment, in the middle of whatever it was doing.
    second = inbox_process(settings, now=at_vn(JUNE_2, 9), pause=0.05)
    assert second.stdout.readline().startswith("committed")
    time.sleep(random.uniform(0, 0.3))
    second.send_signal(signal.SIGKILL)
    second.wait(timeout=30)

    last = inbox_process(settings, now=at_vn(JUNE_2, 9))
    out = last.communicate(timeout=120)[0]
    assert last.returncode == 0, out
    assert out.splitlines()[-1].startswith("done")

    with Session(ctx.engine) as session:
        assert session.exec(select(func.count()).select_from(InboundMail)).one() == len(people)
        per_person = dict(session.exec(select(AuditEntry.actor, func.count()).where(
            AuditEntry.field == "progress_percent").group_by(AuditEntry.actor)).all())
        confirmations = session.exec(select(Message.recipient_email).where(Message.kind == "reply_confirmation")).all()
    recorded = {f"email:{email}" for email in people}
    assert set(per_person) <= recorded and all(count == 1 for count in per_person.values())  # nothing twice
    assert sorted(confirmations) == people  # one confirmation each, nothing skipped
    assert sorted(e.rcpt_tos[0] for e in mail.kind("reply_confirmation")) == people  # each sent once
    assert (dovecot.count("INBOX"), dovecot.count(PROCESSED)) == (0, len(people))
    with Session(ctx.engine) as session:
        written = session.exec(select(AuditEntry.actor, AuditEntry.new_value).where(
            AuditEntry.field == "progress_percent")).all()
    for n, email in enumerate(people):  # each person's own figure, where their digest named one own task
        assert [value for actor, value in written if actor == f"email:{email}"] in ([], [str(10 + n)]), email


def test_dondoc_inbox_runs_the_flow_and_says_what_became_of_each_message(ctx, mail, dovecot):
    jobs.run_reminder_day(ctx, JUNE_1)
    sent = digests_of(mail, JUNE_1)
    dovecot.append(reply(sent[LAN].raw, "Hoàn thành ngày 30/05/2015"), out_of_office(sent[MAI].raw))
    cli = Cli(ctx.settings)

    result = cli.ok("inbox", "--today", "2015-06-02")

    assert "02/06/2015: đã đọc 2 thư — 1 trả lời (1 đã ghi nhận, 0 bị từ chối), 0 thư bị trả lại, 1 bỏ qua" in result.output
    assert f"{LAN} \"Re: " in result.output and "trả lời tự động, bỏ qua — thư trả lời tự động" in result.output
    assert first_occurrence(ctx, "4.2-a/SKHDT").completed_on == date(2015, 5, 30)
    listed = cli.ok("schedule", "list", "--today", "2015-06-02").output
    assert "read-inbox" in listed and "mỗi 15 phút" in listed


def test_a_wrong_password_is_one_clear_error(loaded, settings, dovecot, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    cli = Cli(settings.model_copy(update=dict(dovecot.settings_update(), imap_password="sai mật khẩu")))
    result = cli("inbox", "--today", "2015-06-02", "--no-flow")
    assert result.exit_code == 1
    assert f"error: cannot read the reply mailbox {dovecot.user}@127.0.0.1:{dovecot.port}/INBOX" in result.output
    assert "Traceback" not in result.output
