"""The tables and the rules about them (status, occurrences, due dates), as pure code."""
from models.agency import Agency, AgencyGroup, AgencyGroupMember, AgencyKind, FocalPoint, FocalPointRole
from models.audit import AuditEntry
from models.occurrence import Occurrence, OccurrenceKind, Progress, StatusCategory
from models.plan import DateSource, Plan, Task, TaskCoordinator, Timing

__all__ = [
    "Agency", "AgencyGroup", "AgencyGroupMember", "AgencyKind", "AuditEntry", "DateSource",
    "FocalPoint", "FocalPointRole", "Occurrence", "OccurrenceKind", "Plan", "Progress",
    "StatusCategory", "Task", "TaskCoordinator", "Timing",
]
