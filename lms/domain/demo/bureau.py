"""Demo data: a realistic city bureau (org tree, roster, fixed demo logins); no Flask.

The tree (`orgtree`) is scaled to the officer count: above 30,000 officers a province of
city bureaus, the demo logins in the first (the admin and top supervisor at the province).
Everything is deterministic for a given seed, and written with bulk statements.
"""
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from ...models import Unit, User
from ...models.base import Base
from .. import clock
from ..claims import rules
from ..org import membership
from . import activity, classrooms, history, orgtree
from .orgtree import DemoUnit

DEFAULT_POINTS = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2}

DEMO_PASSWORD = "zhuhun-demo-2026"
GRACE = timedelta(days=7)  # the default LMS_NEWCOMER_GRACE_DAYS
MIN_OFFICERS, MAX_OFFICERS = 30, 300_000  # 30: the demo logins and a dozen branches

# Common surnames, most frequent first (weights fall off with rank), and given-name characters.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
            "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛顾钱")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国志宇浩然晨阳子轩"
         "雪梅立新海波永健文斌红燕峰飞俊凯佳琪欣怡思远宏亮春晓东晖德清正义庆林")

# The fixed demo logins: police_no, name, roles, where (see _login_units), what to try.
# Each role twice or more, in different units: an officer, a trainer, a branch secretary
# and an admin of their own, and supervisors at the bureau, a county and a station.
LOGINS = [
    ("000001", "王建国", ("officer", "supervisor", "admin"), "bureau", "管理员、市局督导"),
    ("000002", "李志强", ("officer", "supervisor"), "county", "分局督导"),
    ("000003", "张晓梅", ("officer", "trainer"), "politics", "教官"),
    ("000004", "刘洋", ("officer",), "branch", "民警"),
    ("000005", "陈静", ("officer", "supervisor"), "branch", "党支部书记"),
    ("000006", "赵军", ("officer", "supervisor"), "station", "派出所督导"),
    ("000007", "孙丽娟", ("officer",), "other_county", "民警"),
    ("000008", "周明", ("officer", "trainer"), "section", "教官"),
    ("000009", "吴海波", ("officer", "supervisor"), "other_branch", "党支部书记"),
    ("000010", "郑华", ("admin",), "politics", "管理员"),
]
LOGIN_NOTES = {no: note for no, _name, _roles, _where, note in LOGINS}
PROVINCE_NOTES = {"000001": "管理员、省厅督导"}  # where "bureau" is the province root
SECRETARY_PLACES = {where for _no, _name, roles, where, note in LOGINS if note == "党支部书记"}


@dataclass(frozen=True)
class DemoUser:
    """An account as built."""

    id: int
    police_no: str
    name: str
    unit_id: int
    party_member: bool


@dataclass
class DemoSummary:
    """What `build` made, and the logins to try."""

    units_by_kind: dict[str, int]
    accounts: int
    party_members: int
    completions: int = 0
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # no, name, note, unit

    def describe(self) -> str:
        """A few lines for the operator: sizes and the demo logins."""
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.units_by_kind.items())
        lines = [f"Units: {sum(self.units_by_kind.values())} ({kinds})",
                 f"Accounts: {self.accounts} ({self.party_members} party members)",
                 f"Lesson completions in the history: {self.completions}",
                 *logins_table(self.logins),
                 "Every other account has no password yet (activation pending)."]
        return "\n".join(lines)


def logins_table(logins: list[tuple[str, str, str, str]]) -> list[str]:
    """The demo logins as aligned lines: police number, password, role, unit, name."""
    lines = ["Demo logins (police number, password, role, unit, name):"]
    lines += [f"  {no}  {DEMO_PASSWORD}  {_pad(note, 16)}  {_pad(unit, 24)}  {name}"
              for no, name, note, unit in logins]
    return lines


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, width - sum(2 if ord(c) > 0x2E7F else 1 for c in text))


def has_units(db: Session) -> bool:
    """Whether any unit exists."""
    return bool(db.scalar(select(func.count()).select_from(Unit)))


def describe_logins(db: Session) -> str:
    """The demo logins that exist in this database, for `demo --if-empty` to repeat."""
    users = db.execute(select(User.police_no, User.name, Unit.name, Unit.kind).join(Unit)
                       .where(User.police_no.in_(LOGIN_NOTES))
                       .order_by(User.police_no)).all()
    return "\n".join(logins_table([(no, name, _note(no, kind), unit)
                                   for no, name, unit, kind in users]))


def _note(police_no: str, unit_kind: str) -> str:
    """What a demo login is for, as printed."""
    if unit_kind == "province":
        return PROVINCE_NOTES.get(police_no, LOGIN_NOTES[police_no])
    return LOGIN_NOTES[police_no]


def check_empty(db: Session, officers: int) -> None:
    """Raise ValueError unless the demo can be built: an empty org and a sensible size."""
    if not MIN_OFFICERS <= officers <= MAX_OFFICERS:
        raise ValueError(f"--officers must be between {MIN_OFFICERS} and {MAX_OFFICERS}")
    units = db.scalar(select(func.count()).select_from(Unit))
    if units:
        raise ValueError(f"The database already has {units} units; demo data is built only "
                         "into an empty org. Use a fresh database.")


def analyse(db: Session) -> None:
    """PostgreSQL: fresh statistics for every LMS table, after the build's commit. Without
    them the reports plan for the tables as they were before the load until autovacuum
    samples them, which may be never (it is off on some servers): a province's 通报 of
    one bureau took 1.4 s instead of 0.6 s, reading the 17 M-line ledger it had no
    statistics for. The build analysed what its own queries read (the completions before
    the summary's rebuild, the reminders' tables); this is the rest, a sample of each
    table (2.6 s for the four largest at a province). Only the LMS's own tables: a host's
    are left alone."""
    if db.get_bind().dialect.name == "postgresql":
        names = ", ".join(table.name for table in Base.metadata.sorted_tables)
        db.execute(text(f"ANALYZE {names}"))


def build(db: Session, officers: int, seed: int, tz: str, progress: Callable[[int], object],
          password_hash: str, weeks: int = 52, points: dict[str, int] | None = None
          ) -> DemoSummary:
    """Build the demo org tree, roster and history; `progress` receives 100 in total; no commit.

    `password_hash` is the hash of DEMO_PASSWORD, computed once by the caller.
    """
    check_empty(db, officers)
    rules.seed_defaults(db)  # the points rules (党建积分申报), when the migration's are gone
    rng = random.Random(seed)
    units = orgtree.insert_units(db, orgtree.plan_tree(officers, rng))
    progress(10)
    by_code = {unit.code: unit for unit in units}
    login_units = _login_units(by_code)
    rows = [_account(no, name, roles, login_units[where].id, True, password_hash)
            for no, name, roles, where, _note in LOGINS]
    rows += _roster(rng, officers - len(LOGINS), units,
                    {login_units[where].id for where in SECRETARY_PLACES})
    # Everyone joined before the history begins, so the whole year is theirs to owe, except a
    # few who joined or left during it: the rule of who owes a lesson shows in the reports.
    now = clock.utcnow()  # the one clock: tests stop it, and the pages read the same
    veteran = membership.joining(now - timedelta(weeks=weeks + 52), GRACE)
    rows = [{**row, **veteran} for row in rows]
    joined, left = _turnover(rng, rows[len(LOGINS):], now - timedelta(weeks=weeks), now)
    step = max(1, len(rows) // 6)
    for start in range(0, len(rows), step):
        db.execute(insert(User), rows[start:start + step])
    progress(60)
    users = [DemoUser(*row) for row in db.execute(
        select(User.id, User.police_no, User.name, User.unit_id, User.party_member)
        .order_by(User.id))]
    membership.start(db, [user.id for user in users])
    windows = _leave(db, {u.police_no: u.id for u in users}, joined, left)
    progress(10)
    share = _Share(progress, 20)
    officer_units = [(user.id, user.unit_id) for user in users]
    completions = history.build(db, officer_units, seed, tz, weeks, points or DEFAULT_POINTS,
                                 share, now, windows)
    share.finish()
    classrooms.build(db, units, seed, tz, now, points or DEFAULT_POINTS)
    activity.record(db, now, tz)
    return DemoSummary(
        units_by_kind=dict(Counter(unit.kind for unit in units)), accounts=len(users),
        completions=completions,
        party_members=sum(user.party_member for user in users),
        logins=[(no, name, _note(no, login_units[where].kind), login_units[where].name)
                for no, name, _roles, where, _note_text in LOGINS])


class _Share:
    """A slice of a progress bar: reports at most `size`, and the rest on `finish`."""

    def __init__(self, progress: Callable[[int], object], size: int):
        self._progress, self._left = progress, size

    def __call__(self, n: int) -> None:
        n = max(0, min(n, self._left))
        self._left -= n
        if n:
            self._progress(n)

    def finish(self) -> None:
        self(self._left)


def _login_units(by_code: dict[str, DemoUnit]) -> dict[str, DemoUnit]:
    """Where the demo logins work: the bureau (the province root, when there is one), the
    first county and its first station, a branch there and one under another of its
    stations, a branch of the second county, 政治部 and its first section."""
    def first_branch(prefix: str, but: str | None = None) -> DemoUnit:
        return min((u for u in by_code.values() if u.kind == "branch"
                    and u.code.startswith(prefix) and not (but and u.code.startswith(but))),
                   key=lambda u: u.code)
    top = by_code.get(orgtree.PROVINCE[0], by_code["SZ"])
    return {"bureau": top, "county": by_code["C01"], "politics": by_code["D01"],
            "station": by_code["C01S01"], "branch": first_branch("C01S01"),
            "other_branch": first_branch("C01", but="C01S01"),
            "other_county": first_branch("C02"), "section": by_code["D01S01"]}


# ---------------------------------------------------------------------------- the roster

def _turnover(rng: random.Random, rows: list[dict], start: datetime, end: datetime
              ) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """About 2 % of the roster joined during the history and 2 % left during it (police
    number → when); the joiners' rows get their joining time."""
    picked = rng.sample(range(len(rows)), min(len(rows), 2 * max(1, len(rows) // 50)))
    span = end - start
    joined, left = {}, {}
    for n, i in enumerate(picked):
        moment = start + span * rng.uniform(0.2, 0.9)
        if n % 2 == 0:
            rows[i].update(membership.joining(moment, GRACE))
            joined[rows[i]["police_no"]] = moment
        else:  # at the end of a working day (17:00 in China): one change per day, in bulk
            left[rows[i]["police_no"]] = moment.replace(hour=9, minute=0, second=0,
                                                        microsecond=0)
    return joined, left


def _leave(db: Session, ids: dict[str, int], joined: dict[str, datetime],
           left: dict[str, datetime]) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Deactivate the leavers as of their leaving time (membership history included); the
    windows of joiners and leavers for the history of completions."""
    by_day: dict[datetime, list[int]] = {}
    for police_no, moment in left.items():
        by_day.setdefault(moment, []).append(ids[police_no])
    for moment, leavers in sorted(by_day.items()):
        db.execute(update(User).where(User.id.in_(leavers)).values(active=False)
                   .execution_options(synchronize_session=False))
        membership.record(db, leavers, moment)
    return {**{ids[no]: (moment, None) for no, moment in joined.items()},
            **{ids[no]: (None, moment) for no, moment in left.items()}}


def _roster(rng: random.Random, count: int, units: list[DemoUnit],
            secretary_branches: set[int]) -> list[dict]:
    """`count` officers spread over the branches; each branch's first is its secretary
    (unless a demo login is)."""
    branches = [u for u in units if u.kind == "branch"]
    numbers = iter(rng.sample(range(100000, 1000000), count))
    surname_weights = [1 / (rank + 4) for rank in range(len(SURNAMES))]
    rows = []
    sizes = orgtree.spread(count, [rng.uniform(0.7, 1.3) for _ in branches])
    for branch, size in zip(branches, sizes):
        for i in range(size):
            given = "".join(rng.choices(GIVEN, k=1 if rng.random() < 0.3 else 2))
            name = rng.choices(SURNAMES, surname_weights)[0] + given
            secretary = i == 0 and branch.id not in secretary_branches
            roles = ("officer", "supervisor") if secretary else ("officer",)
            party = secretary or rng.random() < 0.45
            rows.append(_account(f"{next(numbers):06d}", name, roles, branch.id, party, None))
    return rows


def _account(police_no: str, name: str, roles: tuple[str, ...], unit_id: int, party: bool,
             password_hash: str | None) -> dict:
    """One row for the bulk insert (every row has the same keys)."""
    return {"police_no": police_no, "name": name, "unit_id": unit_id, "party_member": party,
            "password_hash": password_hash, "is_officer": "officer" in roles,
            "is_trainer": "trainer" in roles, "is_supervisor": "supervisor" in roles,
            "is_admin": "admin" in roles}
