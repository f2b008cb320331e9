"""Load the operator-edited reference data in config/*.yaml into the database.

Operators edit YAML, not tables, so the files are the source of truth and loading
them must be safe to repeat: records are upserted by ``code``, and a record that
disappears from a file is deactivated rather than deleted, because feedback,
assignments and ledgers keep pointing at it. Every file is validated completely
before the first write, so a mistake leaves the database exactly as it was; the
service only flushes and the caller (``flask seed``) commits once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from feedback import yaml_files
from feedback.extensions import db
from feedback.models import Department, ObservationPoint, Responsibility, Tag
from feedback.models.reference import DEPARTMENT_LEVELS, POINT_TYPES, ROUTE_PATHS
from feedback.taxonomy import Taxonomy, TaxonomyError

TAXONOMY_FILE = "taxonomy.yaml"
DEPARTMENTS_FILE = "departments.yaml"
RESPONSIBILITIES_FILE = "responsibilities.yaml"
POINTS_FILE = "observation_points.yaml"
DEADLINE_CLASSES = ("standard", "consult", "urgent")
KIND_LABELS = {
    "tags": "标签",
    "departments": "部门",
    "responsibilities": "职责清单事项",
    "observation_points": "观测点",
}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SeedError(ValueError):
    """The reference files are not usable; nothing was written. ``problems`` lists each one."""

    SHOWN = 30

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = [f"- {p}" for p in problems[: self.SHOWN]]
        if len(problems) > self.SHOWN:
            lines.append(f"- ……另有 {len(problems) - self.SHOWN} 个问题，请先修正以上问题")
        super().__init__("参考数据校验未通过，未写入任何数据：\n" + "\n".join(lines))


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0


@dataclass
class SeedReport:
    """What one run changed, per kind, plus notes the operator should read."""

    tags: KindCounts = field(default_factory=KindCounts)
    departments: KindCounts = field(default_factory=KindCounts)
    responsibilities: KindCounts = field(default_factory=KindCounts)
    observation_points: KindCounts = field(default_factory=KindCounts)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, KindCounts]:
        return {kind: getattr(self, kind) for kind in KIND_LABELS}

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.deactivated for c in self.counts().values())

    def lines(self) -> list[str]:
        out = [
            f"{KIND_LABELS[kind]}：新增 {c.created}，更新 {c.updated}，停用 {c.deactivated}"
            for kind, c in self.counts().items()
        ]
        if not self.changed:
            out.append("参考数据已是最新，无需变更。")
        out += [f"提示：{note}" for note in self.notes]
        return out


# ---------------------------------------------------------------- validation


class _Checker:
    """Collects every problem, so the operator fixes a file in one pass instead of many."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, file: str, where: str, message: str) -> None:
        self.problems.append(f"{file}：{where}：{message}")

    def load(
        self, directory: Path, file: str, list_key: str | None, allowed_top: tuple[str, ...] = ()
    ) -> tuple[list[dict] | None, bool]:
        """Return (records, file-level sample flag); records is None when the file is unusable."""
        path = directory / file
        try:
            data = yaml_files.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.add(file, "文件", f"找不到文件 {path}")
            return None, False
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"第 {mark.line + 1} 行" if mark is not None else "文件"
            self.add(file, where, f"YAML 格式错误（{getattr(exc, 'problem', None) or exc}）")
            return None, False
        if list_key is None:
            return _taxonomy_records(self, file, data), False
        if not isinstance(data, dict) or list_key not in data:
            self.add(file, "文件", f"顶层应为映射，并包含列表“{list_key}”")
            return None, False
        for key in data:
            if key not in (list_key, "sample", *allowed_top):
                self.add(file, "文件", f"未知的顶层字段“{key}”")
        sample = data.get("sample", False)
        if not isinstance(sample, bool):
            self.add(file, "文件", "sample 应为 true 或 false")
        records = data[list_key] or []
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            self.add(file, "文件", f"“{list_key}”应为记录（映射）的列表")
            return None, False
        return records, sample is True

    def records(
        self, file: str, records: list[dict], allowed: set[str], required: set[str], code_max: int
    ) -> list[tuple[str, dict]]:
        """Check keys, codes and duplicates; return (label, record) for the records worth checking further."""
        seen: set[str] = set()
        out = []
        for index, rec in enumerate(records, start=1):
            code = rec.get("code")
            label = f"记录“{code}”" if isinstance(code, str) and code else f"第 {index} 条记录"
            for key in sorted(set(rec) - allowed):
                self.add(file, label, f"未知字段“{key}”（可用字段：{'、'.join(sorted(allowed))}）")
            for key in sorted(k for k in required if rec.get(k) in (None, "")):
                self.add(file, label, f"缺少必填字段“{key}”")
            if not isinstance(code, str) or not code:
                if code not in (None, ""):
                    self.add(file, label, "代码应为文本")
                continue
            if not _CODE.match(code) or len(code) > code_max:
                self.add(file, label, f"代码只能由字母、数字、-、_、. 组成，且不超过 {code_max} 个字符")
            elif code in seen:
                self.add(file, label, "代码重复")
                continue
            seen.add(code)
            out.append((label, rec))
        return out

    def text(self, file: str, label: str, rec: dict, key: str, max_len: int | None) -> str | None:
        value = rec.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(file, label, f"“{key}”应为非空文本")
            return None
        if max_len and len(value.strip()) > max_len:
            self.add(file, label, f"“{key}”超过 {max_len} 个字符")
        return value.strip()

    def choice(
        self, file: str, label: str, rec: dict, key: str, choices: tuple[str, ...], default: str | None = None
    ) -> str | None:
        value = rec.get(key, default)
        if value is not None and value not in choices:
            self.add(file, label, f"“{key}”的值“{value}”无效，应为 {' | '.join(choices)} 之一")
        return value

    def flag(self, file: str, label: str, rec: dict, key: str, default: bool) -> bool:
        value = rec.get(key, default)
        if not isinstance(value, bool):
            self.add(file, label, f"“{key}”应为 true 或 false")
            return default
        return value

    def region(self, file: str, label: str, rec: dict, lengths: tuple[int, ...]) -> str | None:
        value = rec.get("region_code")
        if value is None:
            return None
        value = str(value)
        if not value.isdigit() or len(value) not in lengths:
            self.add(file, label, f"区划代码“{value}”应为 {'、'.join(map(str, lengths))} 位数字（GB/T 2260）")
        return value

    def strings(self, file: str, label: str, rec: dict, key: str) -> list[str]:
        value = rec.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.add(file, label, f"“{key}”应为非空文本的列表")
            return []
        return list(dict.fromkeys(v.strip() for v in value))


def _taxonomy_records(checker: _Checker, file: str, data: Any) -> list[dict] | None:
    """The tags, read by the tagger's own parser (``feedback.taxonomy``): seed accepts exactly the files
    the tagger loads at boot, and names the problem the tagger would raise."""
    try:
        taxonomy = Taxonomy.from_dict(data, file)
    except TaxonomyError as exc:
        checker.add(file, "文件", f"标签体系无效，标注器无法加载（{exc}）")
        return None
    return [{"code": t.code, "name": t.name, "description": t.description} for t in taxonomy.tags]


def _parse(directory: Path) -> tuple[dict[str, list[dict]], list[str]]:
    """Validate all four files; return plain value dicts per kind, or raise SeedError."""
    ck = _Checker()
    parsed: dict[str, list[dict]] = {kind: [] for kind in KIND_LABELS}
    notes: list[str] = []

    tag_recs, _ = ck.load(directory, TAXONOMY_FILE, None)
    for order, (label, rec) in enumerate(
        ck.records(TAXONOMY_FILE, tag_recs or [], {"code", "name", "description"}, {"code", "name"}, 32), start=1
    ):
        parsed["tags"].append(
            {
                "code": rec["code"],
                "name": ck.text(TAXONOMY_FILE, label, rec, "name", 32),
                "description": ck.text(TAXONOMY_FILE, label, rec, "description", None) or "",
                "sort_order": order,
            }
        )
    tag_codes = None if tag_recs is None else {t["code"] for t in parsed["tags"]}

    f = DEPARTMENTS_FILE
    dept_recs, sample = ck.load(directory, f, "departments")
    dept_keys = {"code", "name", "level", "region_code", "parent", "is_org_department", "sample"}
    checked = ck.records(f, dept_recs or [], dept_keys, {"code", "name", "level"}, 32)
    dept_codes = {rec["code"] for _, rec in checked}
    for label, rec in checked:
        parent = rec.get("parent")
        if parent is not None and (not isinstance(parent, str) or parent not in dept_codes):
            ck.add(f, label, f"上级部门代码“{parent}”不存在于 {f}")
            parent = None
        parsed["departments"].append(
            {
                "code": rec["code"],
                "name": ck.text(f, label, rec, "name", 64),
                "level": ck.choice(f, label, rec, "level", DEPARTMENT_LEVELS),
                "region_code": ck.region(f, label, rec, (6, 9, 12)),
                "parent": parent,
                "is_org_department": ck.flag(f, label, rec, "is_org_department", False),
                "is_sample": ck.flag(f, label, rec, "sample", sample),
            }
        )
    _check_parent_cycles(ck, parsed["departments"])
    if sample:
        notes.append(f"{f} 为示例数据（sample: true），正式使用前请替换为本地真实部门")
    levels = {d["code"]: d["level"] for d in parsed["departments"]}
    notes += [
        f"省级部门“{code}”没有对应的市级部门“city-{code[5:]}”，转市直部门上报时无法匹配"
        for code, level in levels.items()
        if level == "province" and code.startswith("prov-") and f"city-{code[5:]}" not in levels
    ]

    f = RESPONSIBILITIES_FILE
    resp_recs, sample = ck.load(directory, f, "responsibilities")
    resp_keys = {
        "code",
        "matter",
        "description",
        "tags",
        "terms",
        "imposer_level",
        "primary",
        "cooperating",
        "path",
        "deadline_class",
        "complex",
        "priority",
        "sample",
    }
    known = dept_codes if dept_recs is not None else None
    for label, rec in ck.records(f, resp_recs or [], resp_keys, {"code", "matter", "primary"}, 32):
        tags, terms = ck.strings(f, label, rec, "tags"), ck.strings(f, label, rec, "terms")
        cooperating = ck.strings(f, label, rec, "cooperating")
        if not tags and not terms:
            ck.add(f, label, "至少需要一个标签（tags）或关键词（terms），否则永远不会匹配")
        for tag in tags:
            if tag_codes is not None and tag not in tag_codes:
                ck.add(f, label, f"未知的标签代码“{tag}”（{TAXONOMY_FILE} 中没有）")
        primary = rec.get("primary")
        if primary is not None and not isinstance(primary, str):
            ck.add(f, label, "“primary”应为一个部门代码")
            primary = None
        if known is not None:
            for code in [primary, *cooperating]:
                if code is not None and code not in known:
                    ck.add(f, label, f"未知的部门代码“{code}”（{DEPARTMENTS_FILE} 中没有）")
        if primary in cooperating:
            ck.add(f, label, f"主办部门“{primary}”不应同时列为协办部门")
        priority = rec.get("priority", 100)
        if not isinstance(priority, int) or isinstance(priority, bool):
            ck.add(f, label, "“priority”应为整数")
        parsed["responsibilities"].append(
            {
                "code": rec["code"],
                "matter": ck.text(f, label, rec, "matter", 128),
                "description": ck.text(f, label, rec, "description", None) or "",
                "tags": tags,
                "terms": terms,
                "imposer_level": ck.choice(f, label, rec, "imposer_level", DEPARTMENT_LEVELS),
                "primary": primary,
                "cooperating": cooperating,
                "path": ck.choice(f, label, rec, "path", ROUTE_PATHS, "direct"),
                "deadline_class": ck.choice(f, label, rec, "deadline_class", DEADLINE_CLASSES, "standard"),
                "complex": ck.flag(f, label, rec, "complex", False),
                "priority": priority,
                "is_sample": ck.flag(f, label, rec, "sample", sample),
            }
        )
    if sample:
        notes.append(f"{f} 为示例数据（sample: true），正式使用前请替换为本地职责清单")

    f = POINTS_FILE
    point_recs, sample = ck.load(directory, f, "observation_points")
    point_keys = {"code", "name", "point_type", "region_code", "liaison_name", "sample"}
    for label, rec in ck.records(f, point_recs or [], point_keys, {"code", "name", "point_type", "region_code"}, 16):
        parsed["observation_points"].append(
            {
                "code": rec["code"],
                "name": ck.text(f, label, rec, "name", 64),
                "point_type": ck.choice(f, label, rec, "point_type", POINT_TYPES),
                "region_code": ck.region(f, label, rec, (6, 9, 12)),
                "liaison_name": ck.text(f, label, rec, "liaison_name", 32),
                "is_sample": ck.flag(f, label, rec, "sample", sample),
            }
        )
    if sample:
        notes.append(f"{f} 为示例数据（sample: true），正式使用前请替换为本地观测点")
    districts = {d["region_code"] for d in parsed["departments"] if d["level"] == "district" and d["region_code"]}
    outside = [
        p["code"]
        for p in parsed["observation_points"]
        if districts and p["region_code"] and p["region_code"][:6] not in districts
    ]
    if outside:
        notes.append(f"观测点 {'、'.join(outside)} 的区划代码不在 {DEPARTMENTS_FILE} 的任何区县范围内")

    if ck.problems:
        raise SeedError(ck.problems)
    return parsed, notes


def _check_parent_cycles(ck: _Checker, departments: list[dict]) -> None:
    parents = {d["code"]: d["parent"] for d in departments}
    for code in parents:
        seen, current = {code}, parents[code]
        while current is not None and current in parents:
            if current in seen:
                ck.add(DEPARTMENTS_FILE, f"记录“{code}”", "上级部门关系形成循环")
                break
            seen.add(current)
            current = parents[current]


# ---------------------------------------------------------------- writing


@dataclass
class _Applied:
    rows: dict[str, Any]
    created: set[str]
    updated: set[str]


def _upsert(
    model: type[Any], specs: list[dict], counts: KindCounts, values: Callable[[dict], dict[str, Any]]
) -> _Applied:
    """Create or update one kind by code and deactivate the rows no longer listed.

    Only differing attributes are assigned, so a second run leaves no dirty rows.
    Created/updated counts are filled in by ``_count`` once links are settled too.
    """
    rows: dict[str, Any] = {row.code: row for row in db.session.scalars(select(model))}
    applied = _Applied(rows, set(), set())
    for spec in specs:
        wanted = {**values(spec), "active": True}
        row = rows.get(spec["code"])
        if row is None:
            rows[spec["code"]] = model(code=spec["code"], **wanted)
            db.session.add(rows[spec["code"]])
            applied.created.add(spec["code"])
            continue
        for key, value in wanted.items():
            if getattr(row, key) != value:
                setattr(row, key, list(value) if isinstance(value, list) else value)
                applied.updated.add(spec["code"])
    listed = {spec["code"] for spec in specs}
    for code, row in rows.items():
        if code not in listed and row.active:
            row.active = False
            counts.deactivated += 1
    db.session.flush()
    return applied


def _count(applied: _Applied, counts: KindCounts) -> None:
    counts.created = len(applied.created)
    counts.updated = len(applied.updated - applied.created)


def seed_reference_data(config_dir: Path | str) -> SeedReport:
    """Validate every file, then upsert tags, departments, responsibilities and points. Flushes only."""
    from feedback.services import app_cache

    parsed, notes = _parse(Path(config_dir))
    report = SeedReport(notes=notes)
    app_cache.forget()

    tags = _upsert(Tag, parsed["tags"], report.tags, lambda s: {k: s[k] for k in ("name", "description", "sort_order")})
    _count(tags, report.tags)

    depts = _upsert(
        Department,
        parsed["departments"],
        report.departments,
        lambda s: {k: s[k] for k in ("name", "level", "region_code", "is_org_department", "is_sample")},
    )
    # Second pass: a parent may be listed after its child, so links wait for every id.
    for spec in parsed["departments"]:
        row = depts.rows[spec["code"]]
        parent_id = depts.rows[spec["parent"]].id if spec["parent"] else None
        if row.parent_id != parent_id:
            row.parent_id = parent_id
            depts.updated.add(spec["code"])
    db.session.flush()
    _count(depts, report.departments)

    resps = _upsert(
        Responsibility,
        parsed["responsibilities"],
        report.responsibilities,
        lambda s: {
            **{
                k: s[k]
                for k in (
                    "matter",
                    "description",
                    "tags",
                    "terms",
                    "imposer_level",
                    "path",
                    "deadline_class",
                    "complex",
                    "priority",
                    "is_sample",
                )
            },
            "primary_department_id": depts.rows[s["primary"]].id,
        },
    )
    for spec in parsed["responsibilities"]:
        row = resps.rows[spec["code"]]
        wanted = [depts.rows[code] for code in spec["cooperating"]]
        if {d.id for d in row.cooperating_departments} != {d.id for d in wanted}:
            row.cooperating_departments = wanted
            resps.updated.add(spec["code"])
    db.session.flush()
    _count(resps, report.responsibilities)

    points = _upsert(
        ObservationPoint,
        parsed["observation_points"],
        report.observation_points,
        lambda s: {k: s[k] for k in ("name", "point_type", "region_code", "liaison_name", "is_sample")},
    )
    _count(points, report.observation_points)
    return report
