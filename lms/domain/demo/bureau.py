"""Demo data: a realistic city bureau (org tree, roster, fixed demo logins); no Flask.

The tree is scaled to the officer count: 300 officers give a dozen units, 30,000 about 650.
Everything is deterministic for a given seed, and written with bulk statements.
"""
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ...models import Unit, User
from . import history

DEFAULT_POINTS = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2}

DEMO_PASSWORD = "zhuhun-demo-2026"
MIN_OFFICERS, MAX_OFFICERS = 10, 200_000
OFFICERS_PER_BRANCH = 60
BRANCHES_PER_STATION = 4

# County bureaus with the towns and streets their police stations are named after.
COUNTIES = [
    ("姑苏分局", "观前 平江 双塔 金阊 沧浪 娄门 虎丘 白洋湾 苏锦 吴门桥"),
    ("吴中分局", "木渎 横泾 甪直 临湖 东山 金庭 越溪 郭巷 香山 长桥"),
    ("相城分局", "元和 黄桥 北桥 望亭 黄埭 渭塘 阳澄湖 太平 漕湖 澄阳"),
    ("虎丘分局", "浒墅关 通安 东渚 镇湖 枫桥 狮山 横塘 科技城 阳山 东渚湖"),
    ("吴江区公安局", "松陵 同里 平望 盛泽 七都 震泽 桃源 黎里 汾湖 横扇"),
    ("常熟市公安局", "虞山 梅李 海虞 古里 沙家浜 支塘 董浜 尚湖 辛庄 碧溪"),
    ("张家港市公安局", "杨舍 塘桥 金港 锦丰 乐余 凤凰 南丰 大新 后塍 港区"),
    ("昆山市公安局", "玉山 周市 陆家 花桥 张浦 千灯 淀山湖 巴城 锦溪 周庄"),
    ("太仓市公安局", "城厢 沙溪 浏河 璜泾 双凤 浮桥 娄东 陆渡 港城 科教新城"),
    ("工业园区分局", "湖东 湖西 斜塘 娄葑 唯亭 胜浦 月亮湾 金鸡湖 独墅湖 星湖"),
]
COUNTY_SECTIONS = ("刑侦大队", "治安大队", "交警大队")
COUNTY_SECTION_AT = (1, 4, 7)  # station positions of the sections: small trees get 派出所 first
# 警种部门; the first must be 政治部 (the demo trainer works there).
DEPARTMENTS = [
    ("政治部", ("组织处", "宣传处", "教育训练处", "人事处", "警务保障处")),
    ("指挥中心", ("指挥调度科", "情报研判科", "舆情处置科")),
    ("治安支队", ()), ("刑警支队", ()), ("交警支队", ()), ("网安支队", ()),
    ("经侦支队", ()), ("禁毒支队", ()), ("特警支队", ()), ("出入境管理支队", ()),
    ("监管支队", ()), ("法制支队", ()), ("警务督察支队", ()), ("技术侦察支队", ()),
    ("科技信息化处", ("信息通信科", "数据应用科", "网络安全科")),
]
# Common surnames, most frequent first (weights fall off with rank), and given-name characters.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
            "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛顾钱")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国志宇浩然晨阳子轩"
         "雪梅立新海波永健文斌红燕峰飞俊凯佳琪欣怡思远宏亮春晓东晖德清正义庆林")

# The fixed demo logins: police_no, name, roles, where (see _login_units).
LOGINS = [
    ("000001", "王建国", ("officer", "supervisor", "admin"), "bureau"),
    ("000002", "李志强", ("officer", "supervisor"), "county"),
    ("000003", "张晓梅", ("officer", "trainer"), "politics"),
    ("000004", "刘洋", ("officer",), "branch"),
    ("000005", "陈静", ("officer", "supervisor"), "branch"),
]
LOGIN_NOTES = {"000001": "管理员", "000002": "分局督导", "000003": "教官",
               "000004": "民警", "000005": "党支部书记"}


@dataclass(frozen=True)
class DemoUnit:
    """A unit as built: what later demo steps need to know about it."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int


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
                 f"Demo logins (password {DEMO_PASSWORD}):"]
        lines += [f"  {no}  {name}  {note}  {unit}" for no, name, note, unit in self.logins]
        lines.append("Every other account has no password yet (activation pending).")
        return "\n".join(lines)


def has_units(db: Session) -> bool:
    """Whether any unit exists."""
    return bool(db.scalar(select(func.count()).select_from(Unit)))


def describe_logins(db: Session) -> str:
    """The demo logins that exist in this database, for `demo --if-empty` to repeat."""
    from ...models import User
    users = db.execute(select(User.police_no, User.name, Unit.name).join(Unit)
                       .where(User.police_no.in_([f"00000{n}" for n in range(1, 6)]))
                       .order_by(User.police_no)).all()
    lines = [f"Demo logins (password {DEMO_PASSWORD}):"]
    lines += [f"  {no}  {name}  {unit}" for no, name, unit in users]
    return "\n".join(lines)


def check_empty(db: Session, officers: int) -> None:
    """Raise ValueError unless the demo can be built: an empty org and a sensible size."""
    if not MIN_OFFICERS <= officers <= MAX_OFFICERS:
        raise ValueError(f"--officers must be between {MIN_OFFICERS} and {MAX_OFFICERS}")
    units = db.scalar(select(func.count()).select_from(Unit))
    if units:
        raise ValueError(f"The database already has {units} units; demo data is built only "
                         "into an empty org. Use a fresh database.")


def build(db: Session, officers: int, seed: int, tz: str, progress: Callable[[int], object],
          password_hash: str, weeks: int = 52, points: dict[str, int] | None = None
          ) -> DemoSummary:
    """Build the demo org tree, roster and history; `progress` receives 100 in total; no commit.

    `password_hash` is the hash of DEMO_PASSWORD, computed once by the caller.
    """
    check_empty(db, officers)
    rng = random.Random(seed)
    units = _insert_units(db, _plan_tree(officers, rng))
    progress(10)
    by_code = {unit.code: unit for unit in units}
    login_units = _login_units(by_code)
    rows = [_account(no, name, roles, login_units[where].id, True, password_hash)
            for no, name, roles, where in LOGINS]
    rows += _roster(rng, officers - len(LOGINS), units, login_units["branch"].id)
    step = max(1, len(rows) // 6)
    for start in range(0, len(rows), step):
        db.execute(insert(User), rows[start:start + step])
    progress(60)
    users = [DemoUser(*row) for row in db.execute(
        select(User.id, User.police_no, User.name, User.unit_id, User.party_member)
        .order_by(User.id))]
    progress(10)
    share = _Share(progress, 20)
    officer_units = [(user.id, user.unit_id) for user in users]
    completions = history.build(db, officer_units, seed, tz, weeks, points or DEFAULT_POINTS,
                                 share)
    share.finish()
    name_of = {unit.id: unit.name for unit in units}
    return DemoSummary(
        units_by_kind=dict(Counter(unit.kind for unit in units)), accounts=len(users),
        completions=completions,
        party_members=sum(user.party_member for user in users),
        logins=[(no, name, LOGIN_NOTES[no], name_of[login_units[where].id])
                for no, name, _roles, where in LOGINS])


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


# ---------------------------------------------------------------------------- the tree

@dataclass
class _Node:
    code: str
    name: str
    kind: str
    children: list["_Node"] = field(default_factory=list)


def _plan_tree(officers: int, rng: random.Random) -> _Node:
    """The tree for `officers`: counties and departments, stations, then party branches."""
    n_counties = _clamp(round(officers / 3000), 2, len(COUNTIES))
    n_departments = _clamp(round(officers / 2000), 1, len(DEPARTMENTS))
    n_parents = n_counties + n_departments
    n_branches = max(n_parents, round(officers / OFFICERS_PER_BRANCH))
    n_stations = _clamp(round(n_branches / BRANCHES_PER_STATION), n_parents, n_branches)
    root = _Node("SZ", "市公安局", "bureau")
    parents = [(_Node(f"C{i + 1:02d}", name, "county"), places.split())
               for i, (name, places) in enumerate(COUNTIES[:n_counties])]
    parents += [(_Node(f"D{i + 1:02d}", name, "department"), list(sections))
                for i, (name, sections) in enumerate(DEPARTMENTS[:n_departments])]
    root.children = [node for node, _ in parents]
    # Counties hold most of the force: three times a department's share of stations.
    weights = [3 if node.kind == "county" else 1 for node, _ in parents]
    stations = []
    for (parent, names), count in zip(parents, _spread(n_stations, weights)):
        for i in range(count):
            station = _Node(f"{parent.code}S{i + 1:02d}", _station_name(parent, names, i),
                            "station")
            parent.children.append(station)
            stations.append(station)
    sizes = [rng.uniform(0.6, 1.4) for _ in stations]
    for station, count in zip(stations, _spread(n_branches, sizes)):
        for i in range(count):
            suffix = "党支部" if count == 1 else f"第{_numeral(i + 1)}党支部"
            station.children.append(_Node(f"{station.code}B{i + 1}", station.name + suffix,
                                          "branch"))
    return root


def _station_name(parent: _Node, names: list[str], i: int) -> str:
    """A county's police stations with its criminal, public-order and traffic sections among
    them; a department's own sections, else numbered 大队."""
    if parent.kind == "county":
        if i in COUNTY_SECTION_AT:
            return parent.name + COUNTY_SECTIONS[COUNTY_SECTION_AT.index(i)]
        i -= sum(1 for at in COUNTY_SECTION_AT if at < i)
        return f"{names[i]}派出所" if i < len(names) else f"{parent.name}第{_numeral(i + 1)}派出所"
    if i < len(names):
        return parent.name + names[i]
    return f"{parent.name}{_numeral(i + 1 - len(names))}大队"


def _insert_units(db: Session, root: _Node) -> list[DemoUnit]:
    """Insert the tree level by level (a level's ids are its children's parent ids)."""
    units: list[DemoUnit] = []
    level, parent_of = [root], {root.code: None}
    path_of, depth = {None: "/"}, 0
    while level:
        rows = [{"code": n.code, "name": n.name, "kind": n.kind, "parent_id": parent_of[n.code],
                 "path": "", "depth": depth} for n in level]
        ids = dict(db.execute(insert(Unit).returning(Unit.code, Unit.id), rows).all())
        for node in level:
            parent_id = parent_of[node.code]
            path_of[ids[node.code]] = f"{path_of[parent_id]}{ids[node.code]}/"
            units.append(DemoUnit(ids[node.code], node.code, node.name, node.kind, parent_id,
                                  path_of[ids[node.code]], depth))
            parent_of.update({child.code: ids[node.code] for child in node.children})
        level = [child for node in level for child in node.children]
        depth += 1
    db.execute(update(Unit), [{"id": u.id, "path": u.path} for u in units])
    return units


def _login_units(by_code: dict[str, DemoUnit]) -> dict[str, DemoUnit]:
    """Where the demo logins work: the bureau, the first county, 政治部, a branch of it."""
    first_branch = min((u for u in by_code.values()
                        if u.kind == "branch" and u.code.startswith("C01")),
                       key=lambda u: u.code)
    return {"bureau": by_code["SZ"], "county": by_code["C01"], "politics": by_code["D01"],
            "branch": first_branch}


# ---------------------------------------------------------------------------- the roster

def _roster(rng: random.Random, count: int, units: list[DemoUnit],
            secretary_branch: int) -> list[dict]:
    """`count` officers spread over the branches; each branch's first is its secretary."""
    branches = [u for u in units if u.kind == "branch"]
    numbers = iter(rng.sample(range(100000, 1000000), count))
    surname_weights = [1 / (rank + 4) for rank in range(len(SURNAMES))]
    rows = []
    for branch, size in zip(branches, _spread(count, [rng.uniform(0.7, 1.3) for _ in branches])):
        for i in range(size):
            given = "".join(rng.choices(GIVEN, k=1 if rng.random() < 0.3 else 2))
            name = rng.choices(SURNAMES, surname_weights)[0] + given
            secretary = i == 0 and branch.id != secretary_branch
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


def _spread(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, at least one each (largest remainders)."""
    extra = total - len(weights)
    shares = [extra * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[:extra - sum(counts)]:
        counts[i] += 1
    return [c + 1 for c in counts]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _numeral(n: int) -> str:
    """1..99 in Chinese numerals (一, 十二, 二十三)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if not tens:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
