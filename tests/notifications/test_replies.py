"""Reply by email and bounces, end to end on a maildir (the IMAP server's own tests are in
test_inbox_imap.py): digests sent over real SMTP (aiosmtpd), real replies and reports put in the
mailbox, the inbox job run, the tasks, audit, outbox and confirmations read back."""
import mailbox
from datetime import date

import pytest
from sqlmodel import Session, func, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from models.audit import AuditEntry
from models.inbound import BouncedAddress, InboundMail, dead_addresses
from models.occurrence import Occurrence, Progress
from models.outbox import DeliveryAttempt, Message, MessageStatus
from models.plan import Task
from notifications.reply_address import ReplyAddresses, base36, read_tag
from tests.conftest import at_vn
from tests.inbox_support import delivery_report, out_of_office, reply, start_envelope_smtp, text_of

LAN, HUNG, MAI = "lan.nt@skhdt.example.org", "hung.tv@skhdt.example.org", "mai.lt@stc.example.org"
JUNE_1, JUNE_2 = date(2015, 6, 1), date(2015, 6, 2)  # Lan's digest of 01/06 names one task: 4.2-a/SKHDT
DEC_24, DEC_25 = date(2015, 12, 24), date(2015, 12, 25)  # hers of 24/12: 3.1.1-a, 3.1.1-b, 4.2-a, 4.2-b (+ 3.1.2-c FYI)


@pytest.fixture
def mail():
    controller, box = start_envelope_smtp()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def ctx(loaded, settings, mail, tmp_path):
    """The bundled plan; mail over loopback SMTP; the reply mailbox a maildir."""
    context = AppContext(settings.model_copy(update=dict(
        smtp_host="127.0.0.1", smtp_port=mail[1], inbox_maildir=str(tmp_path / "maildir"),
        mail_from="Dondoc <dondoc@lmhtx.example.org>", secret_key="a-test-key-for-reply-addresses")))
    yield context
    context.close()


def digest_to(ctx, box, day: date, email: str) -> bytes:
    jobs.run_reminder_day(ctx, day)
    sent = [e for e in box.to(email, "daily") if e.message["Date"].datetime.date() == day]
    assert len(sent) == 1, [e.message["Subject"] for e in box.to(email)]
    return sent[0].raw


def put(ctx, *messages: bytes) -> None:
    box = mailbox.Maildir(ctx.settings.inbox_maildir, create=True)
    for raw in messages:
        box.add(raw)


def occurrence(ctx, ref: str) -> Occurrence:
    """The task's first occurrence (the one a reply changes, on a fresh plan: the earliest not done)."""
    with Session(ctx.engine) as session:
        task = session.exec(select(Task).where(Task.ref == ref)).one()
        return session.exec(select(Occurrence).where(Occurrence.task_id == task.id).order_by(Occurrence.due_date)).first()


def confirmations(box, email: str) -> list:
    return box.to(email, "reply_confirmation")


def test_it_records_a_reply_that_says_done_and_confirms_it_once(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    assert "## Trả lời phía trên dòng này để cập nhật ##" in text_of(digest)
    assert "4.2-a/SKHDT: Đã hoàn thành" in text_of(digest)  # how to reply, with her own task's ref
    put(ctx, reply(digest, "Đã hoàn thành", at=at_vn(JUNE_1, 16)))

    report = jobs.read_inbox(ctx, at_vn(JUNE_2, 9))

    assert (report.read, report.replies, report.recorded, report.sent) == (1, 1, 1, 1)
    done = occurrence(ctx, "4.2-a/SKHDT")
    assert done.progress == Progress.DONE and done.completed_on == JUNE_1  # the day she wrote
    with Session(ctx.engine) as session:
        actors = set(session.exec(select(AuditEntry.actor).where(AuditEntry.entity_id == done.id,
                                                                 AuditEntry.entity == "occurrence")))
    assert actors == {f"email:{LAN}"}
    [confirmation] = confirmations(box, LAN)
    body = text_of(confirmation.raw)
    assert confirmation.message["Subject"] == "[Đôn đốc] Đã ghi nhận thư trả lời của đồng chí"
    assert "4.2-a/SKHDT: đã ghi nhận hoàn thành ngày 01/06/2015 (kỳ hạn 30/06/2015)" in body
    assert confirmation.message["Auto-Submitted"] == "auto-replied"
    assert confirmation.message["Reply-To"] is None  # a confirmation is not itself answered
    assert not list(mailbox.Maildir(ctx.settings.inbox_maildir).keys())  # moved to .processed

    # She replies "done" a second time to the same email: the task has no other occurrence to complete.
    put(ctx, reply(digest, "Đã hoàn thành", at=at_vn(JUNE_2, 8)))
    again = jobs.read_inbox(ctx, at_vn(JUNE_2, 10))
    assert again.read == 1 and again.recorded == 0
    with Session(ctx.engine) as session:
        task = session.exec(select(Task).where(Task.ref == "4.2-a/SKHDT")).one()
        assert session.exec(select(func.count()).select_from(Occurrence).where(
            Occurrence.task_id == task.id, Occurrence.progress == Progress.DONE)).one() == 1
    assert "Mọi kỳ của nhiệm vụ 4.2-a/SKHDT đều đã hoàn thành" in text_of(confirmations(box, LAN)[1].raw)


def test_a_message_read_twice_is_applied_once(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    answer = reply(digest, "Tiến độ 40%")
    put(ctx, answer, answer)  # the same message twice in the mailbox (same Message-ID)

    report = jobs.read_inbox(ctx, at_vn(JUNE_2, 9))

    assert (report.read, report.replies, report.already) == (2, 1, 1)
    assert len(confirmations(box, LAN)) == 1
    with Session(ctx.engine) as session:
        changes = session.exec(select(AuditEntry).where(AuditEntry.field == "progress_percent")).all()
    assert [c.new_value for c in changes] == ["40"]


def test_it_records_a_completion_date_progress_and_a_free_note(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    put(ctx, reply(digest, "Tiến độ 60%, đang tổng hợp số liệu các huyện", at=at_vn(JUNE_1, 10)))
    jobs.read_inbox(ctx, at_vn(JUNE_1, 11))
    occ = occurrence(ctx, "4.2-a/SKHDT")
    assert (occ.progress, occ.progress_percent, occ.note) == (Progress.IN_PROGRESS, 60, "đang tổng hợp số liệu các huyện")

    put(ctx, reply(digest, "Kính gửi Liên minh,\n\nĐơn vị đang chờ ý kiến của Sở Tài chính.\n\nTrân trọng,\nNguyễn Thị Lan",
                   at=at_vn(JUNE_1, 14)))
    jobs.read_inbox(ctx, at_vn(JUNE_1, 15))
    occ = occurrence(ctx, "4.2-a/SKHDT")
    assert (occ.progress_percent, occ.note) == (60, "Đơn vị đang chờ ý kiến của Sở Tài chính.")  # a note changes no progress

    put(ctx, reply(digest, "Hoàn thành ngày 29/05/2015", at=at_vn(JUNE_1, 16)))
    jobs.read_inbox(ctx, at_vn(JUNE_2, 9))
    occ = occurrence(ctx, "4.2-a/SKHDT")
    assert (occ.progress, occ.completed_on) == (Progress.DONE, date(2015, 5, 29))
    texts = [text_of(e.raw) for e in confirmations(box, LAN)]
    assert len(texts) == 3
    assert "đã ghi nhận tiến độ 60%" in texts[0] and "đã lưu ghi chú" in texts[1]
    assert "đã ghi nhận hoàn thành ngày 29/05/2015" in texts[2]


def test_several_tasks_in_one_reply_each_by_its_ref(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, DEC_24, LAN)
    put(ctx, reply(digest, "3.1.1-a: Đã hoàn thành ngày 20/12/2015, đã trình UBND tỉnh\n"
                           "3.1.1-b: tiến độ 80%\n"
                           "3.1.2-c: đã hoàn thành\n"  # led by Finance: SKHDT only coordinates it
                           "9.9.9: đã hoàn thành", at=at_vn(DEC_24, 15)))

    report = jobs.read_inbox(ctx, at_vn(DEC_25, 9))

    assert report.recorded == 1
    first = occurrence(ctx, "3.1.1-a")
    assert (first.progress, first.completed_on, first.note) == (Progress.DONE, date(2015, 12, 20), "đã trình UBND tỉnh")
    assert occurrence(ctx, "3.1.1-b").progress_percent == 80
    assert occurrence(ctx, "3.1.2-c").progress != Progress.DONE
    [confirmation] = confirmations(box, LAN)
    body = text_of(confirmation.raw)
    assert confirmation.message["Subject"] == "[Đôn đốc] Đã ghi nhận một phần thư trả lời của đồng chí"
    assert "nhiệm vụ 3.1.2-c do Sở Tài chính chủ trì" in body
    assert "9.9.9" in body and "Cách viết thư trả lời" in body
    # "Done" again to the same email: 3.1.1-a is yearly, but the email named its 2015 occurrence only.
    put(ctx, reply(digest, "3.1.1-a: Đã hoàn thành", at=at_vn(DEC_25, 8)))
    jobs.read_inbox(ctx, at_vn(DEC_25, 10))
    with Session(ctx.engine) as session:
        task = session.exec(select(Task).where(Task.ref == "3.1.1-a")).one()
        assert session.exec(select(Occurrence.due_date).where(Occurrence.task_id == task.id,
                                                              Occurrence.progress == Progress.DONE)).all() == \
            [date(2015, 12, 31)]
    assert ("các kỳ hạn của nhiệm vụ 3.1.1-a mà thư nhắc nêu đã được ghi nhận; kỳ tiếp theo hạn 31/12/2016"
            in text_of(confirmations(box, LAN)[1].raw))


def test_a_line_without_a_ref_in_a_reply_to_several_tasks_is_asked_to_name_one(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, DEC_24, LAN)
    put(ctx, reply(digest, "Đã hoàn thành"))
    report = jobs.read_inbox(ctx, at_vn(DEC_25, 9))
    assert report.recorded == 0
    body = text_of(confirmations(box, LAN)[0].raw)
    assert "thư nhắc có 4 nhiệm vụ của đơn vị: ghi mã nhiệm vụ ở đầu dòng" in body
    assert occurrence(ctx, "3.1.1-a").progress == Progress.OPEN


def test_a_reply_quoting_the_whole_digest_applies_only_what_was_written_above_it(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, DEC_24, LAN)
    # The quoted digest lists every task with its ref ("- 3.1.1-b: ..."): none of that is an instruction.
    put(ctx, reply(digest, "3.1.1-a: Đã hoàn thành", quote="outlook", at=at_vn(DEC_24, 10)),
        reply(digest, "3.1.1-b: Tiến độ 30%", quote="gmail", at=at_vn(DEC_24, 11)))

    jobs.read_inbox(ctx, at_vn(DEC_25, 9))

    assert occurrence(ctx, "3.1.1-a").completed_on == DEC_24
    assert occurrence(ctx, "3.1.1-b").progress_percent == 30
    assert occurrence(ctx, "4.2-a/SKHDT").progress == Progress.OPEN
    for confirmation in confirmations(box, LAN):
        assert "CHƯA GHI NHẬN" not in text_of(confirmation.raw)


def test_an_html_only_reply_is_read_without_its_quote(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    html = ('<div dir="ltr">Tiến độ 70%<br></div><br><div class="gmail_quote"><blockquote>'
            '4.2-a/SKHDT: Đã hoàn thành</blockquote></div>')
    put(ctx, reply(digest, "", html=html).replace(b"Content-Type: text/plain", b"Content-Type: text/x-none"))
    jobs.read_inbox(ctx, at_vn(JUNE_2, 9))
    occ = occurrence(ctx, "4.2-a/SKHDT")
    assert (occ.progress, occ.progress_percent) == (Progress.IN_PROGRESS, 70)


def test_a_reply_from_another_person_is_refused(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    # Her colleague answers the email Lan forwarded him: the reply key is hers, the From is his.
    put(ctx, reply(digest, "Đã hoàn thành", sender=f"Trần Văn Hùng <{HUNG}>"),
        reply(digest, "Đã hoàn thành", sender="Ai đó <someone@elsewhere.example.net>"))

    report = jobs.read_inbox(ctx, at_vn(JUNE_2, 9))

    assert (report.replies, report.refused, report.recorded) == (2, 2, 0)
    assert occurrence(ctx, "4.2-a/SKHDT").progress == Progress.OPEN
    [refusal] = confirmations(box, HUNG)  # a focal point is told why; a stranger gets nothing
    assert "được gửi cho lan.nt@skhdt.example.org, không phải cho hung.tv@skhdt.example.org" in text_of(refusal.raw)
    assert not box.to("someone@elsewhere.example.net") and not confirmations(box, LAN)
    with Session(ctx.engine) as session:
        assert {row.outcome for row in session.exec(select(InboundMail))} == {"refused"}


def test_a_made_up_reply_key_is_refused(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    genuine = str(mail[0].to(LAN, "daily")[0].message["Reply-To"])
    tag = read_tag(genuine)
    forged = genuine.replace(tag.signature, "a" * 16)
    other_message = genuine.replace(f"+r{base36(tag.message_id)}.", f"+r{base36(tag.message_id + 1)}.")  # another id
    assert other_message != genuine
    put(ctx, reply(digest, "Đã hoàn thành", to=forged), reply(digest, "Đã hoàn thành", to=other_message))

    report = jobs.read_inbox(ctx, at_vn(JUNE_2, 9))

    assert report.refused == 2 and report.recorded == 0
    assert occurrence(ctx, "4.2-a/SKHDT").progress == Progress.OPEN
    assert all("Không xác định được anh/chị trả lời thư nào" in text_of(e.raw) for e in confirmations(box, LAN))


def test_a_completion_date_after_today_is_refused(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    put(ctx, reply(digest, "Hoàn thành ngày 12/03/2016"))
    jobs.read_inbox(ctx, at_vn(JUNE_2, 9))
    assert occurrence(ctx, "4.2-a/SKHDT").progress == Progress.OPEN
    assert "ngày hoàn thành 12/03/2016 sau ngày hôm nay (02/06/2015)" in text_of(confirmations(box, LAN)[0].raw)


def test_an_extension_request_is_kept_as_a_note_and_answered_as_not_yet_supported(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    put(ctx, reply(digest, "Đề nghị gia hạn đến 30/06/2016 vì chưa có kinh phí"))
    jobs.read_inbox(ctx, at_vn(JUNE_2, 9))
    occ = occurrence(ctx, "4.2-a/SKHDT")
    assert occ.progress == Progress.OPEN and occ.due_date == date(2015, 6, 30)
    assert occ.note == "Đề nghị gia hạn (qua email): Đề nghị gia hạn đến 30/06/2016 vì chưa có kinh phí"
    assert "chưa nhận đề nghị gia hạn qua email" in text_of(confirmations(box, LAN)[0].raw)


def test_auto_replies_and_our_own_messages_are_ignored(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    put(ctx, out_of_office(digest), out_of_office(digest, auto_submitted=False), digest,
        reply(digest, "Đã hoàn thành", headers={"Precedence": "bulk"}))

    report = jobs.read_inbox(ctx, at_vn(JUNE_2, 9))

    assert (report.read, report.ignored, report.replies, report.sent) == (4, 4, 0, 0)
    assert occurrence(ctx, "4.2-a/SKHDT").progress == Progress.OPEN
    with Session(ctx.engine) as session:
        assert sorted(r.kind for r in session.exec(select(InboundMail))) == ["auto_reply"] * 3 + ["own"]


def test_every_message_leaves_with_a_return_path_naming_it(ctx, mail):
    box, _ = mail
    jobs.run_reminder_day(ctx, JUNE_1)
    replies = ReplyAddresses.from_settings(ctx.settings)
    with Session(ctx.engine) as session:
        ids = {m.message_id: (m.id, m.recipient_email) for m in session.exec(select(Message))}
    assert box.envelopes
    for envelope in box.envelopes:
        message_id, recipient = ids[str(envelope.message["Message-ID"])]
        assert envelope.mail_from == replies.return_path(message_id, recipient)
        assert envelope.mail_from.startswith("dondoc+b") and envelope.mail_from.endswith("@lmhtx.example.org")
        assert str(envelope.message["Reply-To"]) == replies.reply_to(message_id, recipient)


def test_a_hard_bounce_fails_the_message_flags_the_address_and_tells_the_agency_once(ctx, mail, cli):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    envelope = box.to(LAN, "daily")[0]
    put(ctx, delivery_report(digest, return_path=envelope.mail_from, recipient=LAN))

    report = jobs.read_inbox(ctx, at_vn(JUNE_2, 9))

    assert report.bounces == 1
    with Session(ctx.engine) as session:
        message = session.exec(select(Message).where(Message.message_id == str(envelope.message["Message-ID"]))).one()
        assert message.status == MessageStatus.FAILED
        assert message.last_error.startswith(f"bounced: {LAN}: 5.1.1 smtp; 550 5.1.1")
        assert session.exec(select(DeliveryAttempt.outcome).where(DeliveryAttempt.message_id == message.id)).all() == \
            ["sent", "bounced"]
        [flag] = session.exec(select(BouncedAddress)).all()
        assert flag.email == LAN
        assert [d.email for d in dead_addresses(session)] == [LAN]
    # Her colleagues at SKHDT (the deputy and the head) are told, in Vietnamese, once.
    told = box.kind("address_dead")
    assert sorted(e.rcpt_tos[0] for e in told) == ["giamdoc@skhdt.example.org", HUNG]
    assert str(told[0].message["Subject"]) == \
        "[Đôn đốc] Địa chỉ email của Nguyễn Thị Lan (Sở Kế hoạch và Đầu tư) không nhận được thư"
    # Another bounce for her later: the flag is kept up to date, nobody is told again.
    later = digest_to(ctx, box, DEC_24, LAN)
    put(ctx, delivery_report(later, return_path=box.to(LAN, "daily")[-1].mail_from, recipient=LAN))
    jobs.read_inbox(ctx, at_vn(DEC_25, 9))
    assert len(box.kind("address_dead")) == 2
    # Shown where staff and her agency look.
    listed = cli.ok("bounced").output
    assert LAN in listed and "5.1.1" in listed
    cli.ok("bounced", "--clear", LAN)
    with Session(ctx.engine) as session:
        assert not dead_addresses(session)


def test_a_delayed_delivery_report_changes_nothing(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    envelope = box.to(LAN, "daily")[0]
    put(ctx, delivery_report(digest, return_path=envelope.mail_from, recipient=LAN, status="4.4.1", action="delayed",
                             diagnostic="smtp; 451 4.4.1 connection timed out"))
    assert jobs.read_inbox(ctx, at_vn(JUNE_2, 9)).bounces == 1
    with Session(ctx.engine) as session:
        assert session.exec(select(Message.status).where(Message.recipient_email == LAN)).all() == ["sent"]
        assert not session.exec(select(BouncedAddress)).all()
        assert session.exec(select(InboundMail.outcome)).all() == ["delayed"]


def test_a_bounce_whose_return_path_was_rewritten_is_matched_by_its_message_id(ctx, mail):
    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    put(ctx, delivery_report(digest, return_path="dondoc@lmhtx.example.org", recipient=LAN),
        # ... but only for the address it reports: a report naming someone else fails nothing.
        delivery_report(digest_to(ctx, box, JUNE_1, MAI), return_path="dondoc@lmhtx.example.org", recipient=LAN))
    jobs.read_inbox(ctx, at_vn(JUNE_2, 9))
    with Session(ctx.engine) as session:
        statuses = dict(session.exec(select(Message.recipient_email, Message.status)
                                     .where(Message.recipient_email.in_([LAN, MAI]))).all())
        assert statuses == {LAN: "failed", MAI: "sent"}
        assert sorted(session.exec(select(InboundMail.outcome)).all()) == ["failed", "unmatched"]


def test_the_agency_page_and_the_overview_show_a_dead_address(ctx, mail):
    import re

    from fastapi.testclient import TestClient

    from dondoc.web import create_app
    from models.accounts import add_staff_user
    from models.db import transaction

    box, _ = mail
    digest = digest_to(ctx, box, JUNE_1, LAN)
    put(ctx, delivery_report(digest, return_path=box.to(LAN, "daily")[0].mail_from, recipient=LAN))
    jobs.read_inbox(ctx, at_vn(JUNE_2, 9))
    with transaction(ctx.engine) as session:
        add_staff_user(session, email="alice@lmhtx.example.org", name="Alice", password="mật khẩu của Alice",
                       now=at_vn(JUNE_2), actor="test")
    client = TestClient(create_app(ctx))
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    client.post("/signin/password", data=dict(email="alice@lmhtx.example.org", password="mật khẩu của Alice",
                                              csrf=csrf))
    overview = client.get("/overview?today=2015-06-02").text
    assert "Địa chỉ email không nhận được thư (1)" in overview and LAN in overview
    agency = client.get("/agencies/SKHDT").text
    assert "Địa chỉ không nhận được thư" in agency and "02/06/2015" in agency
    assert "Địa chỉ không nhận được thư" not in client.get("/agencies/STC").text


def test_serve_reads_the_mailbox_every_quarter_hour_only_when_one_is_configured(ctx, settings, mail):
    from dondoc.app.service import run_due

    policy = jobs.load_policy(ctx)
    assert "read-inbox" not in [spec.id for spec in jobs.scheduled_jobs(AppContext(settings), policy)]
    [spec] = [spec for spec in jobs.scheduled_jobs(ctx, policy) if spec.id == "read-inbox"]
    assert spec.crons == ("*/15 * * * *",) and spec.schedule == "mỗi 15 phút"
    box, _ = mail
    put(ctx, reply(digest_to(ctx, box, JUNE_1, LAN), "Đã hoàn thành", at=at_vn(JUNE_1, 9)))

    [run] = run_due(ctx, at_vn(JUNE_1, 9, 20), only="read-inbox")

    assert run.fire == at_vn(JUNE_1, 9, 15) and run.error is None
    assert run.summary.startswith("1 read: 1 replies (1 recorded, 0 refused)")
    assert occurrence(ctx, "4.2-a/SKHDT").completed_on == JUNE_1


def test_dondoc_inbox_without_a_mailbox_says_what_to_set(loaded, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    result = loaded("inbox", "--today", "2015-06-02")
    assert result.exit_code == 2
    assert "error: DONDOC_IMAP_HOST: no reply mailbox is configured" in result.output
