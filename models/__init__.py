"""The tables and the rules about them (status, occurrences, due dates), as pure code.

The table classes are imported on first use, not with the package: `models.clock`, `models.status`'s
rules and `models.core` (plain SQLAlchemy tables for the command line's reads) load without SQLModel,
which with our tables costs a read command most of its time (issue 23). `from models import Task` still
works (the module's __getattr__ loads every table), and an ORM session loads them all before its first
query (load_tables below), so no table is ever missing from SQLModel.metadata when a flush or a
migration reads it.
"""
import importlib

# Each table class and the module that defines it; load_tables() imports them in this order.
TABLES: dict[str, str] = {
    "SignInToken": "models.accounts", "StaffUser": "models.accounts",
    "Agency": "models.agency", "AgencyGroup": "models.agency", "AgencyGroupMember": "models.agency",
    "AgencyKind": "models.agency", "FocalPoint": "models.agency", "FocalPointRole": "models.agency",
    "AuditEntry": "models.audit",
    "BouncedAddress": "models.inbound", "InboundMail": "models.inbound",
    "DeliveryAttempt": "models.outbox", "Message": "models.outbox", "MessageStatus": "models.outbox",
    "OutboxItem": "models.outbox",
    "Occurrence": "models.occurrence", "OccurrenceKind": "models.occurrence", "Progress": "models.occurrence",
    "StatusCategory": "models.status",
    "DateSource": "models.plan", "Plan": "models.plan", "Task": "models.plan", "TaskCoordinator": "models.plan",
    "Timing": "models.plan",
    "IndicatorValue": "models.review.tables", "ReviewCycle": "models.review.tables", "ReviewRequest": "models.review.tables",
    "ReviewSubmission": "models.review.tables", "ReviewToken": "models.review.tables",
    "SchedulerLease": "models.scheduler", "SchedulerRun": "models.scheduler",
    "RateEvent": "models.web_state", "WebDraft": "models.web_state", "WebSession": "models.web_state",
    "PlanImport": "models.plan_import",
    "TaskRequest": "models.task_work",
    "TaskReassignment": "models.reassignment",
    "EvidenceFile": "models.evidence",
    "TaskContribution": "models.contributions",
}

__all__ = list(TABLES)


def load_tables() -> None:
    """Import every table module: SQLModel.metadata then holds the whole schema (Alembic, flushes)."""
    for module in dict.fromkeys(TABLES.values()):
        importlib.import_module(module)


def __getattr__(name: str):
    if name in TABLES:
        load_tables()
        return getattr(importlib.import_module(TABLES[name]), name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")
