"""The ``flask`` command for process-level tests: clock frozen at $FROZEN_NOW, extra jobs from $TEST_JOBS.

``python -m tests.support.frozen_flask --app feedback jobs run-once deadline-watch`` is exactly
the operator's ``flask --app feedback jobs run-once deadline-watch`` — same CLI, runner, lease
and job — except that every app it creates starts with its clock frozen (when FROZEN_NOW is set),
so a test can run real scheduler processes on a chosen working day, and that the jobs named by
TEST_JOBS=module:attr (a sequence of JobSpec) join the schedule. Production code knows nothing of
either. ``SPECS`` are the same jobs under second ids, i.e. with their own leases: two processes
running ``outbox-sender`` and ``outbox-sender-b`` really run side by side.
"""

from __future__ import annotations

import importlib
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
    from feedback.jobs import schedule

    if os.environ.get("TEST_JOBS"):
        module_name, _, attr = os.environ["TEST_JOBS"].partition(":")
        schedule.SCHEDULE = (*schedule.SCHEDULE, *getattr(importlib.import_module(module_name), attr))
    if os.environ.get("FROZEN_NOW"):
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
