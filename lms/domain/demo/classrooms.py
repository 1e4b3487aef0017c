"""The year's classrooms (五大课堂) for the demo: 63 classrooms of real demo units in every
state, with checklists, inspections taking turns (推磨), sessions, attendance and ratings;
no Flask.

Classrooms are written row by row (a few hundred rows); attendance, completions, points and
ratings in bulk. Inspections are written in the order they were decided and each takes the
county `rotation.propose` names, so the demo keeps the rule the application enforces.
"""
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ...models import (
    Attendance,
    ChecklistItem,
    ChecklistScore,
    Classroom,
    ClassroomReview,
    ClassroomType,
    ClassSession,
    Completion,
    Courseware,
    PointsEntry,
    SessionRating,
    User,
)
from ..classrooms import acceptance, rotation
from ..clock import to_utc
from .classroomdata import (
    CHECKLISTS,
    COMMENTS_GOOD,
    COMMENTS_WEAK,
    RATING_NOTES,
    RETURN_NOTES,
    TITLES,
    TOPICS,
)
from .orgtree import DemoUnit

# key, name (as in courses/catalog.yml), classrooms in the year: 63 in all, the 流动课堂 one
# per study route (5 routes to the 38 brand units).
TYPES = [("model", "组织生活“样板课堂”", 18), ("onsite", "党员教育“实境课堂”", 14),
         ("ideology", "在训民警“思政课堂”", 12), ("expert", "专家辅导“名师课堂”", 14),
         ("mobile", "参观践学“流动课堂”", 5)]
# How many of the 63 end the year in each state besides accepted (with some re-applications).
RETIRED, RETURNED, APPLIED, ACCEPTED_AFTER_RETURN = 4, 5, 6, 6

@dataclass
class _Plan:
    """One classroom's year: when it applied, its rounds' decisions, its sessions."""

    room: Classroom
    host: DemoUnit
    rounds: list[tuple[str, datetime]] = field(default_factory=list)  # decision, when
    ends: datetime | None = None  # sessions stop (retired)


def build(db: Session, units: list[DemoUnit], seed: int, tz: str, now: datetime,
          points: dict[str, int]) -> int:
    """The year's classrooms with everything that happened to them; returns how many."""
    rng = random.Random(seed + 13)
    types = _types(db)
    people = _People(db, units)
    bureaus = {u.id for u in units if u.kind == "bureau"}
    counties = [u for u in units if u.parent_id in bureaus]
    hosts = [u for u in units if u.depth > counties[0].depth] or counties
    start = now - timedelta(days=365)
    plans, titles = [], set()
    states = (["retired"] * RETIRED + ["returned"] * RETURNED + ["applied"] * APPLIED
              + ["accepted"] * (sum(n for _, _, n in TYPES) - RETIRED - RETURNED - APPLIED))
    rng.shuffle(states)
    for n, (kind, state) in enumerate(zip(
            (t for t in types for _ in range(t.count)), states), start=1):
        host = rng.choice(hosts)
        plans.append(_plan(db, rng, kind, host, state, n, start, now, titles))
    db.flush()
    _inspections(db, rng, plans, people)
    _lecturers_and_sessions(db, rng, plans, people, tz, now, points)
    return len(plans)


@dataclass(frozen=True)
class _Type:
    id: int
    key: str
    count: int


def _types(db: Session) -> list[_Type]:
    """The five types (created when the course files were not synced) and their checklists."""
    found = []
    for position, (key, name, count) in enumerate(TYPES, start=1):
        row = db.scalar(select(ClassroomType).where(ClassroomType.key == key))
        if row is None:
            row = ClassroomType(key=key, name=name, position=position)
            db.add(row)
            db.flush()
        if db.scalar(select(ChecklistItem.id).where(ChecklistItem.type_id == row.id)) is None:
            db.add_all(ChecklistItem(type_id=row.id, position=i, weight=w, text=text)
                       for i, (w, text) in enumerate(CHECKLISTS[key]))
        found.append(_Type(row.id, key, count))
    db.flush()
    return found


class _People:
    """The roster as the classrooms need it: officers under a unit, secretaries per county."""

    def __init__(self, db: Session, units: list[DemoUnit]):
        path_of = {u.id: u.path for u in units}
        self.bureaus = {u.id for u in units if u.kind == "bureau"}
        self.units = {u.id: u for u in units}  # the counties `rotation.propose` names
        rows = db.execute(select(User.id, User.unit_id, User.is_supervisor, User.party_member,
                                 User.password_hash.is_not(None))
                          .where(User.active.is_(True), User.is_officer.is_(True))
                          .order_by(User.id)).all()
        # The demo logins keep the roles they are printed with: never made lecturers.
        self._rows = [(uid, path_of[unit_id], sup, party and not login)
                      for uid, unit_id, sup, party, login in rows]

    def under(self, unit: DemoUnit, party: bool = False) -> list[int]:
        """Active officers in the unit's subtree (party members but no demo login, when
        asked: the lecturers)."""
        return [uid for uid, path, _, p in self._rows
                if path.startswith(unit.path) and (p or not party)]

    def inspectors(self, county_id: int) -> list[int]:
        """Secretaries (supervisors) in the county; its officers when it has none."""
        county = self.units[county_id]
        found = [uid for uid, path, sup, _ in self._rows if sup and path.startswith(county.path)]
        return found or self.under(county)


def _county(unit: DemoUnit, bureaus: set[int]) -> int:
    """The unit's county: the child of its bureau on its path (in a province, a bureau is
    not the top)."""
    ids = [int(part) for part in unit.path.strip("/").split("/")]
    at = max(i for i, unit_id in enumerate(ids) if unit_id in bureaus)
    return ids[at + 1]


def _plan(db: Session, rng: random.Random, kind: _Type, host: DemoUnit, state: str, n: int,
          start: datetime, now: datetime, taken: set[str]) -> _Plan:
    """A classroom row and the dates of its rounds, by the state it ends the year in."""
    day = timedelta(days=1)
    options = [f"{host.name}{t}" for t in TITLES[kind.key] if f"{host.name}{t}" not in taken]
    title = rng.choice(options) if options else f"{host.name}{TITLES[kind.key][0]}（{n}）"
    taken.add(title)
    if state == "applied":
        applied = now - day * rng.uniform(2, 30)
        rounds = [("returned", applied - day * rng.uniform(20, 40))] if n % 2 else []
    elif state == "returned":
        applied = start + day * rng.uniform(280, 330)
        rounds = [("returned", min(applied + day * rng.uniform(7, 20), now - day))]
    else:
        applied = start + day * rng.uniform(0, 150 if state == "retired" else 240)
        decided = applied + day * rng.uniform(10, 30)
        rounds = [("accepted", decided)]
        if state == "accepted" and n % 8 == 0:  # returned once, then accepted
            rounds = [("returned", decided), ("accepted", decided + day * rng.uniform(20, 40))]
    room = Classroom(slug=f"{kind.key}-{host.code.lower()}-{n:02d}", type_id=kind.id,
                     unit_id=host.id, title=title, status=state, round=len(rounds)
                     + (1 if state == "applied" else 0), applied_at=applied,
                     description=f"{host.name}申报创建的课堂。")
    if state in ("accepted", "retired"):
        room.accepted_at = rounds[-1][1]
    if state == "retired":
        room.retired_at = rounds[-1][1] + day * rng.uniform(90, 180)
    db.add(room)
    return _Plan(room, host, rounds, room.retired_at)


def _inspections(db: Session, rng: random.Random, plans: list[_Plan], people: _People) -> None:
    """Every decided round in the order decided: the county the rotation proposes inspects,
    scores each checklist item, and decides."""
    events = sorted(((when, i, r, decision) for i, plan in enumerate(plans)
                     for r, (decision, when) in enumerate(plan.rounds, start=1)),
                    key=lambda e: (e[0], e[1]))
    items = defaultdict(list)
    for item in db.scalars(select(ChecklistItem).order_by(ChecklistItem.position)):
        items[item.type_id].append(item)
    for when, i, round_no, decision in events:
        plan = plans[i]
        applicant = _county(plan.host, people.bureaus)
        county = rotation.propose(db, applicant)
        if county is None:
            continue
        inspectors = rng.sample(people.inspectors(county.id),
                                min(2, len(people.inspectors(county.id))))
        if not inspectors:
            continue
        good = decision == "accepted"
        for inspector in inspectors:
            db.add_all(ChecklistScore(
                classroom_id=plan.room.id, round=round_no, item_id=item.id,
                inspector_id=inspector, scored_at=when - timedelta(hours=2),
                score=rng.randint(7, 10) if good else rng.randint(3, 7),
                comment=rng.choice(COMMENTS_GOOD if good else COMMENTS_WEAK))
                for item in items[plan.room.type_id])
        db.flush()
        room = plan.room
        current = room.round
        room.round = round_no  # weighted_score reads the round being decided
        score = acceptance.weighted_score(db, room)
        room.round = current
        unit_id = db.scalar(select(User.unit_id).where(User.id == inspectors[0]))
        if good:
            room.accepted_by_unit_id = unit_id
        db.add(ClassroomReview(
            classroom_id=room.id, round=round_no, decision=decision, score=score,
            comment="" if good else rng.choice(RETURN_NOTES), inspector_id=inspectors[0],
            inspector_unit_id=unit_id, inspector_county_id=county.id,
            applicant_county_id=applicant, decided_at=when))
        db.flush()


def _lecturers_and_sessions(db: Session, rng: random.Random, plans: list[_Plan],
                            people: _People, tz: str, now: datetime,
                            points: dict[str, int]) -> None:
    """Sessions of the accepted (and later retired) classrooms from their acceptance on,
    taught by party members of the unit (who become trainers), with attendance and ratings."""
    featured = list(db.scalars(select(Courseware.id).where(
        Courseware.featured.is_(True), Courseware.status == "published").order_by(Courseware.id)))
    lecturers: set[int] = set()
    attendance, ratings = [], []
    for plan in plans:
        if plan.room.status not in ("accepted", "retired"):
            continue
        pool = people.under(plan.host, party=True)
        if not pool:
            continue
        teachers = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
        audience = people.under(plan.host)
        lecturers.update(teachers)
        ends = plan.ends or now + timedelta(days=14)
        moment = plan.room.accepted_at + timedelta(days=rng.uniform(5, 20))
        while moment < ends:
            day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            local = day + timedelta(hours=rng.choice((9, 14, 19)), minutes=30)
            starts = to_utc(local, tz)
            listening = bool(featured) and rng.random() < 0.2
            session = ClassSession(
                classroom_id=plan.room.id, starts_at=starts, lecturer_id=rng.choice(teachers),
                kind="listening" if listening else "regular",
                courseware_id=rng.choice(featured) if listening else None,
                topic=("精品课件集中听课" if listening else rng.choice(TOPICS)))
            db.add(session)
            db.flush()
            if starts <= now:
                _attend(rng, session, audience, now, attendance, ratings)
            moment += timedelta(days=rng.uniform(21, 45))
    if lecturers:
        db.execute(update(User).where(User.id.in_(sorted(lecturers))).values(is_trainer=True))
    _write(db, attendance, ratings, points.get("session_attended", 0))


def _attend(rng: random.Random, session: ClassSession, pool: list[int], now: datetime,
            attendance: list[dict], ratings: list[dict]) -> None:
    """Who checked in (most of a small unit, a few dozen of a large one) and who rated."""
    size = min(len(pool), max(1, int(len(pool) * rng.uniform(0.6, 0.95))), rng.randint(25, 60))
    for user_id in rng.sample(pool, size):
        if user_id == session.lecturer_id:
            continue
        at = session.starts_at + timedelta(minutes=rng.randint(-40, 30))
        attendance.append({"session_id": session.id, "user_id": user_id, "checked_in_at": at})
        rated_at = at + timedelta(hours=rng.uniform(1, 150))
        if rng.random() < 0.4 and rated_at <= now:
            ratings.append({"session_id": session.id, "user_id": user_id, "created_at": rated_at,
                            "score": rng.choices((2, 3, 4, 5), (1, 6, 35, 58))[0],
                            "comment": rng.choice(RATING_NOTES) if rng.random() < 0.3 else ""})


def _write(db: Session, attendance: list[dict], ratings: list[dict], amount: int) -> None:
    """Attendance with the completions and points a check-in writes, and the ratings."""
    for start in range(0, len(attendance), 5000):
        chunk = attendance[start:start + 5000]
        db.execute(insert(Attendance), chunk)
        db.execute(insert(Completion), [
            {"user_id": a["user_id"], "item_type": "session", "item_id": a["session_id"],
             "status": "completed", "first_completed_at": a["checked_in_at"],
             "best_score": None, "first_score": None, "attempts": 0, "time_spent_seconds": 0,
             "last_activity_at": a["checked_in_at"]} for a in chunk])
        if amount:
            db.execute(insert(PointsEntry), [
                {"user_id": a["user_id"], "rule": "session_attended", "points": amount,
                 "source_type": "session", "source_id": a["session_id"],
                 "at": a["checked_in_at"]} for a in chunk])
    for start in range(0, len(ratings), 5000):
        db.execute(insert(SessionRating), ratings[start:start + 5000])
