"""The scheduler service: its job table, catch-up after downtime, the lease (one scheduler per
database), the annual review opening by itself, the real APScheduler on the test database.
Time travels through a FixedClock; mail goes to a real SMTP server on loopback (aiosmtpd)."""
import json
import time as walltime
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from config.policy import read_policy
from dondoc.app.context import AppContext
from dondoc.app.scheduling import acts_on, due_fire, fires_between, job_by_id, job_table, next_fire
from dondoc.app.service import SchedulerService, run_due
from models.clock import FixedClock, SystemClock
from models.review.tables import ReviewCycle
from models.scheduler import (
    LeaseHeld, LeaseLost, acquire_lease, current_lease, last_runs, record_run, release_lease, renew_lease,
)
from tests.conftest import CONFIG_DIR, at_vn

POLICY = read_policy(CONFIG_DIR / "policy.yaml")
LAN = "lan.nt@skhdt.example.org"
TTL = timedelta(seconds=180)
T0 = datetime(2026, 11, 27, 21, 0, tzinfo=timezone.utc)


def ran(runs) -> list[tuple[str, date]]:
    return [(r.job, r.day) for r in runs if r.error is None]


# --- the job table ---------------------------------------------------------------------------

def test_every_job_fires_at_the_sending_hour_in_vietnam_time_whatever_the_hosts_zone():
    evening_utc = datetime(2026, 10, 31, 20, 0, tzinfo=timezone.utc)  # already 03:00 on 01/11 in Vietnam
    for spec in job_table(POLICY):
        fire = next_fire(spec, evening_utc)
        assert (fire.hour, fire.minute, fire.utcoffset()) == (8, 0, timedelta(hours=7)), spec.id
    assert next_fire(job_by_id(POLICY, "send-reminders"), evening_utc).date() == date(2026, 11, 1)
    assert next_fire(job_by_id(POLICY, "review-open"), evening_utc).date() == date(2026, 11, 1)


def test_the_review_jobs_fire_on_their_dates_open_chase_and_compile():
    june = at_vn(date(2026, 6, 1))
    assert next_fire(job_by_id(POLICY, "review-open"), june).date() == date(2026, 11, 1)
    assert next_fire(job_by_id(POLICY, "review-compile"), june).date() == date(2026, 12, 15)
    chase = fires_between(job_by_id(POLICY, "review-chase"), june, at_vn(date(2026, 12, 31)))
    assert (chase[0].date(), chase[-1].date(), len(chase)) == (date(2026, 11, 2), date(2026, 12, 14), 43)
    # The chase job runs daily in the window but acts on the reminder rhythm: 7 days before 30/11 first.
    assert acts_on(job_by_id(POLICY, "review-chase"), POLICY, now=june) == date(2026, 11, 23)


def test_a_changed_sending_hour_moves_every_job():
    policy = POLICY.model_copy(deep=True)
    policy.reminders.sending_hour = policy.reminders.sending_hour.replace(hour=7, minute=30)
    assert all(expr.startswith("30 7 ") for spec in job_table(policy) for expr in spec.crons)


def test_missed_runs_are_coalesced_into_the_latest_one_and_a_job_that_never_ran_looks_back_a_week():
    daily, week = job_by_id(POLICY, "send-reminders"), timedelta(days=7)
    friday_9am = at_vn(date(2016, 1, 15), 9)
    assert due_fire(daily, last_fire=at_vn(date(2016, 1, 11)), now=friday_9am, catch_up=week) == at_vn(date(2016, 1, 15))
    assert due_fire(daily, last_fire=at_vn(date(2016, 1, 15)), now=friday_9am, catch_up=week) is None
    assert due_fire(daily, last_fire=at_vn(date(2016, 1, 14)), now=at_vn(date(2016, 1, 15), 7), catch_up=week) is None
    assert due_fire(daily, last_fire=None, now=friday_9am, catch_up=week) == at_vn(date(2016, 1, 15))
    opening = job_by_id(POLICY, "review-open")
    assert due_fire(opening, last_fire=None, now=at_vn(date(2016, 11, 20)), catch_up=week) is None
    assert due_fire(opening, last_fire=at_vn(date(2015, 11, 1)), now=at_vn(date(2016, 11, 20)),
                    catch_up=week) == at_vn(date(2016, 11, 1)), "once it has run, any gap is caught up"


# --- catch-up, exactly once --------------------------------------------------------------------

def test_a_service_stopped_for_days_catches_up_exactly_once_when_it_comes_back(context, smtp):
    box, _ = smtp
    clock = FixedClock(at_vn(date(2015, 10, 30), 8, 1))  # Friday, just after the sending hour
    service = SchedulerService(context, clock=clock)
    assert ran(service.tick()) == [("send-reminders", date(2015, 10, 30))]
    assert service.tick() == [], "the same moment again runs nothing"
    assert box.to(LAN, "daily")
    box.clear()
    # Stopped after Friday's run; back on Wednesday 25/11 at 09:30: 26 days of runs missed, among them
    # the review's opening (01/11) and the "7 days before" reminder of the 30/11 check-ins (23/11).
    clock.moment = at_vn(date(2015, 11, 25), 9, 30)
    back = SchedulerService(context, clock=clock)
    assert ran(back.tick()) == [("review-open", date(2015, 11, 1)), ("review-chase", date(2015, 11, 25)),
                                ("send-reminders", date(2015, 11, 25))]
    digests = Counter(r for m in box.messages if m.kind == "daily" for r in m.to)
    assert digests[LAN] == 1 and max(digests.values()) == 1, "one digest each, the missed days folded in"
    assert "SẮP ĐẾN HẠN" in box.to(LAN, "daily")[0].text and "còn 5 ngày" in box.to(LAN, "daily")[0].text
    assert len(box.to(LAN, "review_request")) == 1
    sent = len(box.messages)
    assert back.tick() == [] and run_due(context, at_vn(date(2015, 11, 25), 23, 59)) == []
    assert len(box.messages) == sent, "never doubled"
    assert last_runs(context.engine)["send-reminders"].day == date(2015, 11, 25)
    clock.moment = at_vn(date(2015, 11, 26), 8, 0)
    assert ran(back.tick()) == [("review-chase", date(2015, 11, 26)), ("send-reminders", date(2015, 11, 26))]
    assert box.to(LAN, "daily")[1:] == [], "the missed reminder went out once; nothing more until the next one"


def test_a_failing_job_is_not_recorded_and_runs_again_at_the_next_start(context, settings, smtp):
    broken = AppContext(context.settings.model_copy(update={"policy_file": settings.data_dir / "missing.yaml"}))
    try:
        with pytest.raises(Exception):
            run_due(broken, at_vn(date(2016, 1, 15), 9))
    finally:
        broken.close()
    assert last_runs(context.engine) == {}
    assert ("send-reminders", date(2016, 1, 15)) in ran(run_due(context, at_vn(date(2016, 1, 15), 9)))


def test_the_annual_review_opens_by_itself_on_1_november(context, smtp):
    box, _ = smtp
    clock = FixedClock(at_vn(date(2016, 10, 28), 8, 0))
    service = SchedulerService(context, clock=clock)
    while clock.now() < at_vn(date(2016, 11, 2), 8, 0):  # the service's clock, hour by hour
        service.tick()
        if clock.now().date() < date(2016, 11, 1):
            assert box.to(LAN, "review_request") == []
        clock.advance(timedelta(hours=1))
    [request] = box.to(LAN, "review_request")
    assert "sơ kết năm 2016" in request.subject and "30/11/2016" in request.subject
    assert len(box.recipients("review_request")) >= 24
    assert last_runs(context.engine)["review-open"].day == date(2016, 11, 1)
    with Session(context.engine) as session:
        [cycle] = session.exec(select(ReviewCycle)).all()
    assert (cycle.year, cycle.opens_on) == (2016, date(2016, 11, 1))


def test_a_service_down_across_1_november_still_opens_the_review_when_it_comes_back(context, smtp):
    box, _ = smtp
    clock = FixedClock(at_vn(date(2016, 10, 20), 9))
    service = SchedulerService(context, clock=clock)
    service.tick()
    clock.moment = at_vn(date(2016, 11, 4), 7, 30)  # back on Friday 04/11 (15 days later), before the sending hour
    runs = ran(service.tick())
    assert ("review-open", date(2016, 11, 1)) in runs and ("review-chase", date(2016, 11, 3)) in runs
    assert len(box.to(LAN, "review_request")) == 1
    assert ran(service.tick()) == []


def test_a_service_down_across_the_report_day_still_compiles_the_report(context, smtp):
    clock = FixedClock(at_vn(date(2016, 11, 1), 9))
    service = SchedulerService(context, clock=clock)
    service.tick()
    clock.moment = at_vn(date(2016, 12, 20), 9)  # the cycle closed at the end of 15/12
    assert ("review-compile", date(2016, 12, 15)) in ran(service.tick())
    reports = sorted((context.settings.data_dir / "reviews").glob("bao-cao-so-ket-*-2016.*"))
    assert [p.suffix for p in reports] == [".docx", ".xlsx"]


# --- the lease ---------------------------------------------------------------------------------

def test_a_second_scheduler_is_refused_naming_the_holder(engine):
    acquire_lease(engine, holder="host-a:101", now=T0, ttl=TTL)
    with pytest.raises(LeaseHeld) as refused:
        acquire_lease(engine, holder="host-b:202", now=T0 + timedelta(seconds=30), ttl=TTL)
    assert "host-a:101" in str(refused.value)
    assert current_lease(engine).holder == "host-a:101"


def test_a_lease_renewed_in_time_stays_with_its_holder(engine):
    acquire_lease(engine, holder="host-a:101", now=T0, ttl=TTL)
    renew_lease(engine, holder="host-a:101", now=T0 + timedelta(seconds=170), ttl=TTL)
    with pytest.raises(LeaseHeld):
        acquire_lease(engine, holder="host-b:202", now=T0 + timedelta(seconds=200), ttl=TTL)
    assert acquire_lease(engine, holder="host-a:101", now=T0 + timedelta(seconds=210), ttl=TTL).holder == "host-a:101"


def test_an_expired_lease_left_by_a_crashed_process_is_taken_over(engine):
    acquire_lease(engine, holder="host-a:101", now=T0, ttl=TTL)  # then host-a dies without releasing
    taken = acquire_lease(engine, holder="host-b:202", now=T0 + TTL + timedelta(seconds=1), ttl=TTL)
    assert taken.holder == "host-b:202"
    with pytest.raises(LeaseLost):
        renew_lease(engine, holder="host-a:101", now=T0 + TTL + timedelta(seconds=2), ttl=TTL)
    assert not release_lease(engine, holder="host-a:101"), "the old holder cannot release the new one's lease"
    assert current_lease(engine).holder == "host-b:202"


def test_a_released_lease_is_free_at_once(engine):
    acquire_lease(engine, holder="host-a:101", now=T0, ttl=TTL)
    assert release_lease(engine, holder="host-a:101")
    assert acquire_lease(engine, holder="host-b:202", now=T0 + timedelta(seconds=1), ttl=TTL).holder == "host-b:202"


def test_a_run_record_only_moves_forward(engine):
    assert record_run(engine, job="send-reminders", fire=at_vn(date(2016, 1, 15)), day=date(2016, 1, 15),
                      finished_at=at_vn(date(2016, 1, 15), 9))
    assert not record_run(engine, job="send-reminders", fire=at_vn(date(2016, 1, 14)), day=date(2016, 1, 14),
                          finished_at=at_vn(date(2016, 1, 15), 9))
    assert last_runs(engine)["send-reminders"].last_fire == at_vn(date(2016, 1, 15))


# --- the real APScheduler on the test database -------------------------------------------------

def wait_for(condition, seconds=20.0):
    deadline = walltime.monotonic() + seconds
    while walltime.monotonic() < deadline:
        if condition():
            return True
        walltime.sleep(0.05)
    return condition()


def test_the_real_scheduler_keeps_its_jobs_in_the_database_catches_up_at_start_and_fires_a_stored_job(context):
    clock = FixedClock(at_vn(date(2016, 1, 15), 9))
    service = SchedulerService(context, clock=clock)
    service.start()
    try:
        assert wait_for(lambda: "send-reminders" in last_runs(context.engine)), "the catch-up ran at start"
        with context.engine.connect() as connection:
            stored = dict(connection.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all())
        assert set(stored) == {"review-open", "review-chase", "review-compile", "send-reminders"}
        assert all(stored.values())
        with pytest.raises(LeaseHeld):
            SchedulerService(context, clock=clock).start()
        # The next morning: the stored job fires (made due now) and runs the new day through the service.
        clock.advance(timedelta(days=1))
        service.scheduler.modify_job("send-reminders", next_run_time=SystemClock().now())
        assert wait_for(lambda: last_runs(context.engine)["send-reminders"].day == date(2016, 1, 16))
    finally:
        service.stop()
    assert current_lease(context.engine) is None, "a clean stop releases the lease"


def test_jobs_stored_before_the_service_moved_to_dondoc_app_are_replaced_at_start_without_an_error(context, caplog):
    import pickle

    clock = FixedClock(at_vn(date(2016, 1, 15), 9))
    service = SchedulerService(context, clock=clock)
    service.start()
    try:
        assert wait_for(lambda: "send-reminders" in last_runs(context.engine)), "the catch-up ran at start"
    finally:
        service.stop()
    with context.engine.begin() as connection:  # as an older dondoc stored them: dondoc.service:fire
        for job_id, state in connection.execute(text("SELECT id, job_state FROM apscheduler_jobs")).all():
            old = pickle.loads(state)
            old["func"] = "dondoc.service:fire"
            connection.execute(text("UPDATE apscheduler_jobs SET job_state = :state WHERE id = :id"),
                               {"state": pickle.dumps(old), "id": job_id})
    service = SchedulerService(context, clock=clock)
    service.start()
    try:
        assert wait_for(lambda: service.scheduler.get_job("catch-up") is None), "the catch-up ran at start"
        assert {job.func_ref for job in service.scheduler.get_jobs(jobstore="default")} == {"dondoc.app.service:fire"}
    finally:
        service.stop()
    assert "Unable to restore job" not in caplog.text


def test_a_service_that_cannot_start_gives_its_lease_back_at_once(context, settings):
    broken = AppContext(context.settings.model_copy(update={"policy_file": settings.data_dir / "missing.yaml"}))
    try:
        with pytest.raises(Exception):
            SchedulerService(broken).start()
        assert current_lease(broken.engine) is None
    finally:
        broken.close()


def test_a_service_whose_lease_was_taken_over_stops(context):
    wall = FixedClock(T0)
    lost = []
    service = SchedulerService(context, clock=FixedClock(at_vn(date(2016, 1, 15), 9)), wall_clock=wall,
                               on_lost=lambda: lost.append(True))
    acquire_lease(context.engine, holder=service.holder, now=T0, ttl=service.lease_ttl)
    acquire_lease(context.engine, holder="host-b:202", now=T0 + service.lease_ttl + timedelta(seconds=1), ttl=TTL)
    wall.advance(service.lease_ttl + timedelta(seconds=2))
    service.renew()
    assert service.lost and lost == [True]
    service.stop()
    assert current_lease(context.engine).holder == "host-b:202"


# --- the command -------------------------------------------------------------------------------

def test_schedule_list_shows_each_job_with_its_next_run_and_the_day_review_jobs_act(loaded):
    table = loaded.ok("schedule", "list", "--today", "2016-01-15").stdout
    assert "send-reminders" in table and "15/01/2016 08:00" in table
    assert "01/11/2016 08:00" in table and "23/11/2016" in table and "15/12/2016" in table
    assert "Bộ lập lịch: không chạy" in table  # Vietnamese by default
    rows = {r["job"]: r for r in json.loads(loaded.ok("schedule", "list", "--today", "2016-11-24",
                                                      "--format", "json").stdout)}
    assert rows["review-chase"]["next_run"] == "24/11/2016 08:00" and rows["review-chase"]["acts_on"] == "2016-11-29"
    assert rows["review-open"]["next_run"] == "01/11/2017 08:00"
    assert rows["send-reminders"]["crons"] == ["0 8 * * *"] and rows["send-reminders"]["timezone"] == "Asia/Ho_Chi_Minh"


def test_bad_input_to_the_scheduling_commands_is_one_clear_line(cli, monkeypatch):
    bad_day = cli("schedule", "list", "--today", "15.01.2016")  # neither dd/mm/yyyy nor YYYY-MM-DD
    assert bad_day.exit_code == 2 and "--today" in bad_day.output and "Traceback" not in bad_day.output
    engine = cli("serve", "--engine", "celery")
    assert engine.exit_code == 2 and "apscheduler" in engine.output
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    deploy = cli("deploy")
    assert deploy.exit_code == 2 and "PREFECT_API_URL" in deploy.output  and "Traceback" not in deploy.output


def test_a_running_service_logs_that_a_changed_job_time_needs_a_restart_and_other_edits_apply_next_run(context, settings):
    import os
    import shutil
    policy = settings.data_dir / "policy.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG_DIR / "policy.yaml", policy)
    edited = AppContext(context.settings.model_copy(update={"policy_file": policy}))
    service = SchedulerService(edited, clock=FixedClock(at_vn(date(2016, 1, 15), 7)))
    try:
        service.start()
        assert service.check_policy() is None  # unchanged
        text_before = policy.read_text(encoding="utf-8")
        policy.write_text(text_before.replace('sending_hour: "08:00"', 'sending_hour: "09:30"'), encoding="utf-8")
        os.utime(policy, (walltime.time() + 5, walltime.time() + 5))
        assert "restart dondoc serve" in service.check_policy()
        policy.write_text(text_before, encoding="utf-8")  # back to the times the service runs with
        os.utime(policy, (walltime.time() + 10, walltime.time() + 10))
        assert service.check_policy().endswith("changed: the next runs use it")
    finally:
        service.stop()
        edited.close()
