"""Copy the front-end libraries the app serves from their npm packages into the repository.

``make vendor`` runs this. Each package in ``PACKAGES`` is fetched with ``npm pack NAME@VERSION``
(the npm registry's own tarball, checked by npm against the registry's integrity hash), the listed
files are copied next to their licence files, and ``vendor-manifest.json`` records name, version,
tarball integrity and the sha256 of every copied file. Nothing is fetched at run time; a test
checks the copied files against the manifest, so a hand-edited asset is noticed.

To upgrade: change the version here, run ``make vendor``, review the diff, commit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "vendor-manifest.json"

# name, version, destination folder (relative to the repository), {file in package: file name there}
PACKAGES = [
    ("htmx.org", "2.0.11", "feedback/static/vendor/htmx", {"dist/htmx.min.js": "htmx.min.js", "LICENSE": "LICENSE"}),
    (
        "echarts",
        "6.1.0",
        "feedback/static/vendor/echarts",
        {
            "dist/echarts.min.js": "echarts.min.js",
            "LICENSE": "LICENSE",
            "NOTICE": "NOTICE",
            "licenses/LICENSE-d3": "LICENSE-d3",
        },
    ),
    (
        "redoc",
        "2.5.4",
        "feedback/static/vendor/redoc",
        {
            "bundles/redoc.standalone.js": "redoc.standalone.js",
            "LICENSE": "LICENSE",
            "bundles/redoc.standalone.js.LICENSE.txt": "redoc.standalone.js.LICENSE.txt",
        },
    ),
    # Used by the browser tests only (accessibility scan); never served by the app.
    (
        "axe-core",
        "4.14.1",
        "tests/browser/vendor/axe-core",
        {"axe.min.js": "axe.min.js", "LICENSE": "LICENSE", "LICENSE-3RD-PARTY.txt": "LICENSE-3RD-PARTY.txt"},
    ),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(name: str, version: str, work: Path) -> tuple[Path, str]:
    """npm pack → (tarball, integrity as the registry states it)."""
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(work)],
        check=True,
        capture_output=True,
        text=True,
        cwd=work,
    )
    info = json.loads(out.stdout)[0]
    return work / info["filename"], info["integrity"]


def vendor() -> dict:
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, version, dest, files in PACKAGES:
            tarball, integrity = fetch(name, version, work)
            target = ROOT / dest
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            with tarfile.open(tarball) as tar:
                for inside, local in files.items():
                    member = tar.extractfile(f"package/{inside}")
                    if member is None:
                        raise SystemExit(f"{name}@{version} has no {inside}")
                    (target / local).write_bytes(member.read())
            entries.append(
                {
                    "name": name,
                    "version": version,
                    "integrity": integrity,
                    "path": dest,
                    "files": {local: sha256(target / local) for local in sorted(files.values())},
                }
            )
            print(f"{name}@{version} -> {dest}")
    return {"packages": entries}


def main() -> int:
    MANIFEST.write_text(json.dumps(vendor(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
