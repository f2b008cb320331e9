"""Import contracts: which layer may import which (read from the source, imports inside functions too).

- Domain modules are pure: no Flask, no SQLAlchemy, no database models, no services, no API.
- The API and the console ask services; it imports neither SQLAlchemy nor the
  models, except its schema modules, which describe model-shaped answers.
- Nothing imports the API but the app factory (``feedback/__init__.py``) and the API itself; the
  console may import the API's input schemas and route patterns, so a form and its JSON twin are
  checked by the same rules (one copy of each).
- No test module imports another: shared helpers live in ``tests/support``.
- Read models (``services/*/views.py``, ``*_views.py``) only query: they add, flush, delete or
  commit nothing and build no INSERT, UPDATE or DELETE; commands live beside them.

``if TYPE_CHECKING:`` blocks are skipped: annotations do not make a runtime dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "feedback"
DOMAIN = (
    "calendar",
    "statutory",
    "route_suggestion",
    "workflow",
    "privacy",
    "tagging",
    "taxonomy",
    "tag_model",
    "labels",
    "timeutil",
)
OUTSIDE_DOMAIN = (
    "flask",
    "flask_sqlalchemy",
    "flask_migrate",
    "sqlalchemy",
    "feedback.extensions",
    "feedback.models",
    "feedback.services",
    "feedback.api",
    "feedback.jobs",
    "feedback.cli",
)
OUTSIDE_API = ("sqlalchemy", "flask_sqlalchemy", "feedback.models")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path) -> set[str]:
    """Every module the file imports at run time (``from a import b`` counts as a and a.b)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _hits(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("name", DOMAIN)
def test_domain_modules_import_no_framework_database_or_services(name):
    assert _hits(imports(PACKAGE / f"{name}.py"), OUTSIDE_DOMAIN) == []


def test_the_api_imports_no_sqlalchemy_and_no_models_outside_its_schemas():
    offenders = {}
    for path in SOURCES:
        module = _module_name(path)
        is_client = module.startswith(("feedback.api", "feedback.console"))
        if is_client and not path.name.startswith("schemas") and path.name != "fields.py":
            bad = _hits(imports(path), OUTSIDE_API)
            if bad:
                offenders[module] = bad
    assert offenders == {}


def _shared_with_console(name: str) -> bool:
    """An API input schema module (or a name in one), or a route pattern of the staff API."""
    parts = name.split(".")
    return (len(parts) >= 4 and parts[:2] == ["feedback", "api"] and parts[3].startswith("schemas")) or name in (
        "feedback.api.staff",
        "feedback.api.staff.ID",
        "feedback.api.staff.INT_ID",
    )


def test_nothing_but_the_app_factory_imports_the_api():
    offenders = {}
    for path in SOURCES:
        module = _module_name(path)
        if module == "feedback" or module.startswith("feedback.api"):
            continue
        found = imports(path)
        if module.startswith("feedback.console"):
            found = {name for name in found if not _shared_with_console(name)}
        bad = _hits(found, ("feedback.api",))
        if bad:
            offenders[module] = bad
    assert offenders == {}


def test_the_checker_sees_imports_inside_functions(tmp_path):
    """The contracts would pass vacuously if the reader missed an import; it must not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import flask\n"
        "def f():\n    from sqlalchemy import select\n    import feedback.models\n"
    )
    assert imports(sample) >= {"sqlalchemy", "sqlalchemy.select", "feedback.models"}
    assert "flask" not in imports(sample)


SESSION_WRITES = {"add", "add_all", "delete", "merge", "flush", "commit", "rollback"}
DML_NAMES = {"insert", "update", "delete"}
DML = ("sqlalchemy.insert", "sqlalchemy.update", "sqlalchemy.delete", "sqlalchemy.dialects")
READ_MODELS = sorted(
    p for p in (PACKAGE / "services").rglob("*.py") if p.name == "views.py" or p.stem.endswith("_views")
)


def writes(path: Path) -> list[str]:
    """Session calls that change state, and INSERT/UPDATE/DELETE (imported, or as ``sa.update``)."""
    found = [f"import {name}" for name in _hits(imports(path), DML)]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner, called = node.func.value, node.func.attr
        on_session = (isinstance(owner, ast.Attribute) and owner.attr == "session") or (
            isinstance(owner, ast.Name) and owner.id == "session"
        )
        if on_session and called in SESSION_WRITES:
            found.append(f"line {node.lineno}: session.{called}")
        elif isinstance(owner, ast.Name) and owner.id in ("sa", "sqlalchemy") and called in DML_NAMES:
            found.append(f"line {node.lineno}: {owner.id}.{called}")
    return found


def test_read_models_change_nothing():
    assert len(READ_MODELS) >= 4  # handling, notices, reporting ledger and summaries
    assert {_module_name(p): writes(p) for p in READ_MODELS} == {_module_name(p): [] for p in READ_MODELS}


def test_the_write_checker_sees_session_writes_and_dml(tmp_path):
    """The read-model contract would pass vacuously if the checker missed a write; it must not."""
    sample = tmp_path / "sample_views.py"
    sample.write_text(
        "import sqlalchemy as sa\nfrom sqlalchemy import update\n"
        "def f(db):\n    db.session.flush()\n    s = set()\n    s.add(1)\n    sa.delete(x)\n"
    )
    assert writes(sample) == ["import sqlalchemy.update", "line 4: session.flush", "line 7: sa.delete"]


def test_no_test_module_imports_another():
    tests = ROOT / "tests"
    offenders = {
        path.name: bad
        for path in sorted(tests.rglob("test_*.py"))
        if (bad := sorted(n for n in imports(path) if n.startswith("tests.test_") or n.startswith("test_")))
    }
    assert offenders == {}
