"""`dondoc simulate --demo-agencies` exercises extensions and returns (dondoc/app/simulated_work.py): a fixed
share of periods is asked to be extended and decided, and of completions reported and returned, through
the same use cases as people, with their emails; without --demo-agencies nobody does anything."""
from datetime import date

from sqlmodel import Session, select

from dondoc.app.simulation import simulate_days
from models.audit import AuditEntry
from models.occurrence import Occurrence
from models.outbox import Message
from models.task_work import TaskRequest


def test_the_simulated_agencies_ask_for_extensions_staff_decide_and_return_reports(loaded, app_context):
    reports = simulate_days(app_context, date(2015, 6, 25), date(2015, 7, 3), demo_agencies=True)
    work = {r["day"]: r["work"] for r in reports if r.get("work")}
    assert work["2015-06-27"]["extensions_asked"] == 4
    assert work["2015-06-28"]["extensions_approved"] + work["2015-06-28"]["extensions_refused"] == 4
    assert work["2015-06-29"]["completions"] == 1 and work["2015-07-02"]["returned"] == 1
    with Session(app_context.engine) as session:
        found = session.exec(select(TaskRequest).order_by(TaskRequest.id)).all()
        assert {(r.kind, r.state) for r in found} >= {("extension", "approved"), ("extension", "refused"),
                                                      ("return", "returned")}
        approved = [r for r in found if r.state == "approved"]
        for r in approved:
            occ = session.get(Occurrence, r.occurrence_id)
            assert (occ.original_due, occ.due_date) == (date(2015, 6, 30), date(2015, 7, 30))
        returned = session.get(Occurrence, next(r for r in found if r.kind == "return").occurrence_id)
        assert (returned.progress, returned.completed_on) == ("open", None)
        actors = set(session.exec(select(AuditEntry.actor).where(AuditEntry.field.in_(
            ["extension_requested", "returned"]))))
        assert "simulated:staff" in actors and any(a.startswith("simulated:") and a != "simulated:staff" for a in actors)
        assert session.exec(select(Message).where(Message.kind == "task_work")).first() is not None


def test_without_demo_agencies_the_simulation_asks_for_nothing(loaded, app_context):
    reports = simulate_days(app_context, date(2015, 6, 25), date(2015, 7, 3))
    assert not any(r.get("work") for r in reports)
    with Session(app_context.engine) as session:
        assert session.exec(select(TaskRequest)).all() == []
