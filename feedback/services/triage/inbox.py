"""The org department's inbox and the staff view of one feedback."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, func, select, text

from feedback.clock import now
from feedback.errors import NotFound
from feedback.extensions import db, dialect_name
from feedback.labels import KIND_LABELS, excerpt
from feedback.models import (
    Assignment,
    Event,
    Feedback,
    FeedbackContact,
    FeedbackTag,
    Message,
    ObservationPoint,
    Tag,
    Upload,
)
from feedback.models.assignment import OPEN_PREDICATE
from feedback.services.handling import views
from feedback.services.handling.actors import Actor
from feedback.services.paging import SEARCH_COUNT_CAP, Total, count_capped
from feedback.timeutil import local_date
from feedback.workflow import (
    FEEDBACK_STATUS_LABELS,
    ORG_ROLES,
    READER_ROLES,
)


@dataclass
class InboxQuery:
    status: str | None = None
    tag: str | None = None
    kind: str | None = None
    point: str | None = None
    region: str | None = None
    overdue: bool | None = None
    q: str | None = None
    order: str = "newest"
    page: int = 1
    per_page: int = 20
    # Keyset paging: the page after the feedback with this id (in the chosen order), instead of an
    # OFFSET that reads and throws away every earlier row. ``page`` is then only the page's number.
    after: int | None = None
    exact_total: bool = False


def _tag_id(code: str):
    return select(Tag.id).where(Tag.code == code).scalar_subquery()


def _late_feedback_ids() -> Select:
    """Ids of feedback with an open assignment past its deadline, from the partial index of open
    assignments (its own predicate, so that SQLite's planner sees it too)."""
    return select(Assignment.feedback_id).where(text(f"assignments.{OPEN_PREDICATE}"), Assignment.due_at <= now())


def _own_filters(query: InboxQuery, stmt: Select, *, counted: bool = False) -> Select:
    """The filters on feedback's own columns (and its observation point); ``counted`` for a count,
    which reads every row anyway (see the region filter)."""
    if query.status:
        stmt = stmt.where(Feedback.status == query.status)
    if query.kind:
        stmt = stmt.where(Feedback.kind == query.kind)
    if query.point:
        stmt = stmt.join(ObservationPoint, ObservationPoint.id == Feedback.point_id).where(
            ObservationPoint.code == query.point
        )
    if query.region:
        stmt = stmt.where(Feedback.region_code.startswith(query.region, autoescape=True))
        if counted and dialect_name() == "sqlite":
            # SQLite reads a LIKE from an index only for a literal pattern; the same prefix as a
            # range (region codes are digits, compared as bytes) it reads from the index. Counts
            # only: for a page SQLite would then read every row of the range and sort them, where
            # walking the newest rows finds a page at once.
            after = query.region[:-1] + chr(ord(query.region[-1]) + 1)
            stmt = stmt.where(Feedback.region_code >= query.region, Feedback.region_code < after)
    return stmt


# A tag combined with filters on feedback's own columns that leave at most this many rows is checked
# row by row (one probe of the (feedback_id, tag_id) key each) instead of reading every feedback of
# the tag (a quarter of them for a common tag) to join with.
TAG_PROBE_LIMIT = 20_000


def _probe_tags(query: InboxQuery) -> bool:
    if not query.tag or not (query.status or query.kind or query.point or query.region):
        return False
    if not count_capped(_own_filters(query, select(Feedback.id), counted=True), cap=TAG_PROBE_LIMIT).exact:
        return False
    if dialect_name() == "postgresql":
        # The planner prices each probe as a random read, so a count of 10^4 probes looks costly
        # enough to compile (JIT: 3.5 ms of a 16 ms count at 10^6 rows) though the probes take
        # microseconds. For this transaction only.
        db.session.execute(text("SET LOCAL jit = off"))
    return True


def _filtered(query: InboxQuery, *, search: bool = True, probe_tags: bool = False, counted: bool = False) -> Select:
    stmt = _own_filters(query, select(Feedback), counted=counted)
    if query.tag and probe_tags:
        # OFFSET 0 keeps PostgreSQL from turning the EXISTS into a join: a probe per row it is.
        tagged = (
            select(FeedbackTag.feedback_id)
            .where(FeedbackTag.feedback_id == Feedback.id, FeedbackTag.tag_id == _tag_id(query.tag))
            .offset(0)
        )
        stmt = stmt.where(tagged.exists())
    elif query.tag:
        stmt = stmt.where(
            Feedback.id.in_(select(FeedbackTag.feedback_id).where(FeedbackTag.tag_id == _tag_id(query.tag)))
        )
    if query.overdue:
        stmt = stmt.where(Feedback.id.in_(_late_feedback_ids()))
    elif query.overdue is not None:
        # The partial index's own predicate (models.assignment), so that SQLite's planner sees it too.
        late = exists().where(
            Assignment.feedback_id == Feedback.id, text(f"assignments.{OPEN_PREDICATE}"), Assignment.due_at <= now()
        )
        stmt = stmt.where(~late)
    if query.q and search:
        from feedback.services.admin.search import apply_search

        stmt = apply_search(stmt, query.q)
    return stmt


# From this offset on a page is found by a deferred join: the page's ids are read from the filter's
# index alone (rows skipped by OFFSET cost an index entry, not a heap row), then only those rows are
# fetched. Earlier pages read the few skipped rows directly.
DEFERRED_OFFSET = 200


# What a summary shows of the feedback row itself.
_SUMMARY_COLUMNS = (
    Feedback.id,
    Feedback.kind,
    Feedback.status,
    Feedback.content,
    Feedback.submitted_on,
    Feedback.region_code,
    Feedback.point_id,
)


def _load(stmt: Select) -> list[dict]:
    """The summaries of the feedback ``stmt`` selects, in its order.

    Three plain queries — the rows' summary columns, their tags, their observation points — instead
    of ORM objects with two selectin loads: building those objects was 40 % of an inbox request's
    CPU (issue 12). The tags come in the order of ``Feedback.tags`` (best score first).
    """
    rows = db.session.execute(stmt.with_only_columns(*_SUMMARY_COLUMNS)).all()
    if not rows:
        return []
    tags: dict[int, list[dict]] = {}
    for feedback_id, code, name in db.session.execute(
        select(FeedbackTag.feedback_id, Tag.code, Tag.name)
        .join(Tag, Tag.id == FeedbackTag.tag_id)
        .where(FeedbackTag.feedback_id.in_([row.id for row in rows]))
        .order_by(FeedbackTag.feedback_id, FeedbackTag.score.desc(), FeedbackTag.id)
    ):
        tags.setdefault(feedback_id, []).append({"code": code, "name": name})
    point_ids = {row.point_id for row in rows if row.point_id is not None}
    points = {
        point_id: {"code": code, "name": name}
        for point_id, code, name in (
            db.session.execute(
                select(ObservationPoint.id, ObservationPoint.code, ObservationPoint.name).where(
                    ObservationPoint.id.in_(point_ids)
                )
            )
            if point_ids
            else ()
        )
    }
    return [
        _summary(row.id, row.kind, row.status, row.content, row.submitted_on, row.region_code)
        | {"tags": tags.get(row.id, []), "point": points.get(row.point_id)}
        for row in rows
    ]


def _load_ids(ids: list[int], oldest: bool) -> list[dict]:
    """The summaries of the feedback with these ids, in the list's order (a page found by its ids)."""
    if not ids:
        return []
    return _load(
        select(Feedback).where(Feedback.id.in_(ids)).order_by(Feedback.id.asc() if oldest else Feedback.id.desc())
    )


def _page(stmt: Select, order, offset: int, limit: int) -> list[dict]:
    if offset >= DEFERRED_OFFSET:
        ids = stmt.with_only_columns(Feedback.id).order_by(order).offset(offset).limit(limit)
        stmt = select(Feedback).where(Feedback.id.in_(ids.scalar_subquery()))
    else:
        stmt = stmt.offset(offset)
    return _load(stmt.order_by(order).limit(limit))


# Text search looks for a page among the newest SEARCH_WINDOW ids first (oldest, in that order), then
# in a window eight times wider, and so on: a page of a frequent word is found in the first window,
# without reading every match; a rare word's windows soon cover every id.
SEARCH_WINDOW = 4096


def _searched_page(
    query: InboxQuery, order, offset: int, limit: int, *, probe_tags: bool = False
) -> tuple[list[dict], Total | None] | None:
    """The page of a text search, its ids looked for in id windows (see SEARCH_WINDOW), then its
    rows read; with the list's total when it came along (``_first_matches``). None when the query
    has no tokens to search for."""
    from feedback.services.admin.search import matching_ids

    if matching_ids(query.q) is None:
        return None

    def matching(lowest: int | None = None, highest: int | None = None) -> ColumnElement[bool]:
        # The first window is read row by row: cheaper than every match of a frequent word.
        ids = matching_ids(query.q, lowest=lowest, highest=highest, row_by_row=width == SEARCH_WINDOW)
        assert ids is not None  # the query has tokens (above)
        return Feedback.id.in_(ids)

    stmt = _filtered(query, search=False, probe_tags=probe_tags).with_only_columns(Feedback.id).order_by(order)
    oldest = query.order == "oldest"
    # Two scalar subqueries: SQLite reads min() or max() alone from the key, both at once by a scan.
    low, high = db.session.execute(
        select(select(func.min(Feedback.id)).scalar_subquery(), select(func.max(Feedback.id)).scalar_subquery())
    ).one()
    if low is None:
        return [], None
    if query.after is not None:
        stmt = stmt.where(Feedback.id > query.after if oldest else Feedback.id < query.after)
        low, high = (max(low, query.after + 1), high) if oldest else (low, min(high, query.after - 1))
    width = SEARCH_WINDOW
    while True:
        # One bound per window: the open side is where the list starts (rows added meanwhile count).
        edge = low + width - 1 if oldest else high - width + 1
        whole = edge >= high if oldest else edge <= low
        if whole:
            window = matching()
        elif oldest:
            window = and_(Feedback.id <= edge, matching(highest=edge))
        else:
            window = and_(Feedback.id >= edge, matching(lowest=edge))
        ids = list(db.session.scalars(stmt.where(window).offset(offset).limit(limit)))
        if whole or len(ids) == limit:
            return _load_ids(ids, oldest), None
        if width == SEARCH_WINDOW and _first_matches_serve(query, offset, limit):
            return _first_matches(query, offset, limit)
        width *= 8


def _first_matches_serve(query: InboxQuery, offset: int, limit: int) -> bool:
    """Whether ``_first_matches`` answers the page: PostgreSQL, the search alone, paged by number
    within the count's cap.

    There a wider window costs as much as the whole search: the GIN index yields every match of the
    query and the id range only filters them afterwards, and the count reads them all again."""
    return (
        dialect_name() == "postgresql"
        and _only(query, "q")
        and query.after is None
        and not query.exact_total
        and offset + limit <= _search_count_cap() + 1
    )


def _first_matches(query: InboxQuery, offset: int, limit: int) -> tuple[list[dict], Total]:
    """The page and the total of a search alone, from the first ``cap + 1`` matches in list order:
    one read of the matches instead of a wider window, the planner's estimate and the count."""
    from feedback.services.admin.search import matching_ids

    cap = _search_count_cap()
    matches = matching_ids(query.q)
    assert matches is not None  # the query has tokens (_searched_page)
    # OFFSET 0 keeps the ORDER BY … LIMIT from being read off the key row by row, testing every
    # row until the cap is reached: for a rare word, most of the index. Its matches are read, then
    # sorted.
    found = matches.offset(0).subquery()
    key = found.c[0]
    oldest = query.order == "oldest"
    ids = list(db.session.scalars(select(key).order_by(key.asc() if oldest else key.desc()).limit(cap + 1)))
    rows = _load_ids(ids[offset : offset + limit], oldest)
    return rows, Total(len(ids)) if len(ids) <= cap else Total(cap, exact=False)


def _search_count_cap() -> int:
    return int(current_app.config.get("SEARCH_COUNT_CAP", SEARCH_COUNT_CAP))


def list_inbox(query: InboxQuery) -> tuple[list[dict], Total, int | None]:
    """One page of the inbox (summaries, as ``summary`` makes them), its total (exact up to
    ``COUNT_CAP``, then "1 万+" unless asked) and the ``after`` of the next page (None on the last
    page)."""
    oldest = query.order == "oldest"
    order = Feedback.id.asc() if oldest else Feedback.id.desc()
    probe_tags = _probe_tags(query)
    offset = 0 if query.after is not None else (query.page - 1) * query.per_page
    limit = query.per_page + 1
    rows, total = None, None
    if query.q and (searched := _searched_page(query, order, offset, limit, probe_tags=probe_tags)) is not None:
        rows, total = searched
    if rows is None and query.overdue and _only(query, "overdue"):
        rows = _late_page(query, offset, limit)
    if rows is None and query.tag and _only(query, "tag"):
        rows = _tagged_page(query, offset, limit)
    if rows is None:
        stmt = _filtered(query, probe_tags=probe_tags)
        if query.after is not None:
            stmt = stmt.where(Feedback.id > query.after if oldest else Feedback.id < query.after)
        rows = _page(stmt, order, offset, limit)
    items = rows[: query.per_page]
    next_after = items[-1]["id"] if len(rows) > query.per_page else None
    return items, total if total is not None else _total(query, probe_tags), next_after


def _late_page(query: InboxQuery, offset: int, limit: int) -> list[dict]:
    """A page of overdue=true alone: its ids from the partial index of open assignments, in the
    list's order (the newest feedback are rarely overdue: read from feedback, they come first)."""
    return _listed_page(query, _late_feedback_ids().distinct(), Assignment.feedback_id, offset, limit)


def _tagged_page(query: InboxQuery, offset: int, limit: int) -> list[dict]:
    """A page of tag=… alone: its ids read in the list's order from the (tag_id, feedback_id) index,
    a page's worth of entries. As ``feedback.id IN (…)`` SQLite first collected every feedback of
    the tag (19 ms for a common tag at 2x10^5 rows)."""
    ids = select(FeedbackTag.feedback_id).where(FeedbackTag.tag_id == _tag_id(query.tag or ""))
    return _listed_page(query, ids, FeedbackTag.feedback_id, offset, limit)


def _listed_page(query: InboxQuery, ids: Select, column, offset: int, limit: int) -> list[dict]:
    """The page of feedback whose ids ``ids`` lists in ``column`` (each id once, of an existing
    feedback), read in the list's order and paging from that index alone."""
    oldest = query.order == "oldest"
    if query.after is not None:
        ids = ids.where(column > query.after if oldest else column < query.after)
    page = list(db.session.scalars(ids.order_by(column.asc() if oldest else column.desc()).offset(offset).limit(limit)))
    return _load_ids(page, oldest)


def _only(query: InboxQuery, name: str) -> bool:
    """Whether ``name`` is the one filter of the query (order and paging aside)."""
    fields = ("status", "tag", "kind", "point", "region", "overdue", "q")
    chosen = {f for f in fields if getattr(query, f) not in (None, "")}  # overdue=False filters too
    return chosen == {name}


def _total(query: InboxQuery, probe_tags: bool = False) -> Total:
    """The inbox's total: exact when asked, else capped (``paging.count_capped``).

    A text search, and a tag checked row by row (``probe_tags``), are counted to a lower cap
    (``SEARCH_COUNT_CAP``): every row counted is a row of the search index read or a probe of the
    tag index, where other filters count index entries; and on PostgreSQL the planner's estimate
    is asked first (``guess``). A single filter whose rows are listed in another table is counted
    there, without joining feedback (each row has its feedback: a foreign key; the search index's
    rows go with their feedback).
    """

    def filtered() -> Select:
        return _filtered(query, probe_tags=probe_tags, counted=True).with_only_columns(Feedback.id)

    if query.exact_total:
        return count_capped(filtered(), exact=True)
    from feedback.services.admin.search import matching_ids

    searched = matching_ids(query.q) if query.q else None
    costly = searched is not None or probe_tags
    cap = _search_count_cap() if costly else None
    if searched is not None and _only(query, "q"):
        source = searched
    elif query.overdue and _only(query, "overdue"):
        source = _late_feedback_ids().distinct()
    elif query.tag and _only(query, "tag"):
        source = select(FeedbackTag.feedback_id).where(FeedbackTag.tag_id == _tag_id(query.tag))
    else:
        source = filtered()  # SQLite counts from a covering index then
    return count_capped(source, cap=cap, guess=costly)


def visible_feedback(actor: Actor, feedback_id: int) -> Feedback:
    """Handlers see only feedback assigned to their department; for them anything else does not exist."""
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is not None and actor.role not in READER_ROLES:
        assigned = db.session.scalar(
            select(
                exists().where(Assignment.feedback_id == feedback_id, Assignment.department_id == actor.department_id)
            )
        )
        feedback = feedback if actor.role == "handler" and assigned else None
    if feedback is None:
        raise NotFound("未找到该反映", code="feedback_not_found")
    return feedback


def summary(feedback: Feedback) -> dict:
    """A feedback as the inbox lists it (``_load`` makes the same from plain rows)."""
    return _summary(
        feedback.id, feedback.kind, feedback.status, feedback.content, feedback.submitted_on, feedback.region_code
    ) | {
        "tags": [{"code": t.tag.code, "name": t.tag.name} for t in feedback.tags],
        "point": {"code": feedback.point.code, "name": feedback.point.name} if feedback.point else None,
    }


def _summary(id_: int, kind: str, status: str, content: str, submitted_on, region_code: str | None) -> dict:
    return {
        "id": id_,
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "status": status,
        "status_label": FEEDBACK_STATUS_LABELS[status],
        "excerpt": excerpt(content),
        "submitted_on": submitted_on,
        "region_code": region_code,
    }


def detail(actor: Actor, feedback: Feedback) -> dict:
    """Departments get ``department_view`` and their own assignments; readers get the whole record,
    and the org department also the contact."""
    moment = now()
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.feedback_id == feedback.id).order_by(Assignment.id)
    ).all()
    if actor.role not in READER_ROLES:
        mine = [views.brief(a, moment) for a in assignments if a.department_id == actor.department_id]
        return summary(feedback) | views.department_view(feedback) | {"assignments": mine}
    body = summary(feedback) | {
        "content": feedback.content,
        "tags": [
            {
                "code": t.tag.code,
                "name": t.tag.name,
                "score": t.score,
                "matched": t.matched,
                "learned": t.learned or [],
                "tagger_version": t.tagger_version,
                "source": t.source,
            }
            for t in feedback.tags
        ],
        "unit_level": feedback.unit_level,
        "route_path": feedback.route_path,
        "merged_into_id": feedback.merged_into_id,
        "reopen_count": feedback.reopen_count,
        "rating": feedback.rating,
        "attachments": views.attachment_ids(feedback),
        "assignments": [views.brief(a, moment) for a in assignments],
        "routing_suggestion": feedback.routing_suggestion,
        "imposer_level": feedback.imposer_level,
        "rating_comment": feedback.rating_comment,
        "messages": [
            {"direction": m.direction, "body": m.body, "on": local_date(m.created_at)}
            for m in db.session.scalars(select(Message).where(Message.feedback_id == feedback.id).order_by(Message.id))
        ],
    }
    if actor.role in ORG_ROLES:
        contact = db.session.scalar(select(FeedbackContact).where(FeedbackContact.feedback_id == feedback.id))
        body["contact"] = {"name": contact.name, "phone": contact.phone, "note": contact.note} if contact else None
    return body


def history(feedback: Feedback) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.feedback_id == feedback.id).order_by(Event.id)))


def attachment(actor: Actor, feedback_id: int, upload_id: str) -> Upload:
    """One of a feedback's attachments, for whoever may see that feedback (``visible_feedback``)."""
    feedback = visible_feedback(actor, feedback_id)
    upload = db.session.scalar(select(Upload).where(Upload.id == upload_id, Upload.feedback_id == feedback.id))
    if upload is None:
        raise NotFound("未找到该附件", code="attachment_not_found")
    return upload
