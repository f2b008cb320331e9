"""axe-core in the browser tests: the serious and critical accessibility violations of a page."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / "browser" / "vendor" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[str]:
    """Inject axe (the context must bypass the page's CSP) and list what is serious or critical."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
