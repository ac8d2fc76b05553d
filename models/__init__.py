"""The tables and the rules about them (status, occurrences, due dates), as pure code."""
from models.accounts import SignInToken, StaffUser
from models.agency import Agency, AgencyGroup, AgencyGroupMember, AgencyKind, FocalPoint, FocalPointRole
from models.audit import AuditEntry
from models.inbound import BouncedAddress, InboundMail
from models.outbox import DeliveryAttempt, Message, MessageStatus, OutboxItem
from models.occurrence import Occurrence, OccurrenceKind, Progress
from models.status import StatusCategory
from models.plan import DateSource, Plan, Task, TaskCoordinator, Timing
from models.review.tables import IndicatorValue, ReviewCycle, ReviewRequest, ReviewSubmission, ReviewToken
from models.scheduler import SchedulerLease, SchedulerRun
from models.web_state import RateEvent, WebDraft, WebSession

__all__ = [
    "Agency", "AgencyGroup", "AgencyGroupMember", "AgencyKind", "AuditEntry", "DateSource",
    "DeliveryAttempt", "FocalPoint", "FocalPointRole", "Message", "MessageStatus", "OutboxItem", "Occurrence", "OccurrenceKind", "Plan", "Progress",
    "SignInToken", "StaffUser", "StatusCategory", "Task", "TaskCoordinator", "Timing",
    "IndicatorValue", "ReviewCycle", "ReviewRequest", "ReviewSubmission", "ReviewToken",
    "SchedulerLease", "SchedulerRun", "BouncedAddress", "InboundMail", "RateEvent", "WebDraft", "WebSession",
]
from models.plan_import import PlanImport  # noqa: E402  (after the tables it reads)
from models.task_work import TaskRequest  # noqa: E402,F401  (after the tables it reads)
from models.reassignment import TaskReassignment  # noqa: E402
from models.evidence import EvidenceFile  # noqa: E402
from models.contributions import TaskContribution  # noqa: E402
