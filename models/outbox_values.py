"""The states a message takes in the outbox, and the name a dispatcher of this process claims under:
plain values, importable without the tables (`dondoc status` and `dondoc remind` with nothing to send
read the outbox through models/core.py and never load SQLModel). models/outbox.py and
notifications/dispatch.py re-export them."""
import os
import socket
from enum import StrEnum


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a dispatcher; if it died, the claim expires
    SENT = "sent"
    FAILED = "failed"  # permanently: shown to Alliance staff, never retried


# The states a dispatcher may claim a message in (queued, or sending under a claim that may have expired).
CLAIMABLE = "status IN ('queued', 'sending')"


def worker_prefix() -> str:
    """What every dispatcher of this process names itself with (host and process id)."""
    return f"{socket.gethostname()}:{os.getpid()}:"
