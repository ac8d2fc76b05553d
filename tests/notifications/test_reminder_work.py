"""What `dondoc remind` finds to do before it runs (jobs.reminder_work: the sweep read through the plain
tables, without SQLModel) is what the run then does. When it finds nothing, the command runs no flow:
were the check to miss a digest or a due retry, that mail would silently never go out, so these tests
hold the check equal to the run, day after day, and after the directory changes within a day."""
from datetime import date, timedelta

from dondoc.app import jobs
from dondoc.app.context import AppContext

MONDAY, FRIDAY = date(2016, 1, 4), date(2016, 1, 15)


def attempted(report) -> int:
    return report.sent + report.retrying + report.failed


def test_what_remind_finds_to_do_before_each_day_is_what_that_days_run_queues_and_sends(loaded, settings):
    context = AppContext(settings)
    sending_days = 0
    day = MONDAY
    while day <= FRIDAY + timedelta(days=3):  # two weeks and a weekend: working days and days off
        before = jobs.reminder_work(context, day)
        report = jobs.run_reminder_day(context, day)
        assert before.new_digests == report.queued, day
        assert before.due_messages + before.new_digests == attempted(report), day
        assert bool(before) == bool(report.queued or attempted(report)), day
        after = jobs.reminder_work(context, day)  # the same day again: everything went out
        assert (after.new_digests, after.due_messages) == (0, 0), day
        assert attempted(jobs.run_reminder_day(context, day)) == 0, day
        sending_days += report.queued > 0
        day += timedelta(days=1)
    assert sending_days >= 3  # days that did send: else this would prove nothing
    context.close()


def test_a_person_added_after_the_mornings_run_is_found_and_gets_the_days_digest_on_a_rerun(loaded, settings):
    context = AppContext(settings)
    first = jobs.run_reminder_day(context, FRIDAY)
    assert first.queued > 0 and not jobs.reminder_work(context, FRIDAY)
    loaded.ok("people", "add", "SKHDT", "--name", "Trần Văn Mới", "--email", "moi.tv@skhdt.example.org",
              "--reason", "người mới", "--today", "15/01/2016")
    found = jobs.reminder_work(context, FRIDAY)
    assert (found.new_digests, found.due_messages) == (1, 0)
    again = jobs.run_reminder_day(context, FRIDAY)
    assert again.queued == 1 and again.sent == 1
    assert not jobs.reminder_work(context, FRIDAY)
    context.close()


def test_on_a_day_off_only_the_due_sign_in_and_review_links_count_as_work(loaded, settings):
    context = AppContext(settings)
    jobs.queue_reminders(context, FRIDAY)  # queued, not delivered: digests wait for a working day
    saturday = FRIDAY + timedelta(days=1)
    assert jobs.reminder_work(context, saturday).due_messages == 0
    monday = FRIDAY + timedelta(days=3)
    waiting = jobs.reminder_work(context, monday)
    assert waiting.due_messages > 0
    assert attempted(jobs.run_reminder_day(context, monday)) == waiting.due_messages + waiting.new_digests
    context.close()


def test_a_retry_is_work_from_the_minute_it_is_due_and_not_before(loaded, settings):
    from aiosmtpd.controller import Controller

    from models.clock import FixedClock
    from tests.conftest import at_vn
    from tests.review_support import Mailbox, free_port

    port = free_port()  # nobody listens there yet: the morning's attempts fail, retried from 08:15
    context = AppContext(settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=5)),
                         default_clock=FixedClock(at_vn(FRIDAY, 8)))
    morning = jobs.run_reminder_day(context, FRIDAY)
    assert morning.queued > 0 and morning.retrying == morning.queued
    context.default_clock = FixedClock(at_vn(FRIDAY, 8, 14))
    assert not jobs.reminder_work(context, FRIDAY)
    assert jobs.undelivered(context).queued == morning.queued  # not work yet, but still reported as waiting
    context.default_clock = FixedClock(at_vn(FRIDAY, 8, 15))
    assert jobs.reminder_work(context, FRIDAY).due_messages == morning.queued
    controller = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert jobs.run_reminder_day(context, FRIDAY).sent == morning.queued
    finally:
        controller.stop()
    context.close()
