"""`flask seed`: the sample reference data loads, reloads idempotently, and bad files write nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from feedback.models import Department, ObservationPoint, Responsibility, Tag
from feedback.services.admin.seed import SeedError, seed_reference_data
from feedback.services.triage.suggestions import suggestion_for

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
FILES = ("taxonomy.yaml", "departments.yaml", "responsibilities.yaml", "observation_points.yaml")


def _yaml(name: str) -> dict:
    return yaml.safe_load((CONFIG_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    """A private copy of the reference files that a test may edit."""
    target = tmp_path / "config"
    target.mkdir()
    for name in FILES:
        shutil.copy(CONFIG_DIR / name, target / name)
    return target


def _edit(directory: Path, name: str, change) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _snapshot(db) -> dict:
    """Everything the seed writes, as plain values, to compare before and after."""
    return {
        model.__name__: sorted(
            tuple(sorted((c.key, getattr(row, c.key)) for c in model.__table__.columns if c.key != "id"))
            for row in db.session.scalars(select(model))
        )
        for model in (Tag, Department, Responsibility, ObservationPoint)
    }


def _by_code(db, model, code: str):
    return db.session.scalar(select(model).where(model.code == code))


def test_sample_config_loads_everything(app, db):
    report = seed_reference_data(app.config["REFERENCE_DIR"])
    db.session.commit()

    departments = _yaml("departments.yaml")["departments"]
    rules = _yaml("responsibilities.yaml")["responsibilities"]
    assert (report.tags.created, report.observation_points.created) == (9, 45)
    assert report.departments.created == len(departments) == _count(db, Department)
    assert report.responsibilities.created == len(rules) == _count(db, Responsibility)
    assert 15 <= len(rules) <= 25
    assert _count(db, Tag) == 9 and _count(db, ObservationPoint) == 45

    tags = db.session.scalars(select(Tag).order_by(Tag.sort_order)).all()
    assert [t.code for t in tags][:4] == ["peihui", "liuhen", "jiediao", "shudi"]
    assert tags[0].name == "陪会" and tags[0].sort_order == 1 and tags[0].description

    orgs = db.session.scalars(select(Department.code).where(Department.is_org_department.is_(True))).all()
    assert sorted(orgs) == ["city-zzb", "prov-zzb"]
    assert _by_code(db, Department, "city-jy").parent.code == "prov-jy"
    assert _by_code(db, Department, "dist-cg-jy").parent.code == "city-jy"
    levels = set(db.session.scalars(select(Department.level)))
    assert levels == {"province", "city", "district"}
    provincial = db.session.scalars(select(Department.code).where(Department.level == "province")).all()
    for code in provincial:
        assert _by_code(db, Department, "city-" + code.removeprefix("prov-")) is not None, code

    meetings = _by_code(db, Responsibility, "meetings-accompany")
    assert meetings.primary_department.code == "city-wb"
    assert [d.code for d in meetings.cooperating_departments] == ["city-fb"]
    assert meetings.tags == ["peihui"] and meetings.is_sample

    point = _by_code(db, ObservationPoint, "GC01")
    assert point.is_sample and point.active and len(point.region_code) in (9, 12)
    assert {p.point_type for p in db.session.scalars(select(ObservationPoint))} == {
        "village",
        "community",
        "township",
        "subdistrict",
        "organ",
    }
    assert any("示例数据" in line for line in report.lines())


def test_second_run_changes_nothing(app, db):
    seed_reference_data(app.config["REFERENCE_DIR"])
    db.session.commit()
    before = _snapshot(db)

    report = seed_reference_data(app.config["REFERENCE_DIR"])

    assert not db.session.dirty and not db.session.new
    assert not report.changed
    for counts in report.counts().values():
        assert (counts.created, counts.updated, counts.deactivated) == (0, 0, 0)
    assert "参考数据已是最新，无需变更。" in report.lines()
    db.session.commit()
    assert _snapshot(db) == before


def test_edited_copy_updates_and_deactivates(app, db, config_copy):
    seed_reference_data(config_copy)
    db.session.commit()

    def points(data):
        data["observation_points"][0]["name"] = "城关区东关街道（更名）"
        data["observation_points"] = [p for p in data["observation_points"] if p["code"] != "GC45"]

    def rules(data):
        rule = next(r for r in data["responsibilities"] if r["code"] == "meetings-accompany")
        rule["cooperating"] = ["city-fb", "city-zzb"]

    _edit(config_copy, "observation_points.yaml", points)
    _edit(config_copy, "responsibilities.yaml", rules)
    report = seed_reference_data(config_copy)
    db.session.commit()

    assert (
        report.observation_points.created,
        report.observation_points.updated,
        report.observation_points.deactivated,
    ) == (0, 1, 1)
    assert (report.responsibilities.updated, report.departments.updated) == (1, 0)
    assert _by_code(db, ObservationPoint, "GC01").name == "城关区东关街道（更名）"
    removed = _by_code(db, ObservationPoint, "GC45")
    assert removed is not None and removed.active is False
    assert _count(db, ObservationPoint) == 45
    rule = _by_code(db, Responsibility, "meetings-accompany")
    assert sorted(d.code for d in rule.cooperating_departments) == ["city-fb", "city-zzb"]

    # Putting the point back reactivates the same row.
    shutil.copy(CONFIG_DIR / "observation_points.yaml", config_copy / "observation_points.yaml")
    report = seed_reference_data(config_copy)
    db.session.commit()
    assert report.observation_points.updated == 2 and report.observation_points.created == 0
    assert _by_code(db, ObservationPoint, "GC45").id == removed.id and removed.active


def test_unknown_department_in_rule_fails_and_writes_nothing(app, db, config_copy):
    seed_reference_data(config_copy)
    db.session.commit()
    before = _snapshot(db)

    def points(data):
        data["observation_points"][0]["name"] = "不应写入的新名称"

    def rules(data):
        data["responsibilities"][0]["primary"] = "city-nope"

    _edit(config_copy, "observation_points.yaml", points)
    _edit(config_copy, "responsibilities.yaml", rules)
    with pytest.raises(SeedError) as caught:
        seed_reference_data(config_copy)

    message = str(caught.value)
    assert "responsibilities.yaml" in message and "meetings-accompany" in message
    assert "未知的部门代码“city-nope”" in message
    assert not db.session.dirty and not db.session.new
    db.session.rollback()
    assert _snapshot(db) == before


def test_failure_on_empty_database_writes_nothing(app, db, config_copy):
    _edit(config_copy, "responsibilities.yaml", lambda d: d["responsibilities"][0].update(tags=["peihui", "nosuch"]))
    with pytest.raises(SeedError, match="未知的标签代码“nosuch”"):
        seed_reference_data(config_copy)
    db.session.rollback()
    assert all(_count(db, m) == 0 for m in (Tag, Department, Responsibility, ObservationPoint))


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (
            "departments.yaml",
            lambda d: d["departments"][1].update(level="county"),
            "departments.yaml：记录“prov-fb”：“level”的值“county”无效",
        ),
        (
            "departments.yaml",
            lambda d: d["departments"].append(dict(d["departments"][0])),
            "departments.yaml：记录“prov-wb”：代码重复",
        ),
        (
            "departments.yaml",
            lambda d: d["departments"][0].update(parent="prov-nope"),
            "departments.yaml：记录“prov-wb”：上级部门代码“prov-nope”不存在",
        ),
        (
            "departments.yaml",
            lambda d: d["departments"][0].update(parent="prov-wb"),
            "departments.yaml：记录“prov-wb”：上级部门关系形成循环",
        ),
        (
            "responsibilities.yaml",
            lambda d: d["responsibilities"][0].update(primary=["city-wb"]),
            "responsibilities.yaml：记录“meetings-accompany”：“primary”应为一个部门代码",
        ),
        (
            "responsibilities.yaml",
            lambda d: d["responsibilities"][0].update(path="forward"),
            "responsibilities.yaml：记录“meetings-accompany”：“path”的值“forward”无效",
        ),
        (
            "responsibilities.yaml",
            lambda d: d["responsibilities"][0].update(tags=["peihu"]),
            "responsibilities.yaml：记录“meetings-accompany”：未知的标签代码“peihu”",
        ),
        (
            "responsibilities.yaml",
            lambda d: d["responsibilities"][0].update(primay="city-wb"),
            "responsibilities.yaml：记录“meetings-accompany”：未知字段“primay”",
        ),
        (
            "observation_points.yaml",
            lambda d: d["observation_points"][0].update(point_type="school"),
            "observation_points.yaml：记录“GC01”：“point_type”的值“school”无效",
        ),
        (
            "observation_points.yaml",
            lambda d: d["observation_points"][0].update(region_code="49A"),
            "observation_points.yaml：记录“GC01”：区划代码“49A”",
        ),
    ],
    ids=[
        "bad-level",
        "duplicate-code",
        "unknown-parent",
        "parent-cycle",
        "primary-not-a-code",
        "bad-path",
        "unknown-tag",
        "unknown-field",
        "bad-point-type",
        "bad-region-code",
    ],
)
def test_validation_names_file_record_and_problem(app, db, config_copy, name, change, expected):
    _edit(config_copy, name, change)
    with pytest.raises(SeedError) as caught:
        seed_reference_data(config_copy)
    assert expected in str(caught.value)
    assert not db.session.new


def test_missing_file_and_broken_yaml_are_reported(app, db, config_copy):
    (config_copy / "observation_points.yaml").unlink()
    (config_copy / "departments.yaml").write_text("departments: [\n", encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        seed_reference_data(config_copy)
    problems = caught.value.problems
    assert any(p.startswith("observation_points.yaml：文件：找不到文件") for p in problems)
    assert any(p.startswith("departments.yaml：") and "YAML 格式错误" in p for p in problems)


def test_flask_seed_command_prints_report_and_commits(app, db, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "标签：新增 9，更新 0，停用 0" in result.output
    assert "观测点：新增 45，更新 0，停用 0" in result.output
    db.session.remove()
    assert _count(db, ObservationPoint) == 45

    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "参考数据已是最新，无需变更。" in again.output


def test_flask_seed_command_fails_with_status_1(app, db, runner, config_copy):
    _edit(config_copy, "responsibilities.yaml", lambda d: d["responsibilities"][0].update(primary="city-nope"))
    result = runner.invoke(args=["seed", "--config-dir", str(config_copy)])
    assert result.exit_code == 1
    assert "未知的部门代码“city-nope”" in result.stderr
    assert "新增" not in result.stdout
    db.session.remove()
    assert _count(db, Department) == 0


def test_sample_rules_give_sensible_suggestions(app, db):
    seed_reference_data(app.config["REFERENCE_DIR"])
    db.session.commit()

    meeting = suggestion_for(["peihui"], "为了秸秆焚烧的事，镇里干部每周都被叫去陪会，一开就是半天。")
    assert (meeting.path, meeting.primary.code, meeting.rules) == ("direct", "city-wb", ("meetings-accompany",))

    forms = suggestion_for(["tianbao"], "省统计局布置的报表一个月要报三次，数据和上个月一模一样。", "province")
    assert (forms.path, forms.primary.code) == ("escalate", "city-tj")

    straw = suggestion_for(["shudi"], "以属地管理为名，环保督查整改和秸秆禁烧的任务全压给村里。")
    assert straw.primary.code == "city-sthj"

    inspections = suggestion_for(["dujiankao"], "好几个部门轮番来检查，重复检查同样的台账。")
    assert inspections.path == "consult" and inspections.primary is None


def test_seed_refuses_a_taxonomy_the_tagger_would_refuse(app, db, config_copy):
    """One parser: a tag without any term loads nowhere, so `flask seed` cannot accept what boot rejects."""

    def termless(data):
        first = data["tags"][0]
        data["tags"][0] = {"code": first["code"], "name": first["name"], "description": first["description"]}

    _edit(config_copy, "taxonomy.yaml", termless)
    with pytest.raises(SeedError) as caught:
        seed_reference_data(config_copy)
    assert "taxonomy.yaml：文件：标签体系无效" in str(caught.value)
    assert "a tag needs at least one term or pattern" in str(caught.value)
    db.session.rollback()
    assert _count(db, Tag) == 0
