"""Delivery as the probe of issue 26 found it wanting: temporary failures are retried on the real
clock within the same day (and by the service on its own), sign-in links go out on days off too,
a run that leaves anything undelivered says so and exits non-zero, and an earlier day run after a
later one is refused with a message instead of an IntegrityError."""
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from dondoc.app import jobs
from dondoc.app.context import AppContext
from dondoc.app.service import SchedulerService
from models.accounts import focal_person
from models.clock import FixedClock
from models.db import transaction
from models.outbox import Message, MessageStatus
from notifications.signin import send_signin_link
from tests.conftest import at_vn
from tests.review_support import Mailbox, free_port

FRIDAY, SATURDAY = date(2016, 1, 15), date(2016, 1, 16)
LAN = "lan.nt@skhdt.example.org"  # a focal point of SKHDT in the bundled directory


@pytest.fixture
def mail_port():
    """A port where, at first, no mail server listens: `start()` brings one up there."""
    port = free_port()
    servers = []

    class Port:
        number = port

        @staticmethod
        def start() -> Mailbox:
            box = Mailbox()
            controller = Controller(box, hostname="127.0.0.1", port=port)
            controller.start()
            servers.append(controller)
            return box

    yield Port
    for controller in servers:
        controller.stop()


@pytest.fixture
def down_context(loaded, settings, mail_port):
    """The bundled plan, mail going to a server that is down, the clock at 08:00 on Friday 15/01/2016."""
    context = AppContext(settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=mail_port.number,
                                                         smtp_timeout_seconds=5)),
                         default_clock=FixedClock(at_vn(FRIDAY, 8)))
    yield context
    context.close()


def statuses(context) -> dict[str, int]:
    with Session(context.engine) as session:
        found: dict[str, int] = {}
        for status in session.exec(select(Message.status)):
            found[status] = found.get(status, 0) + 1
        return found


def test_after_a_morning_outage_a_rerun_at_0820_sends_what_failed_at_0800(down_context, mail_port):
    morning = jobs.run_reminder_day(down_context, FRIDAY)
    assert morning.queued > 0 and morning.sent == 0 and morning.retrying == morning.queued
    assert morning.waiting.startswith(f"not delivered yet: {morning.queued} queued, next try 08:15 15/01/2016")
    box = mail_port.start()
    down_context.default_clock = FixedClock(at_vn(FRIDAY, 8, 20))
    later = jobs.run_reminder_day(down_context, FRIDAY)
    assert later.queued == 0 and later.sent == morning.queued and later.waiting == ""
    assert box.to(LAN, "daily")
    assert statuses(down_context) == {MessageStatus.SENT: morning.queued}


def test_a_day_run_from_the_past_still_delivers_as_of_its_morning(down_context):
    assert jobs.delivery_moment(FRIDAY, at_vn(date(2026, 12, 6), 10), jobs.load_policy(down_context)) == at_vn(FRIDAY, 8)
    assert jobs.delivery_moment(FRIDAY, at_vn(FRIDAY, 7), jobs.load_policy(down_context)) == at_vn(FRIDAY, 8)
    assert jobs.delivery_moment(FRIDAY, at_vn(FRIDAY, 9, 5), jobs.load_policy(down_context)) == at_vn(FRIDAY, 9, 5)


def test_the_service_retries_on_its_own_within_the_day(down_context, mail_port):
    morning = jobs.run_reminder_day(down_context, FRIDAY)
    box = mail_port.start()
    service = SchedulerService(down_context, clock=FixedClock(at_vn(FRIDAY, 8, 10)))
    assert service.deliver().sent == 0  # the first retry is due at 08:15
    service.clock = FixedClock(at_vn(FRIDAY, 8, 15))
    assert service.deliver().sent == morning.queued
    assert box.to(LAN, "daily") and statuses(down_context) == {MessageStatus.SENT: morning.queued}


def test_a_sign_in_link_that_failed_goes_out_on_a_saturday_and_the_digests_wait_for_monday(down_context, mail_port):
    jobs.run_reminder_day(down_context, FRIDAY)  # digests queued, not delivered
    saturday = at_vn(SATURDAY, 10)
    with Session(down_context.engine) as session:
        person = focal_person(session, LAN)
    failed = send_signin_link(down_context.engine, down_context.settings, person=person, now=saturday,
                              policy=jobs.load_policy(down_context).reminders)
    assert failed.sent == 0 and failed.retrying == 1
    box = mail_port.start()
    delivered = jobs.deliver(down_context, at_vn(SATURDAY, 10, 20))
    assert delivered.sent == 1 and [m.kind for m in box.messages] == ["signin"]
    with Session(down_context.engine) as session:
        assert {m.status for m in session.exec(select(Message).where(Message.kind == "daily"))} == {MessageStatus.QUEUED}


def test_a_full_outbox_folder_leaves_every_message_queued_not_claimed_and_says_so(loaded, settings):
    context = AppContext(settings, default_clock=FixedClock(at_vn(FRIDAY, 8)))
    settings.outbox_dir.mkdir(parents=True)
    (settings.outbox_dir / FRIDAY.isoformat()).write_text("a file where the day's folder goes: writes fail")
    report = jobs.run_reminder_day(context, FRIDAY)
    assert report.sent == 0 and report.retrying == report.queued > 0
    assert any("cannot write the outbox folder" in error for error in report.errors)
    assert statuses(context) == {MessageStatus.QUEUED: report.queued}  # none left "sending"
    assert report.waiting.startswith(f"not delivered yet: {report.queued} queued")
    context.close()


def test_messages_left_claimed_by_a_dispatcher_that_stopped_are_reported_as_waiting(loaded, settings):
    context = AppContext(settings, default_clock=FixedClock(at_vn(FRIDAY, 8)))
    queued = jobs.queue_reminders(context, FRIDAY).queued
    with transaction(context.engine) as session:
        for message in session.exec(select(Message)):
            message.status, message.claimed_by, message.claimed_at = MessageStatus.SENDING, "gone:1:x", at_vn(FRIDAY, 8)
    within_the_lease, after_it = FixedClock(at_vn(FRIDAY, 8, 5)), FixedClock(at_vn(FRIDAY, 8, 11))
    # A live dispatcher elsewhere is sending them: not this run's failure, theirs to report.
    assert jobs.undelivered(context, within_the_lease).describe() == ""
    assert jobs.undelivered(context, after_it).describe() == (
        f"not delivered yet: {queued} claimed by a dispatcher that stopped (sent again once the claim expires)")
    context.close()


def test_messages_this_process_claimed_and_did_not_send_are_waiting_at_once(loaded, settings):
    from notifications.dispatch import worker_name

    context = AppContext(settings, default_clock=FixedClock(at_vn(FRIDAY, 8)))
    queued = jobs.queue_reminders(context, FRIDAY).queued
    with transaction(context.engine) as session:  # a failed attempt of this very process (a retried task)
        for message in session.exec(select(Message)):
            message.status, message.claimed_by, message.claimed_at = MessageStatus.SENDING, worker_name(), at_vn(FRIDAY, 8)
    assert jobs.undelivered(context, FixedClock(at_vn(FRIDAY, 8, 1))).stuck == queued
    context.close()


# --- the command's exit code ------------------------------------------------------------------------

def test_remind_exits_non_zero_and_says_what_waits_when_the_mail_server_is_down(loaded, settings, mail_port, monkeypatch):
    from tests.conftest import Cli
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")

    down = Cli(settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=mail_port.number)))
    result = down("remind", "--today", FRIDAY.isoformat())
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: not delivered yet: ") and "queued, next try 08:15 15/01/2016" in last


def test_remind_exits_non_zero_when_the_outbox_folder_cannot_be_written(loaded, settings, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")
    settings.outbox_dir.mkdir(parents=True)
    (settings.outbox_dir / FRIDAY.isoformat()).write_text("blocks the day's folder")
    result = loaded("remind", "--today", FRIDAY.isoformat())
    assert result.exit_code == 1, result.output
    assert "cannot write the outbox folder" in result.output and "error: not delivered yet: " in result.output


def test_an_earlier_day_after_a_later_one_is_refused_with_one_line_and_nothing_written(loaded, settings, monkeypatch):
    monkeypatch.setenv("DONDOC_LANGUAGE", "en")  # the English message is the one checked here
    context = AppContext(settings)
    jobs.run_reminder_day(context, FRIDAY)
    with Session(context.engine) as session:
        before = len(session.exec(select(Message)).all())
    result = loaded("remind", "--today", "2016-01-11")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "error: --today: the reminders of 15/01/2016 have run already; an earlier day (11/01/2016) cannot run after a "
        "later one (what it would have sent went out in the later digests)"]
    with Session(context.engine) as session:
        assert len(session.exec(select(Message)).all()) == before
    assert jobs.run_reminder_day(context, FRIDAY).queued == 0  # the same day again: nothing new, no error
    context.close()


def test_the_queueing_itself_refuses_an_earlier_day_whoever_calls_it(loaded, settings):
    from config.errors import InputError

    context = AppContext(settings)
    jobs.queue_reminders(context, FRIDAY)
    with pytest.raises(InputError, match="cannot run after a later one"):
        jobs.queue_reminders(context, date(2016, 1, 11))
    context.close()
