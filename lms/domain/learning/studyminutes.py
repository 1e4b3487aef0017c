"""The study-minutes summary: items first completed per (UTC year and month, officer, item
type, item), kept exact; no Flask.

`lms_study_minutes` lets the study hours (`hours.earned`) read one or two rows per officer
for a year instead of every completion (docs/PERFORMANCE.md, "Study hours from a summary").
What it stores is a count, never minutes: the hours rule (LMS_HOURS) is applied when the
hours are read, and an item's own minutes (courseware `estimated_minutes`, a class
session's `duration_minutes`) are joined then too, so a corrected item or a changed rule is
seen at once. Lessons are counted under item 0 (their minutes are always a fixed number);
courseware and sessions per item.

Each first completion adds one to its month's row and to its year's row (month 0). A period
[start, end) is read as signed terms (`terms`): whole months or a year less some months
from the summary, and the few hours or days at its edges from lms_completion itself
(indexed on first_completed_at), so any instant and any time zone's calendar is exact.

Kept by every writer of a first completion, in its transaction, under the completion row's
lock: `unitstats.record_completion` (lesson passes), `completion.mark_completed` (courseware
read or passed, a class-session check-in, any other caller); a regrade that moves or takes
back a first completion rebuilds its officers' rows (`unitstats.rebuild(officer_ids=…)`);
`unitstats.rebuild()` rebuilds it all (the demo; the migration fills it the same way).
`drift()` compares it with a recount.
"""
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Integer, bindparam, case, cast, extract, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Completion, StudyMinutes
from .. import summaryrows

TABLE = StudyMinutes.__table__
KEY = ("year", "month", "user_id", "item_type", "item_id")
OWN_MINUTES = ("courseware", "session")  # item types whose minutes may be the item's own
YEAR = 0  # the `month` of a year's row


def item_key(item_type: str, item_id: int) -> int:
    """The summary's item column: the item for types with their own minutes, else 0."""
    return item_id if item_type in OWN_MINUTES else 0


def increment(user_id: int, item_type: str, item_id: int, at: datetime) -> dict:
    """The binds of `add_statement`: one more item first completed at `at`."""
    return {"p_m_year": at.year, "p_m_month": at.month, "p_m_user": user_id,
            "p_m_type": item_type, "p_m_item": item_key(item_type, item_id)}


def first_completion(user_id: int, item_type: str, item_id: int, before,
                     now: datetime) -> dict | None:
    """The increment owed when `mark_completed` at `now` turns `before` (the row as it was,
    under its lock: status, first_completed_at) into a completion; None if it was one."""
    if before is not None and before.status == "completed":
        return None
    first = before.first_completed_at if before is not None else None
    return increment(user_id, item_type, item_id, first or now)


@lru_cache(maxsize=4)
def add_statement(dialect: str):
    """Add an increment to its month's and its year's rows, creating them if needed;
    commutative, so concurrent increments all count. Built once per dialect."""
    row = {"user_id": bindparam("p_m_user", type_=TABLE.c.user_id.type),
           "item_type": bindparam("p_m_type", type_=TABLE.c.item_type.type),
           "item_id": bindparam("p_m_item", type_=TABLE.c.item_id.type),
           "year": bindparam("p_m_year", type_=TABLE.c.year.type), "completions": 1}
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(TABLE).values(
        [{**row, "month": bindparam("p_m_month", type_=TABLE.c.month.type)},
         {**row, "month": YEAR}])
    return stmt.on_conflict_do_update(
        index_elements=KEY,
        set_={"completions": TABLE.c.completions + stmt.excluded.completions})


def rebuild(db: Session, user_ids: Iterable[int] | None = None) -> None:
    """Recompute these officers' rows (everything when None) from lms_completion
    (`summaryrows.replace`: one DELETE and one INSERT … SELECT under a lock; no commit)."""
    users = None if user_ids is None else sorted(set(user_ids) - {None})
    if users == []:
        return
    fresh = recount(users).subquery("fresh")
    # in key order, so one month's rows sit together in the heap (a report reads them)
    summaryrows.replace(db, TABLE, () if users is None else (TABLE.c.user_id.in_(users),),
                        KEY + ("completions",),
                        select(fresh).order_by(fresh.c.year, fresh.c.month, fresh.c.user_id))


def recount(user_ids: list[int] | None = None):
    """The summary rows computed afresh from lms_completion (a SELECT of KEY and completions)."""
    item = case((Completion.item_type.in_(OWN_MINUTES), Completion.item_id), else_=0)
    at = Completion.first_completed_at
    year, month = (cast(extract(part, at), Integer) for part in ("year", "month"))
    monthly = (select(year.label("year"), month.label("month"),
                      Completion.user_id.label("user_id"),
                      Completion.item_type.label("item_type"), item.label("item_id"),
                      func.count().label("completions"))
               .where(Completion.status == "completed", at.isnot(None))
               .group_by(year, month, Completion.user_id, Completion.item_type, item))
    if user_ids is not None:
        monthly = monthly.where(Completion.user_id.in_(user_ids))
    months = monthly.cte("months")  # read twice (months and years), computed once
    yearly = (select(months.c.year, literal(YEAR), months.c.user_id, months.c.item_type,
                     months.c.item_id, func.sum(months.c.completions))
              .group_by(months.c.year, months.c.user_id, months.c.item_type,
                        months.c.item_id))
    return union_all(select(*(months.c[c] for c in KEY + ("completions",))), yearly)


def drift(db: Session) -> dict[tuple, tuple[int, int]]:
    """Key (KEY) → (stored, recomputed) count for every row that differs; {} when exact."""
    db.flush()
    stored = {tuple(r[:5]): int(r[5]) for r in db.execute(
        select(*(TABLE.c[c] for c in KEY), TABLE.c.completions)) if r[5]}
    fresh = {tuple(int(v) if i != 3 else v for i, v in enumerate(r[:5])): int(r[5])
             for r in db.execute(recount())}
    return {key: (stored.get(key, 0), fresh.get(key, 0)) for key in stored.keys() | fresh.keys()
            if stored.get(key, 0) != fresh.get(key, 0)}


# --- reading a period ---------------------------------------------------------------------

def terms(start: datetime, end: datetime, now: datetime | None = None
          ) -> tuple[list[tuple], list[tuple]]:
    """[start, end) as signed terms whose sum counts exactly the items first completed in
    it: raw intervals (from, to, ±1) to read from lms_completion, and summary rows (year,
    month or YEAR, ±1). Each edge is read on the side of its month boundary with less time
    to read — time after `now` is free, as nothing is completed there yet (a hint only:
    either side is exact) — and a year with more than six months is its year row less the
    others."""
    if end <= start:
        return [], []
    lo, hi = _month(start), _month(end)
    if lo == hi:  # inside one month: no whole month to read
        return [(start, end, 1)], []

    def cost(low: datetime, high: datetime):
        return max(min(high, now or high) - low, timedelta(0))

    raw = []
    if start > lo:
        after = _next(lo)
        if cost(start, after) <= cost(lo, start):
            raw.append((start, after, 1))
            lo = after
        else:
            raw.append((lo, start, -1))
    if end > hi:
        after = _next(hi)
        if cost(hi, end) <= cost(end, after):
            raw.append((hi, end, 1))
        else:
            raw.append((end, after, -1))
            hi = after
    by_year: dict[int, list[int]] = {}
    month = lo
    while month < hi:
        by_year.setdefault(month.year, []).append(month.month)
        month = _next(month)
    rows = []
    for year, months in by_year.items():
        if len(months) > 6:
            rows.append((year, YEAR, 1))
            rows.extend((year, m, -1) for m in range(1, 13) if m not in months)
        else:
            rows.extend((year, m, 1) for m in months)
    return raw, rows


def _month(moment: datetime) -> datetime:
    """The start of the UTC month holding `moment`."""
    return datetime(moment.year, moment.month, 1)


def _next(month: datetime) -> datetime:
    """The start of the month after `month` (a month's start)."""
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
