"""What the outbox still holds after a delivery (`Undelivered`), read through the plain tables
(models/core.py): `dondoc status` and `dondoc remind` with nothing to send say it without loading
SQLModel, the table classes or the dispatcher. dondoc/app/jobs.py re-exports both names."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.clock import VN_TZ, Clock, SystemClock


@dataclass
class Undelivered:
    """What the outbox still holds after a delivery: queued (for a retry, or not yet tried), and
    claimed but not sent by a dispatcher that is gone (its claim expired, or it was this process's
    own and failed). Messages a live dispatcher elsewhere is sending right now are theirs to report."""
    queued: int = 0
    next_attempt: datetime | None = None
    stuck: int = 0
    elsewhere: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.stuck

    def describe(self, language: str = "en") -> str:
        """One line for the command's output or the log ("" when nothing of ours waits), in English
        or (language "vi") Vietnamese."""
        vi = language == "vi"
        parts = []
        if self.queued:
            when = f"{self.next_attempt.astimezone(VN_TZ):%H:%M %d/%m/%Y}" if self.next_attempt else ""
            at = (f", gửi lại lúc {when}" if vi else f", next try {when}") if when else ""
            parts.append(f"{self.queued} {'thư chờ gửi' if vi else 'queued'}{at}")
        if self.stuck:
            parts.append(f"{self.stuck} thư do một tiến trình gửi đã dừng giữ (gửi lại khi hết hạn giữ)" if vi else
                         f"{self.stuck} claimed by a dispatcher that stopped (sent again once the claim expires)")
        if not parts:
            return ""
        if self.elsewhere:
            parts.append(f"{self.elsewhere} thư đang do tiến trình khác gửi" if vi else
                         f"{self.elsewhere} being sent by another dispatcher")
        return f"{'chưa gửi được' if vi else 'not delivered yet'}: {'; '.join(parts)}"


def undelivered(context, wall_clock: Clock | None = None) -> Undelivered:
    """What waits in the outbox now (`wall_clock`: the clock a claim's age is judged by)."""
    from sqlalchemy import func, select

    from models.core import message
    from models.outbox_values import MessageStatus, worker_prefix

    wall_now = (wall_clock or SystemClock()).now()
    expired = wall_now - timedelta(seconds=context.settings.dispatch_lease_seconds)
    found = Undelivered()
    with context.engine.connect() as connection:
        found.queued, found.next_attempt = connection.execute(
            select(func.count(), func.min(message.c.next_attempt_at))
            .where(message.c.status == MessageStatus.QUEUED)).one()
        for claimed_by, claimed_at in connection.execute(select(message.c.claimed_by, message.c.claimed_at)
                                                         .where(message.c.status == MessageStatus.SENDING)):
            if (claimed_by or "").startswith(worker_prefix()) or claimed_at is None or claimed_at <= expired:
                found.stuck += 1
            else:
                found.elsewhere += 1
    return found
