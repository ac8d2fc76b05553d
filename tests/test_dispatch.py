"""The dispatcher: nothing lost, nothing sent twice, even with two at once or after a crash."""
import threading
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from dondoc import jobs
from dondoc.context import AppContext
from models.clock import FixedClock
from models.outbox import Message, MessageStatus
from tests.conftest import at_vn
from notifications.dispatch import dispatch
from notifications.transports import SmtpTransport
from tests.review_support import start_smtp


def queued_day(loaded, settings):
    """15/01/2016's digests queued, not yet sent."""
    context = AppContext(settings)
    swept = jobs.queue_reminders(context, date(2016, 1, 15))
    assert swept.queued > 20
    return context, swept.queued


def test_two_dispatchers_at_once_send_every_message_exactly_once(loaded, settings):
    controller, box = start_smtp()
    smtp_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    context, queued = queued_day(loaded, smtp_settings)
    policy = jobs.load_policy(context)
    now = jobs.sending_time(date(2016, 1, 15), policy)
    reports = []

    def run():
        reports.append(dispatch(context.engine, SmtpTransport(smtp_settings), now=now, policy=policy.reminders,
                                batch=5))

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        controller.stop()
        context.close()
    assert sum(r.sent for r in reports) == queued
    ids = Counter(m.to[0] for m in box.messages)
    assert len(box.messages) == queued and max(ids.values()) == 1


def test_a_message_whose_dispatcher_died_mid_send_is_sent_again_with_the_same_message_id(loaded, settings):
    controller, box = start_smtp()
    smtp_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port})
    context, queued = queued_day(loaded, smtp_settings)
    policy = jobs.load_policy(context)
    now = jobs.sending_time(date(2016, 1, 15), policy)
    wall = FixedClock(at_vn(date(2026, 11, 27), 9, 0))  # claims expire in real time, not plan time
    try:
        with Session(context.engine) as session:
            first = session.exec(select(Message).order_by(Message.id)).first()
            first_id, first_to, first_mid = first.id, first.recipient_email.lower(), first.message_id
            # As a dispatcher killed after claiming leaves it: "sending", claimed long ago.
            session.exec(update(Message).where(Message.id == first_id).values(
                status=MessageStatus.SENDING, claimed_by="dead:1", claimed_at=wall.now() - timedelta(hours=1)))
            session.commit()
        fresh = dispatch(context.engine, SmtpTransport(smtp_settings), now=now, policy=policy.reminders,
                         lease=timedelta(hours=2), wall_clock=wall)
        assert fresh.sent == queued - 1, "a live claim is left alone"
        recovered = dispatch(context.engine, SmtpTransport(smtp_settings), now=now, policy=policy.reminders,
                             lease=timedelta(minutes=10), wall_clock=wall)
        assert recovered.sent == 1
        with Session(context.engine) as session:
            assert session.get(Message, first_id).status == MessageStatus.SENT
        resent = [m for m in box.messages if first_to in m.to]
        assert len(resent) == 1 and resent[0].message_id == first_mid
    finally:
        controller.stop()
        context.close()
