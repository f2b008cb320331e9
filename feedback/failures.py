"""Describe an exception for logs and run records without its text.

Exception text is data: SQLAlchemy puts the statement's parameters in it (a cadre's feedback, a
receipt hash, the exact time of a submission), PostgreSQL's DETAIL lines repeat offending
values, and a ``ValueError`` may quote whatever it could not parse. So logs and ``job_runs``
get the exception types, the place it was raised and the call stack (file, line, function), never
the message and never local values. Messages of exceptions defined in this package are kept,
because we wrote them (Chinese operator messages such as a missing holiday calendar), unless
a database error is anywhere in the chain.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

_PROJECT_DIR = Path(__file__).resolve().parent.parent
_MAX_FRAMES = 12


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 5:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_database_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("sqlalchemy", "psycopg", "sqlite3", "_sqlite3")) or "DatabaseError" in {
        cls.__name__ for cls in type(exc).__mro__
    }


def _own_message(exc: BaseException, chain: list[BaseException]) -> str | None:
    if not type(exc).__module__.startswith("feedback") or any(_is_database_error(e) for e in chain):
        return None
    message = getattr(exc, "message", None) or (exc.args[0] if exc.args and isinstance(exc.args[0], str) else None)
    return str(message)[:300] if message else None


def _is_ours(frame: traceback.FrameSummary) -> bool:
    if frame.filename.startswith("<"):  # generated code (<string>, SQLAlchemy's wrappers)
        return False
    path = Path(frame.filename).resolve()
    return path.is_relative_to(_PROJECT_DIR) and "site-packages" not in path.parts


def _where(frame: traceback.FrameSummary) -> str:
    if frame.filename.startswith("<"):
        return f"{frame.filename.split()[0]}>:{frame.lineno} in {frame.name}"
    path = Path(frame.filename).resolve()
    if _is_ours(frame):
        path = path.relative_to(_PROJECT_DIR)
    elif "site-packages" in path.parts:
        path = Path(*path.parts[path.parts.index("site-packages") + 1 :])
    else:
        path = Path(path.name)
    return f"{path}:{frame.lineno} in {frame.name}"


def _frames(exc: BaseException) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(exc.__traceback__)) if exc.__traceback__ else []


def describe(exc: BaseException) -> str:
    """One line: exception types (outermost first), where in our code it was raised, and the stack.

    ``IntegrityError <- UniqueViolation at feedback/services/intake/submit.py:63 in _claim (stack: …)``
    """
    chain = _chain(exc)
    kinds = " <- ".join(f"{type(e).__module__}.{type(e).__qualname__}".removeprefix("builtins.") for e in chain)
    frames = _frames(exc)
    ours = [f for f in frames if _is_ours(f)]
    text = kinds
    own = _own_message(exc, chain)
    if own:
        text += f": {own}"
    if ours or frames:
        text += f" at {_where((ours or frames)[-1])}"
    # Our own frames tell the path through the code; the innermost library frame says where it broke.
    shown = ours[-_MAX_FRAMES:] + ([frames[-1]] if frames and frames[-1] not in ours else [])
    if shown:
        text += " (stack: " + " > ".join(_where(f) for f in shown) + ")"
    return text


def log_failure(logger: logging.Logger, what: str, exc: BaseException, *args: object) -> None:
    """``logger.error`` with the description above; never ``logger.exception`` (it prints the text)."""
    logger.error(what + " — %s", *args, describe(exc))
