"""The ``flask`` command with the application clock frozen at $FROZEN_NOW, for process-level tests.

``python -m tests.support.frozen_flask --app feedback jobs run-once deadline-watch`` is exactly
the operator's ``flask --app feedback jobs run-once deadline-watch`` — same CLI, runner, lease
and job — except that every app it creates starts with its clock frozen, so a test can run real
scheduler processes on a chosen working day. ``SPECS`` (for ``JOBS_EXTRA``, honoured only under
FEEDBACK_ENV=testing) are the same jobs under second ids, i.e. with their own leases: two
processes running ``outbox-sender`` and ``outbox-sender-b`` really run side by side.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

from feedback.jobs.schedule import JobSpec

SPECS = (
    JobSpec("deadline-watch-b", "feedback.jobs.deadline_watch:run", "interval", {"minutes": 60}),
    JobSpec("outbox-sender-b", "feedback.jobs.outbox_sender:run", "interval", {"minutes": 1}, lease_seconds=300),
)


def main() -> None:
    from flask.cli import main as flask_main

    import feedback.clock

    moment = datetime.fromisoformat(os.environ["FROZEN_NOW"])
    original = feedback.clock.Clock.__init__

    def frozen_init(self) -> None:
        original(self)
        self.freeze(moment)

    feedback.clock.Clock.__init__ = frozen_init
    sys.argv = ["flask", *sys.argv[1:]]
    flask_main()


if __name__ == "__main__":
    main()
