"""Demo data: the org tree of a realistic city bureau, scaled to the officer count; no Flask.

300 officers give a dozen units, 30,000 about 650; above BUREAU_OFFICERS a province of as
many bureaus of about that size as it takes (300,000: ten, about 6,500 units). Deterministic
for a given seed.
"""
import math
import random
from dataclasses import dataclass, field

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from ...models import Unit

OFFICERS_PER_BRANCH = 60
BRANCHES_PER_STATION = 4
BUREAU_OFFICERS = 30_000  # the largest single bureau; above it a province of bureaus

# The province and its city bureaus: the first is the demo's own (its codes unprefixed, so
# the demo logins and `make run` look the same at any size), the others follow.
PROVINCE = ("JS", "江苏省公安厅")
CITIES = ("苏州", "南京", "无锡", "常州", "南通", "扬州", "镇江", "泰州", "盐城", "淮安",
          "徐州", "连云港", "宿迁")

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


@dataclass
class _Node:
    code: str
    name: str
    kind: str
    children: list["_Node"] = field(default_factory=list)


def plan_tree(officers: int, rng: random.Random) -> _Node:
    """The tree for `officers`: one city bureau, or above BUREAU_OFFICERS a province of
    bureaus sharing them (each a bureau's tree, told apart by a code prefix and city)."""
    if officers <= BUREAU_OFFICERS:
        return plan_bureau(officers, rng)
    count = min(math.ceil(officers / BUREAU_OFFICERS), len(CITIES))
    province = _Node(*PROVINCE, "province")
    for k, share in enumerate(spread(officers, [1.0] * count)):
        bureau = plan_bureau(share, rng)
        if k:
            _rename(bureau, f"B{k + 1:02d}", CITIES[k])
        bureau.name = CITIES[k] + "市公安局"
        province.children.append(bureau)
    return province


def _rename(node: _Node, prefix: str, city: str) -> None:
    """Another city's bureau: every code prefixed, its counties named for the city (stations
    and branches are told apart by the bureau they are in)."""
    node.code = prefix if node.kind == "bureau" else prefix + node.code
    if node.kind == "county":
        node.name = city + node.name
    for child in node.children:
        _rename(child, prefix, city)


def plan_bureau(officers: int, rng: random.Random) -> _Node:
    """A city bureau for `officers`: counties and departments, stations, then party branches."""
    n_counties = clamp(round(officers / 3000), 2, len(COUNTIES))
    n_departments = clamp(round(officers / 2000), 1, len(DEPARTMENTS))
    n_parents = n_counties + n_departments
    # A small demo is denser than a real bureau, so that a county has several stations and
    # branches to rank (the 通报, the dashboards' drill-down) even with 300 officers.
    n_branches = max(4 * n_parents, round(officers / OFFICERS_PER_BRANCH))
    n_stations = clamp(max(round(n_branches / BRANCHES_PER_STATION), 3 * n_parents),
                       n_parents, n_branches)
    root = _Node("SZ", "市公安局", "bureau")
    parents = [(_Node(f"C{i + 1:02d}", name, "county"), places.split())
               for i, (name, places) in enumerate(COUNTIES[:n_counties])]
    parents += [(_Node(f"D{i + 1:02d}", name, "department"), list(sections))
                for i, (name, sections) in enumerate(DEPARTMENTS[:n_departments])]
    root.children = [node for node, _ in parents]
    # Counties hold most of the force: three times a department's share of stations.
    weights = [3 if node.kind == "county" else 1 for node, _ in parents]
    stations = []
    for (parent, names), count in zip(parents, spread(n_stations, weights)):
        for i in range(count):
            station = _Node(f"{parent.code}S{i + 1:02d}", _station_name(parent, names, i),
                            "station")
            parent.children.append(station)
            stations.append(station)
    sizes = [rng.uniform(0.6, 1.4) for _ in stations]
    for station, count in zip(stations, spread(n_branches, sizes)):
        for i in range(count):
            suffix = "党支部" if count == 1 else f"第{numeral(i + 1)}党支部"
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
        return f"{names[i]}派出所" if i < len(names) else f"{parent.name}第{numeral(i + 1)}派出所"
    if i < len(names):
        return parent.name + names[i]
    return f"{parent.name}{numeral(i + 1 - len(names))}大队"


def insert_units(db: Session, root: _Node) -> list[DemoUnit]:
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


def spread(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, at least one each (largest remainders)."""
    extra = total - len(weights)
    shares = [extra * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[:extra - sum(counts)]:
        counts[i] += 1
    return [c + 1 for c in counts]


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def numeral(n: int) -> str:
    """1..99 in Chinese numerals (一, 十二, 二十三)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if not tens:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
