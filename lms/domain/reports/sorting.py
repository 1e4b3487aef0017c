"""Sorting the supervision tables by a column chosen in the query string; no Flask.

A table names its sortable columns and, for each, the direction a first click sorts in
(numbers largest first, names A–Z). Rows whose value is missing ("—") go last either way.
Small tables (a unit's children, its own officers, the branches of a 通报) are sorted here;
the long paged lists sort in SQL on the same keys.
"""
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class Sort:
    """A column key and a direction."""

    key: str
    descending: bool

    @property
    def direction(self) -> str:
        """"desc" or "asc", as the query string says it."""
        return "desc" if self.descending else "asc"


def parse(key: str | None, direction: str | None, first: Mapping[str, str],
          default: Sort | None = None) -> Sort | None:
    """The sort a request asks for: `key` among `first` (key → the direction a first click
    sorts in), `direction` asc|desc; anything else gives `default`."""
    if key not in first:
        return default
    chosen = direction if direction in DIRECTIONS else first[key]
    return Sort(key, chosen == "desc")


def sort_rows(rows: Iterable, sort: Sort | None, getters: Mapping[str, Callable]) -> list:
    """`rows` ordered by `sort` (stable; missing values last); unchanged without a sort."""
    rows = list(rows)
    if sort is None or sort.key not in getters:
        return rows
    get = getters[sort.key]
    present = [row for row in rows if get(row) is not None]
    present.sort(key=get, reverse=sort.descending)
    return present + [row for row in rows if get(row) is None]


def order(rows: Iterable, columns: Mapping[str, tuple[str, Callable]], key: str | None,
          direction: str | None) -> tuple[list, Sort | None]:
    """`rows` sorted as asked among `columns` (key → (first direction, getter)), and the sort
    applied (None: the table's own order)."""
    sort = parse(key, direction, {k: first for k, (first, _get) in columns.items()})
    return sort_rows(rows, sort, {k: get for k, (_first, get) in columns.items()}), sort


def _counts(field: str) -> tuple[str, Callable]:
    return "desc", lambda row: getattr(row.counts, field)


COUNT_COLUMNS = {name: _counts(name) for name in (
    "assigned", "completed", "on_time", "overdue", "rate", "on_time_rate", "first_average",
    "average_score")}
# The dashboard's child units; its own officers; the 通报's branches and named officers.
UNITS = {"unit": ("asc", lambda row: row.unit.code), **COUNT_COLUMNS}
OFFICERS = {"police_no": ("asc", lambda row: row.police_no),
            "name": ("asc", lambda row: row.name), **COUNT_COLUMNS,
            "activity": ("desc", lambda row: row.last_activity_at)}
BRANCHES = {"rank": ("asc", lambda row: row.rank), "unit": ("asc", lambda row: row.unit.code),
            "parent": ("asc", lambda row: row.parent_name),
            "members": ("desc", lambda row: row.members), **COUNT_COLUMNS,
            "points": ("desc", lambda row: row.points_per_member),
            "sessions": ("desc", lambda row: row.sessions),
            "attendance": ("desc", lambda row: row.attendance)}
NAMED = {"branch": ("asc", lambda row: row[0]), "police_no": ("asc", lambda row: row[1].police_no),
         "name": ("asc", lambda row: row[1].name),
         "overdue": ("desc", lambda row: row[1].counts.overdue)}
