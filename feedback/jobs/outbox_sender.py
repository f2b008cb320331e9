"""Job ``outbox-sender``: deliver queued notifications through their channels.

This job COMMITS ITSELF, on purpose: the claim is committed before anything is sent and each
message's outcome right after its send, so a crash repeats at most the message in flight (see
feedback.services.notices.delivery). The runner's final commit then has nothing left to write.
"""

from __future__ import annotations

from feedback.jobs.context import JobContext
from feedback.services.notices import delivery


def run(ctx: JobContext) -> dict[str, int]:
    return delivery.send_due(ctx.now)
