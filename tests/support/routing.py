"""A notice routing file for tests: each department on the channel the outbox tests exercise.

Shared by the outbox and deadline-watch tests, which both need notices routed to a real (loopback)
mailbox and robot rather than the shipped sample file.
"""

from __future__ import annotations

from pathlib import Path

WB_MAIL = "city-wb-duty@example.org"


def write_routing(path: Path, robot_url: str) -> Path:
    """Write the routing YAML to ``path``: city-wb by e-mail, the org department to ``robot_url``."""
    path.write_text(
        f"""
default: {{channel: log}}
org: {{channel: webhook, target: zzb-robot}}
departments:
  city-wb: {{channel: email, target: {WB_MAIL}}}
  city-tj: {{channel: email, target: city-tj-duty@example.org}}
  city-fb: {{channel: webhook, target: fb-robot}}
webhooks:
  zzb-robot: {{url: "{robot_url}"}}
  fb-robot: {{url_env: TEST_FB_ROBOT_URL}}
""",
        encoding="utf-8",
    )
    return path
