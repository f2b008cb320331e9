"""基础数据: the admin reads departments, the duty list, points and tags, and how to change each."""

from __future__ import annotations

from tests.support.console import console_client


def test_admin_reads_the_reference_data_with_how_to_change_it(app, db, seeded):
    admin = console_client(app, db, "admin")
    page = admin.get("/console/reference")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>基础数据</h1>" in html
    for file in ("departments.yaml", "responsibilities.yaml", "observation_points.yaml", "taxonomy.yaml"):
        assert f"config/{file}" in html
    assert "flask --app feedback seed" in html and "search reindex" in html
    assert "嵩阳市委办公室" in html and "市级" in html and "GC01" in html and "陪会" in html
    assert "直接交办" in html and "使用中" in html
    assert 'href="/console/reference"' in html


def test_only_admins_read_it(app, db, seeded):
    triage = console_client(app, db, "triage")
    page = triage.get("/console/reference")
    assert page.status_code == 403 and "只有系统管理员可以查看基础数据" in page.get_data(as_text=True)
