"""Wiring of the task-work use cases (models/task_work.py) for the CLI, the web and the simulation:
one transaction holds the change, its audit and the emails it queues (notifications/task_work.py)."""
from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Engine

from config.policy import Policy, read_policy
from config.settings import Settings
from models.db import transaction
from models.task_work import TaskRequest, decide_extension, request_extension
from notifications.letter import Sender
from notifications.task_work import queue_request_emails


def perform(engine: Engine, settings: Settings, use_case: Callable[..., TaskRequest], *, at: datetime,
            policy: Policy | None = None, **arguments) -> TaskRequest:
    """Run one use case and queue its emails, all or nothing. The extension cap comes from the policy."""
    policy = policy or read_policy(settings.policy_file)
    if use_case in (request_extension, decide_extension):
        arguments["max_extensions"] = policy.work.max_extensions_per_occurrence
    with transaction(engine) as session:
        found = use_case(session, at=at, **arguments)
        queue_request_emails(session, found, now=at, mail_from=settings.resolved_mail_from,
                             base_url=settings.public_base_url, deputies=policy.reminders.deputies,
                             sender=Sender.of(settings.organization_file))
    return found
