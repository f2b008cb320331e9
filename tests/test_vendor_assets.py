"""Front-end libraries are served from the repository, exactly as copied from their npm packages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "vendor-manifest.json").read_text(encoding="utf-8"))


def test_every_vendored_file_matches_the_manifest_and_carries_its_licence():
    names = set()
    for package in MANIFEST["packages"]:
        names.add(package["name"])
        folder = ROOT / package["path"]
        assert "LICENSE" in package["files"], package["name"]
        assert package["integrity"].startswith("sha512-")
        on_disk = {p.name for p in folder.iterdir()}
        assert on_disk == set(package["files"]), f"{folder}: files not in the manifest or missing"
        for name, digest in package["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{folder / name} changed"
    assert {"htmx.org", "echarts", "redoc"} <= names


def test_api_docs_page_loads_redoc_from_this_server(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/redoc/redoc.standalone.js" in html
    assert "cdn." not in html and "https://" not in html.replace("https://github.com", "")
    with client.get("/static/vendor/redoc/redoc.standalone.js") as script:
        assert script.status_code == 200 and len(script.data) > 500_000
