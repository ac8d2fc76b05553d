"""Deadline reminders end to end, over a real SMTP server on loopback (aiosmtpd)."""
import gc
import json
import re
from collections import Counter
from datetime import date, timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import event, inspect
from sqlmodel import Session, select

from config.policy import ReminderPolicy, read_policy
from dondoc.app import jobs
from dondoc.app.context import AppContext
from models.agency import FocalPoint
from models.occurrence import Occurrence
from models.outbox import Message, MessageStatus, OutboxItem
from models.plan import Task
from models.reminders import is_escalated, latest_firing, latest_nagged_since, overdue_nag
from models.workdays import WorkCalendar
from notifications.daily import plan_daily_digests
from notifications.render import render
from tests.conftest import CONFIG_DIR, Cli
from tests.review_support import Mailbox, free_port

POLICY = read_policy(CONFIG_DIR / "policy.yaml")
CALENDAR = WorkCalendar.from_policy(POLICY.working_days)
LAN = "lan.nt@skhdt.example.org"  # primary focal point of the Department of Planning and Investment
PETER = "peter.nguyen@sttt.example.org"  # reads English
THANH = "thanh.ht@lmhtx.example.org"  # Alliance staff
PAC_NAM = "hai.tv@pacnam.invalid"  # Pác Nặm district's focal point


def run(context, day: date):
    return jobs.run_reminder_day(context, day)


def per_recipient(box: Mailbox) -> Counter:
    return Counter(r for m in box.messages for r in m.to)


# --- the pure rules -------------------------------------------------------------------------

def test_reminders_fire_30_7_and_1_days_before_and_on_the_due_day():
    due = date(2016, 6, 30)  # a Thursday
    policy = ReminderPolicy()
    fired = {day: latest_firing(due, day, policy, CALENDAR) for day in (date(2016, 5, 31), date(2016, 6, 23),
                                                                        date(2016, 6, 29), due)}
    assert [f.rule for f in fired.values()] == ["before:30", "before:7", "before:1", "due"]


def test_a_reminder_that_falls_on_a_day_off_goes_on_the_working_day_before():
    # 10/02/2016 is in Tết: 8-12/02 are holidays and 6-7/02 a weekend, so it goes on Friday 05/02.
    assert CALENDAR.on_or_before(date(2016, 2, 10)) == date(2016, 2, 5)
    firing = latest_firing(date(2016, 2, 17), date(2016, 2, 5), ReminderPolicy(), CALENDAR)
    assert (firing.rule, firing.fire_date) == ("before:7", date(2016, 2, 5))


def test_an_overdue_occurrence_is_reminded_every_7_days_after_the_last_reminder():
    due, policy = date(2015, 12, 31), ReminderPolicy()
    assert overdue_nag(due, due, date(2016, 1, 6), policy, CALENDAR) is None
    assert overdue_nag(due, due, date(2016, 1, 7), policy, CALENDAR).fire_date == date(2016, 1, 7)
    assert overdue_nag(due, date(2016, 1, 7), date(2016, 1, 13), policy, CALENDAR) is None
    assert overdue_nag(due, None, date(2016, 3, 1), policy, CALENDAR) is not None, "never reminded: now"


def test_the_latest_day_nagged_today_agrees_with_the_overdue_rule_on_every_day_of_two_years():
    policy = POLICY.reminders
    day = date(2016, 1, 1)
    while day < date(2018, 1, 1):
        if CALENDAR.is_working_day(day):
            up_to = latest_nagged_since(day, policy, CALENDAR)
            for since in (up_to - timedelta(days=1), up_to, up_to + timedelta(days=1)):
                if since < day:
                    nagged = overdue_nag(since, None, day, policy, CALENDAR) is not None
                    assert nagged == (since <= up_to), (day, since, up_to)
        day += timedelta(days=1)


def test_the_head_is_added_from_14_days_overdue():
    policy = ReminderPolicy()
    assert not is_escalated(date(2015, 12, 31), date(2016, 1, 13), policy)
    assert is_escalated(date(2015, 12, 31), date(2016, 1, 14), policy)


# --- over a real SMTP server ----------------------------------------------------------------

def test_a_digest_arrives_with_its_vietnamese_subject_and_body_intact(context, smtp):
    box, _ = smtp
    report = run(context, date(2016, 1, 15))
    assert report.sent == report.queued > 0
    [digest] = box.to(LAN)
    assert digest.subject.startswith("[Đôn đốc]") and "nhiệm vụ quá hạn" in digest.subject
    assert "15/01/2016" in digest.subject
    assert "3.1.1-b: Tham mưu ban hành cơ chế, chính sách hỗ trợ phát triển kinh tế tập thể" in digest.text
    assert "Hạn: 31/12/2015 — quá hạn 15 ngày" in digest.text
    assert re.search(r"Báo cáo kết quả: http://127\.0\.0\.1:8000/act/[\w.-]+/3\.1\.1-b\n", digest.text)
    assert digest.text.startswith("Kính gửi bà Nguyễn Thị Lan, Trưởng phòng Kinh tế ngành,")  # the directory's


def test_each_person_gets_at_most_one_digest_a_day_and_a_rerun_sends_nothing_new(context, smtp):
    box, _ = smtp
    run(context, date(2016, 1, 15))
    counts = per_recipient(box)
    assert counts and max(counts.values()) == 1
    again = run(context, date(2016, 1, 15))
    assert (again.queued, again.sent) == (0, 0)
    assert per_recipient(box) == counts


def test_an_english_speaking_focal_point_gets_the_english_digest(context, smtp):
    box, _ = smtp
    run(context, date(2016, 1, 15))
    [digest] = box.to(PETER)
    assert digest.subject.startswith("[Follow-up]") and "overdue" in digest.subject
    assert digest.text.startswith("Dear Peter Nguyen,")
    assert "days overdue" in digest.text


def test_no_email_goes_out_on_tet_or_on_a_sunday(context, smtp):
    box, _ = smtp
    for day in (date(2016, 2, 8), date(2016, 2, 10), date(2016, 1, 17)):  # Mùng 1 Tết, Mùng 3 Tết, a Sunday
        report = run(context, day)
        assert (report.working_day, report.queued, report.sent) == (False, 0, 0)
    assert box.messages == []


def test_a_gap_of_days_is_caught_up_once_without_a_flood(context, smtp):
    box, _ = smtp
    run(context, date(2015, 10, 30))  # "30 days before" the 30/11 check-ins (31/10 is a Saturday)
    assert box.to(LAN)
    box.clear()
    # Nothing ran from 31/10 to 24/11: the "7 days before" of 23/11 was missed.
    run(context, date(2015, 11, 25))
    assert per_recipient(box)[LAN] == 1
    assert "SẮP ĐẾN HẠN" in box.to(LAN)[0].text and "còn 5 ngày" in box.to(LAN)[0].text
    box.clear()
    run(context, date(2015, 11, 26))
    assert box.to(LAN) == [], "the missed reminder went out once; nothing more until the next one"
    run(context, date(2015, 11, 27))  # "1 day before" 30/11 (a Monday) goes out on Friday 27/11
    assert per_recipient(box)[LAN] == 1


def test_a_task_late_for_several_periods_is_one_line_and_one_outbox_row(context, smtp):
    box, _ = smtp
    run(context, date(2016, 1, 18))  # the quarterly report 3.3-d-2 of Pác Nặm is late for Q2-Q4 2015
    [digest] = box.to(PAC_NAM)
    lines = [line for line in digest.text.splitlines() if line.startswith("- 3.3-d-2/PAC-NAM")]
    assert len(lines) == 1
    assert "Hạn: 30/06/2015" in digest.text and "(3 kỳ chưa hoàn thành)" in digest.text
    with Session(context.engine) as session:
        rows = session.exec(select(OutboxItem.occurrence_id).join(Occurrence, Occurrence.id == OutboxItem.occurrence_id)
                            .join(Task, Task.id == Occurrence.task_id)
                            .where(OutboxItem.recipient_email == PAC_NAM, Task.ref == "3.3-d-2/PAC-NAM")).all()
    assert len(rows) == 1
    [summary] = box.to(THANH)
    assert "3.3-d-2/PAC-NAM" in summary.text and "(3 kỳ)" in summary.text


def test_a_late_task_is_nagged_again_a_week_after_its_last_reminder_and_not_in_between(context, smtp):
    box, _ = smtp
    run(context, date(2016, 1, 18))
    assert box.to(PAC_NAM)
    box.clear()
    for day in (19, 20, 21, 22):
        run(context, date(2016, 1, day))
    assert box.to(PAC_NAM) == []
    run(context, date(2016, 1, 25))
    [digest] = box.to(PAC_NAM)
    assert "CHƯA HOÀN THÀNH, QUÁ HẠN" in digest.text and "3.3-d-2/PAC-NAM" in digest.text


def test_alliance_staff_get_the_monday_summary_of_everything_overdue(context, smtp):
    box, _ = smtp
    run(context, date(2016, 1, 18))  # a Monday
    [summary] = box.to(THANH)
    assert "TỔNG HỢP NHIỆM VỤ QUÁ HẠN:" in summary.text
    assert "Ủy ban nhân dân huyện Pác Nặm" in summary.text and "3.3-a/PAC-NAM" in summary.text
    assert all("TỔNG HỢP NHIỆM VỤ QUÁ HẠN:" not in m.text for m in box.to(LAN))


def test_a_stopped_server_keeps_the_mail_queued_and_a_later_run_delivers_it(loaded, settings):
    port = free_port()  # nothing listens here yet
    ctx = AppContext(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                 "smtp_timeout_seconds": 2}))
    try:
        report = run(ctx, date(2016, 1, 15))
        assert report.queued > 0 and report.sent == 0 and report.retrying == report.queued
        box = Mailbox()
        controller = Controller(box, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            policy = jobs.load_policy(ctx)
            later = jobs.sending_time(date(2016, 1, 15), policy) + timedelta(hours=1)
            delivered = jobs.deliver(ctx, later, policy)
            assert delivered.sent == report.queued
            assert per_recipient(box)[LAN] == 1
        finally:
            controller.stop()
    finally:
        ctx.close()


class RefusesOne(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("hai.tv@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_550_reply_marks_the_message_failed_for_good_and_the_others_still_arrive(loaded, settings):
    box = RefusesOne()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    ctx = AppContext(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": controller.port}))
    try:
        report = run(ctx, date(2016, 1, 15))
        assert report.failed == 1 and report.sent == report.queued - 1
        assert box.to(LAN)
        later = jobs.deliver(ctx, jobs.sending_time(date(2016, 1, 18), jobs.load_policy(ctx)))
        assert later.sent == later.failed == later.retrying == 0, "a permanent failure is never retried"
    finally:
        controller.stop()
        ctx.close()
    failed = json.loads(Cli(settings).ok("outbox", "--status", "failed", "--format", "json").stdout)
    assert [(m["to"], m["status"]) for m in failed] == [("hai.tv@pacnam.invalid", "failed")]
    assert failed[0]["error"].startswith("550")


def test_a_dry_run_shows_who_would_get_what_and_writes_nothing(loaded, engine):
    result = loaded.ok("remind", "--today", "2016-01-15", "--dry-run")
    assert LAN in result.stdout and "(không ghi gì)" in result.stdout
    with Session(engine) as session:
        assert session.exec(select(Message)).first() is None


def test_the_remind_command_runs_the_prefect_flow_into_the_local_outbox(loaded, settings):
    result = loaded.ok("remind", "--today", "2016-01-15")
    assert "thư nhắc vào hàng đợi" in result.stdout
    files = sorted((settings.outbox_dir / "2016-01-15").glob("*.eml"))
    assert any(LAN in f.name for f in files)
    with Session(AppContext(settings).engine) as session:
        statuses = {m.status for m in session.exec(select(Message))}
    assert statuses == {MessageStatus.SENT}


def test_the_alliance_summary_lists_late_tasks_without_the_note_that_their_heads_were_told(context):
    """The summary shows the lead agencies' own late items; "reported to the head" is for the lead's digest."""
    day = date(2016, 1, 18)  # 3.3-d-2 of Pác Nặm is late since 30/06/2015: escalated
    with Session(context.engine) as session:
        digests = {d.email: d for d in plan_daily_digests(session, today=day, policy=POLICY.reminders, calendar=CALENDAR,
                                                          base_url=context.settings.public_base_url).digests}
    lead = render("daily", "vi", digests[PAC_NAM].template_context(day)).html
    summary = render("daily", "vi", digests[THANH].template_context(day)).html.split("Tổng hợp nhiệm vụ quá hạn")[1]
    assert "3.3-d-2/PAC-NAM" in summary and "(3 kỳ)" in summary
    assert "đã báo cáo lãnh đạo" in lead and "đã báo cáo lãnh đạo" not in summary


def sql_of_a_sweep(context) -> list[str]:
    """The statements one dry-run sweep sends to the database."""
    statements = []

    def keep(conn, cursor, statement, parameters, execution_context, executemany):
        statements.append(statement)

    event.listen(context.engine, "before_cursor_execute", keep)
    try:
        jobs.plan_reminders(context, date(2016, 1, 18))
    finally:
        event.remove(context.engine, "before_cursor_execute", keep)
    return statements


def test_the_sweep_writes_the_partial_indexes_conditions_into_its_sql_so_sqlite_reads_the_index_alone(context):
    """A bound `progress != ?` makes SQLite fetch every late row from the table (see models/occurrence.py)."""
    statements = sql_of_a_sweep(context)
    # (The probe for completions dated after the day, "progress = 'done'", reads ix_occurrence_done_on.)
    reading_occurrences = [s for s in statements if "occurrence.progress !=" in s]
    assert any("occurrence.progress = 'done' AND occurrence.completed_on >" in s for s in statements)
    assert len(reading_occurrences) >= 2  # the upcoming reminders and the late lines
    for statement in reading_occurrences:
        assert "occurrence.progress != 'done'" in statement and "occurrence.kind = 'deadline'" in statement, statement


def test_an_address_in_two_agencies_gets_one_digest_with_both_agencies_tasks(context):
    day = date(2016, 1, 18)
    with Session(context.engine) as session:
        pac_nam = session.exec(select(FocalPoint).where(FocalPoint.email == PAC_NAM)).one()
        session.add(FocalPoint(agency_id=pac_nam.agency_id, name="Nguyễn Thị Lan", email=LAN.upper()))
        session.commit()
    with Session(context.engine) as session:
        digests = plan_daily_digests(session, today=day, policy=POLICY.reminders, calendar=CALENDAR,
                                     base_url=context.settings.public_base_url).digests
    [digest] = [d for d in digests if d.email.lower() == LAN]
    assert len(digest.agency_names) == 2 and "Ủy ban nhân dân huyện Pác Nặm" in digest.agency_names
    refs = {item.ref for item in digest.items}
    assert "3.3-d-2/PAC-NAM" in refs and any(not ref.endswith("/PAC-NAM") for ref in refs)
    assert [d.email.lower() for d in digests] == sorted(d.email.lower() for d in digests)  # one order on every run


def test_each_alliance_gets_the_summary_of_its_own_province_when_two_share_a_database(context, smtp):
    from models.agency import Agency, AgencyKind, FocalPoint
    from models.db import transaction
    from models.plan import Plan, TaskCoordinator

    with transaction(context.engine) as session:
        district = Agency(code="CB-HA-QUANG", name_vi="Ủy ban nhân dân huyện Hà Quảng", name_en="Ha Quang District",
                          kind=AgencyKind.DISTRICT)
        alliance = Agency(code="CB-LMHTX", name_vi="Liên minh Hợp tác xã tỉnh Cao Bằng",
                          name_en="Cao Bang Cooperative Alliance", kind=AgencyKind.ALLIANCE)
        plan = Plan(code="CB-KTTT", title="Kế hoạch phát triển kinh tế tập thể tỉnh Cao Bằng", province="Cao Bằng",
                    horizon_start=date(2015, 1, 1), horizon_end=date(2020, 12, 31))
        session.add_all([district, alliance, plan])
        session.flush()
        session.add(FocalPoint(agency_id=alliance.id, name="Nông Thị Mai", email="mai.nt@lmhtx-caobang.invalid"))
        task = Task(plan_id=plan.id, ref="CB-3.3-a", section="3.3", title="Rà soát hợp tác xã Hà Quảng",
                    source_text="Rà soát hợp tác xã.", lead_agency_id=district.id, timing="one_off")
        session.add(task)
        session.flush()
        session.add_all([TaskCoordinator(task_id=task.id, agency_id=alliance.id),
                         Occurrence(task_id=task.id, due_date=date(2015, 9, 30), starts_on=date(2015, 1, 1))])
    box, _ = smtp
    run(context, date(2016, 1, 18))  # a Monday
    [bac_kan] = box.to(THANH)
    assert "3.3-a/PAC-NAM" in bac_kan.text and "CB-3.3-a" not in bac_kan.text
    [cao_bang] = box.to("mai.nt@lmhtx-caobang.invalid")
    assert "CB-3.3-a" in cao_bang.text and "3.3-a/PAC-NAM" not in cao_bang.text


def test_a_directory_read_once_for_a_simulation_plans_the_same_digests_as_one_read_each_day(context):
    """`dondoc simulate` reads the directory (agencies, people, coordinators) once for all its days."""
    once = jobs.read_directory(context)
    assert once.coordinators  # every task's, not only one day's
    day, checked = date(2015, 6, 1), 0
    while day < date(2016, 3, 1):
        fresh = jobs.plan_reminders(context, day)
        with Session(context.engine) as session:
            shared = plan_daily_digests(session, today=day, policy=POLICY.reminders, calendar=CALENDAR,
                                        base_url=context.settings.public_base_url, directory=once)
        assert shared.digests == fresh.digests, day
        checked += bool(fresh.digests)
        jobs.run_reminder_day(context, day, directory=once)  # time passes: what was sent is not sent again
        day += timedelta(days=5)
    assert checked > 20


def test_coordinators_told_of_late_tasks_hear_of_them_when_the_directory_is_read_for_the_day(context):
    """The day's directory reads only the coordinators it needs: those of late tasks too when the
    policy tells coordinators of late tasks."""
    policy = POLICY.reminders.model_copy(update=dict(coordinators_informed_on=["before:7", "overdue"]))
    once = jobs.read_directory(context)
    day = date(2016, 1, 15)
    with Session(context.engine) as session:
        fresh = plan_daily_digests(session, today=day, policy=policy, calendar=CALENDAR,
                                   base_url=context.settings.public_base_url)
        shared = plan_daily_digests(session, today=day, policy=policy, calendar=CALENDAR,
                                    base_url=context.settings.public_base_url, directory=once)
    assert any(item.rule == "fyi:overdue" for digest in fresh.digests for item in digest.items)
    assert fresh.digests == shared.digests


def planned_digests(context, day: date):
    """The digests a dry-run sweep plans for the day."""
    with Session(context.engine) as session:
        return plan_daily_digests(session, today=day, policy=POLICY.reminders, calendar=CALENDAR,
                                  base_url=context.settings.public_base_url).digests


def test_the_sweep_turns_the_cycle_collector_back_on_with_its_objects_already_in_the_oldest_generation(context):
    gc.unfreeze()  # what the web apps of earlier tests froze at their start: this is a process without a web app
    digests = planned_digests(context, date(2016, 1, 18))
    assert gc.isenabled() and digests and gc.is_tracked(digests[0])
    # Left young, the sweep's thousands of objects would all be traversed at the next allocation.
    assert any(o is digests[0] for o in gc.get_objects(generation=2))


def test_the_sweep_leaves_what_the_application_froze_frozen(context):
    kept_out_of_collections = [object()]
    gc.freeze()
    try:
        planned_digests(context, date(2016, 1, 18))
        assert gc.isenabled()
        assert not any(o is kept_out_of_collections for o in gc.get_objects())  # still in the permanent generation
    finally:
        gc.unfreeze()


def test_the_sweep_reads_each_alliances_plans_from_the_task_index_not_the_wide_task_rows(context):
    """At national scale the Alliances coordinate ~43,000 tasks; joined to the task rows (titles,
    source text) PostgreSQL read the whole table (migration 0011_task_plans)."""
    statements = sql_of_a_sweep(context)
    [statement] = [s for s in statements if "JOIN task" in s and "taskcoordinator.agency_id IN" in s]
    indexes = {index["name"]: index["column_names"] for index in inspect(context.engine).get_indexes("task")}
    assert indexes["ix_task_id_plan_retired"] == ["id", "plan_id", "retired"]
    assert set(re.findall(r"\btask\.(\w+)", statement)) <= {"id", "plan_id", "retired"}, statement


def test_a_duty_without_a_deadline_is_never_in_a_reminder_and_the_summary_counts_duties(context, smtp):
    box, _ = smtp
    run(context, date(2016, 1, 18))  # a Monday, long after 30/11/2015 (the yearly report day of undated duties)
    everything = "\n".join(m.text for m in box.messages)
    for ref in ("3.2.1", "3.1.2-a", "3.3-b/PAC-NAM", "3.1.6"):
        assert f"- {ref}:" not in everything and f"- {ref} " not in everything, ref
    [summary] = box.to(THANH)
    counted = re.search(r"Ủy ban nhân dân huyện Pác Nặm: (\d+) nhiệm vụ \((\d+) kỳ hạn\)", summary.text)
    after = summary.text.split("Ủy ban nhân dân huyện Pác Nặm:")[1].splitlines()[1:]
    lines = []
    for line in after:
        if not line.startswith("  - "):
            break
        lines.append(line)
    assert counted and int(counted.group(1)) == len(lines) < int(counted.group(2))
