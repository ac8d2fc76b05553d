"""A real SMTP server on loopback (aiosmtpd) made to misbehave for one recipient in the middle of a
batch: each fault ends in its documented outbox state (docs/staff-guide.md, "Deadline reminders"), and the
recipients after it still get their mail."""
import asyncio
import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from config.policy import ReminderPolicy
from models.clock import VN_TZ
from models.outbox import DeliveryAttempt, Message, MessageStatus
from notifications.dispatch import dispatch
from notifications.transports import SmtpTransport
from tests.conftest import Cli, at_vn
from tests.outbox_support import ConnectionMailbox, close_after_reply, drop_now, fill_outbox, start_server

NOW = at_vn(date(2016, 1, 15))
POLICY = ReminderPolicy()  # first retry after 15 minutes
TIMEOUT = 0.5  # seconds: DONDOC_SMTP_TIMEOUT_SECONDS for these tests
HAI = "hai.tv@pacnam.example.org"  # the recipient the server misbehaves for
EVERYONE = ["alice@example.org", "bob@example.org", HAI, "charlie@example.org", "dung@example.org"]


class Misbehaving(ConnectionMailbox):
    """Accepts everything, except that the first time it sees HAI it does `fault`."""

    def __init__(self, fault: str):
        super().__init__()
        self.fault, self.done = fault, False

    def _now(self, fault: str) -> bool:
        if self.fault == fault and not self.done:
            self.done = True
            return True
        return False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == HAI:
            if self.fault == "550":
                return "550 5.1.1 No such mailbox here"
            if self._now("421"):
                close_after_reply(server)
                return "421 4.3.2 Service shutting down, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if HAI in envelope.rcpt_tos:
            if self._now("451"):
                return "451 4.3.0 Temporary local problem, try again later"
            if self._now("drop"):
                drop_now(server)  # the content has come in; no answer, the connection is gone
                return "250 OK (never said: nobody is listening)"
            if self._now("stall"):
                await asyncio.sleep(TIMEOUT * 3)
                return "250 OK (too late: the client gave up)"
        return await super().handle_DATA(server, session, envelope)


def send_batch(settings, engine, fault: str):
    box = Misbehaving(fault)
    controller = start_server(box)
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port,
                                       "smtp_timeout_seconds": TIMEOUT})
    ids = fill_outbox(engine, len(EVERYONE), now=NOW, names=EVERYONE)
    try:
        report = dispatch(engine, SmtpTransport(smtp), now=NOW, policy=POLICY)
        later = {}
        for minutes in (14, 15):  # before and at the retry time
            later[minutes] = dispatch(engine, SmtpTransport(smtp), now=NOW + timedelta(minutes=minutes), policy=POLICY)
    finally:
        controller.stop()
    with Session(engine) as session:
        hai = session.exec(select(Message).where(Message.recipient_email == HAI)).one()
        attempts = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.message_id == hai.id)
                                .order_by(DeliveryAttempt.id)).all()
    return box, report, later, hai, attempts, ids


def arrived(box) -> list[str]:
    return [m.to[0] for m in box.messages]


@pytest.mark.parametrize("fault, reply", [
    ("421", "421 4.3.2 Service shutting down"),
    ("drop", "SMTPServerDisconnected"),
    ("451", "451 4.3.0 Temporary local problem"),
    ("stall", "timeout"),
])
def test_a_temporary_fault_keeps_the_message_queued_for_a_retry_and_the_rest_of_the_batch_goes_out(
        settings, engine, fault, reply):
    box, report, later, hai, attempts, _ = send_batch(settings, engine, fault)
    assert arrived(box)[:4] == [a for a in EVERYONE if a != HAI], "everyone after the fault got their mail too"
    assert (report.sent, report.retrying, report.failed) == (4, 1, 0)
    assert (later[14].sent, later[15].sent) == (0, 1), "retried at its retry time, not before"
    assert arrived(box)[4:] == [HAI]
    [first, second] = attempts
    assert (first.outcome, second.outcome) == ("temporary", "sent")
    assert reply in first.detail and second.detail.startswith("250")
    assert hai.status == MessageStatus.SENT and hai.attempts == 2


@pytest.mark.parametrize("fault, connections", [("421", 3), ("drop", 3), ("451", 2), ("stall", 3)])
def test_the_dispatcher_opens_a_new_connection_only_after_the_server_closed_or_lost_the_old_one(
        settings, engine, fault, connections):
    box, *_ = send_batch(settings, engine, fault)
    # The first batch over one connection (two when the fault ended it), the retry over one more.
    assert len(set(box.connections)) == connections


def test_a_temporary_fault_leaves_the_message_queued_with_its_retry_time_and_the_reply_recorded(settings, engine):
    box = Misbehaving("451")
    controller = start_server(box)
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    fill_outbox(engine, len(EVERYONE), now=NOW, names=EVERYONE)
    try:
        report = dispatch(engine, SmtpTransport(smtp), now=NOW, policy=POLICY)
    finally:
        controller.stop()
    with Session(engine) as session:
        hai = session.exec(select(Message).where(Message.recipient_email == HAI)).one()
    assert report.errors == [f"{HAI}: 451 4.3.0 Temporary local problem, try again later"]
    assert (hai.status, hai.attempts, hai.claimed_by) == (MessageStatus.QUEUED, 1, None)
    # (SQLite keeps the wall time without its offset; PostgreSQL keeps the moment)
    retry_at = hai.next_attempt_at if hai.next_attempt_at.tzinfo else hai.next_attempt_at.replace(tzinfo=VN_TZ)
    assert retry_at == NOW + timedelta(minutes=15)
    assert hai.last_error.startswith("451")
    listed = json.loads(Cli(settings).ok("outbox", "--status", "queued", "--format", "json").stdout)
    assert [(m["to"], m["attempts"]) for m in listed] == [(HAI, 1)]


def test_a_550_for_one_recipient_of_several_fails_that_message_for_good_and_lists_it_as_failed(settings, engine):
    box, report, later, hai, attempts, _ = send_batch(settings, engine, "550")
    assert arrived(box) == [a for a in EVERYONE if a != HAI]
    assert (report.sent, report.retrying, report.failed) == (4, 0, 1)
    assert later[15].sent == later[15].failed == 0, "a permanent failure is never retried"
    assert (hai.status, hai.attempts) == (MessageStatus.FAILED, 1)
    assert [(a.outcome, a.detail) for a in attempts] == [("permanent", "550 5.1.1 No such mailbox here")]
    assert len(set(box.connections)) == 1, "a refused recipient does not cost the connection"
    failed = json.loads(Cli(settings).ok("outbox", "--status", "failed", "--format", "json").stdout)
    assert [(m["to"], m["status"], m["error"]) for m in failed] == [(HAI, "failed", "550 5.1.1 No such mailbox here")]
