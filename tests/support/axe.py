"""axe-core in a browser page: the serious and critical accessibility violations of what it shows."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / "browser" / "vendor" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[str]:
    """Inject axe (the page's context must bypass CSP) and list serious or critical violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}) {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
