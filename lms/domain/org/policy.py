"""The one authorization policy: who may see which unit, officer, attempt or content; no Flask.

Every entry point (HTML views, exports, the JSON API, the CLI) asks these functions; no
view or query filters by scope on its own.
"""
from sqlalchemy import and_, case, func, null, or_, select, true
from sqlalchemy.orm import Session, aliased, object_session
from sqlalchemy.orm.util import identity_key

from ...models import LessonAudience, Membership, MicroLesson, Unit, User


class PermissionDenied(Exception):
    """The user may not see or do this."""


def is_bureau_wide(user: User) -> bool:
    """Admins see the whole tree (a bureau, or a province with its bureaus)."""
    return user.is_admin


def can_administer(user: User) -> bool:
    """Admins manage the org tree, accounts and roles."""
    return user.active and user.is_admin


def require_admin(user: User) -> None:
    """PermissionDenied unless the user is an active admin."""
    if not can_administer(user):
        raise PermissionDenied


def can_supervise(user: User) -> bool:
    """Whether the user may open supervision views at all."""
    return user.active and (user.is_supervisor or user.is_admin)


def can_author(user: User) -> bool:
    """Trainers and admins write, review and schedule content."""
    return user.active and (user.is_trainer or user.is_admin)


def scope_path(user: User) -> str | None:
    """The materialized path of the user's scope; None when the user has no supervision scope."""
    if not can_supervise(user):
        return None
    if is_bureau_wide(user):
        return "/"
    return user.unit.path


def unit_in_scope(user: User, unit: Unit) -> bool:
    """Whether `unit` lies in the subtree the user supervises."""
    path = scope_path(user)
    return path is not None and unit.path.startswith(path)


def require_unit(user: User, unit: Unit | None) -> Unit:
    """The unit, if in scope; else PermissionDenied (the same for a missing unit)."""
    if unit is None or not unit_in_scope(user, unit):
        raise PermissionDenied
    return unit


def require_author(user: User) -> None:
    """PermissionDenied unless the user may write content (trainers and admins)."""
    if not can_author(user):
        raise PermissionDenied


def can_view_user(viewer: User, target: User) -> bool:
    """Officers see themselves; supervisors the officers of their subtree."""
    return viewer.id == target.id or unit_in_scope(viewer, target.unit)


def can_remind(viewer: User, target: User) -> bool:
    """Supervisors may nudge the active officers now in their subtree (not themselves)."""
    return (can_supervise(viewer) and viewer.id != target.id and target.active
            and target.is_officer and unit_in_scope(viewer, target.unit))


def require_user(viewer: User, target: User | None) -> User:
    """The target user, if visible to `viewer`; else PermissionDenied."""
    if target is None or not can_view_user(viewer, target):
        raise PermissionDenied
    return target


def scope_root(db: Session, user: User) -> Unit | None:
    """The top unit of the user's scope (the tree's root, bureau or province, for admins)."""
    if not can_supervise(user):
        return None
    if is_bureau_wide(user):
        return db.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    return user.unit


def report_unit(db: Session, user: User, code: str | None) -> Unit:
    """The unit a supervision page, export or report API call asks for by code (by default the
    user's scope root); PermissionDenied outside the scope — the same for an unknown code, so
    a refusal never tells whether a unit exists."""
    if not can_supervise(user):
        raise PermissionDenied
    if not code:
        return require_unit(user, scope_root(db, user))
    if len(code) > 64 or "\x00" in code:  # no such code; PostgreSQL rejects NUL outright
        raise PermissionDenied
    return require_unit(user, db.scalar(select(Unit).where(Unit.code == code)))


COUNTY_KINDS = ("county", "department")


# --- where a unit sits: its bureau and its county, by kind (a province root holds bureaus) ---

def ancestry(unit: Unit) -> list[Unit]:
    """The unit and its ancestors, root first: those the session does not hold yet read by
    one statement from the materialized path."""
    db = object_session(unit)
    if db is None:  # detached: only what was loaded with it
        chain = [unit]
        while chain[-1].parent_id is not None:
            chain.append(chain[-1].parent)
        return chain[::-1]
    above = [int(part) for part in unit.path.strip("/").split("/") if part][:-1]
    held = {id_: db.identity_map.get(identity_key(Unit, id_)) for id_ in above}
    missing = [id_ for id_, found in held.items() if found is None]
    if missing:
        held.update((found.id, found) for found in
                    db.scalars(select(Unit).where(Unit.id.in_(missing))))
    return [held[id_] for id_ in above] + [unit]


def bureau_in(chain: list) -> int | None:
    """The index in a root-first chain (of anything with `.kind`) of its nearest unit of
    kind bureau — the root when the chain holds none; None for an empty chain."""
    if not chain:
        return None
    return next((i for i in range(len(chain) - 1, -1, -1) if chain[i].kind == "bureau"), 0)


def county_in(chain: list):
    """THE county of the chain's last unit: the ancestor-or-self right below its bureau (so
    depth 1 under a bureau root, depth 2 under a province); None at or above the bureau."""
    found = bureau_in(chain)
    return chain[found + 1] if found is not None and found + 1 < len(chain) else None


def bureau_of(unit: Unit | None) -> Unit | None:
    """The unit's bureau (nearest ancestor-or-self of kind bureau, else the tree's root)."""
    chain = ancestry(unit) if unit is not None else []
    found = bureau_in(chain)
    return None if found is None else chain[found]


def county_of(unit: Unit | None) -> Unit | None:
    """The unit's county (`county_in`); None at or above its bureau."""
    return county_in(ancestry(unit)) if unit is not None else None


_Bureau = aliased(Unit, name="bureau_unit")


def is_county(unit=Unit):
    """SQL over `unit` (the model or an alias): `county_in` as a condition — right below a
    bureau-kind unit, or right below the root where no bureau is above (not itself a bureau)."""
    bureaus = select(_Bureau.id).where(_Bureau.kind == "bureau").scalar_subquery()
    return and_(unit.kind != "bureau", or_(unit.depth == 1, unit.parent_id.in_(bureaus)))


def leaderboard_units(db: Session, user: User) -> tuple[Unit, Unit | None]:
    """The two units an officer's leaderboards compare: their own unit (branch) and their
    county (`county_of`) when it is a county or department, or their own unit when it is one
    (None outside any county). Nothing else: no parameter can widen it. PermissionDenied for
    anyone but an active officer."""
    if not (user.active and user.is_officer):
        raise PermissionDenied
    county = county_of(user.unit)
    return user.unit, county if county is not None and county.kind in COUNTY_KINDS else None


# --- lessons: whom a lesson addresses, and from when ---

def lesson_released(now):
    """SQL: the lesson in the query (`MicroLesson`) is out at `now` (a value or a bind):
    approved and its publish time has come. THE visibility rule: every list, page, API
    answer and count of who owes a lesson goes through it, so a scheduled lesson appears
    everywhere at the same moment and nowhere a second before."""
    return and_(MicroLesson.status == "published", MicroLesson.publish_at <= now)


_AudienceUnit = aliased(Unit, name="audience_unit")


def lesson_reaches(unit_path):
    """SQL: the lesson in the query (`MicroLesson`) addresses the unit whose materialized path
    is `unit_path` (a column or a bound value): it has no audience rows (everyone), or one of
    them is that unit or lies above it. The one definition of a lesson's audience."""
    # correlate_except: the lesson (and the member's unit) come from the enclosing query,
    # however deeply this is nested.
    targeted = (select(LessonAudience.lesson_id)
                .where(LessonAudience.lesson_id == MicroLesson.id)
                .correlate_except(LessonAudience).exists())
    reaches = (select(LessonAudience.lesson_id)
               .where(LessonAudience.lesson_id == MicroLesson.id,
                      _AudienceUnit.id == LessonAudience.unit_id,
                      unit_path.startswith(_AudienceUnit.path))
               .correlate_except(LessonAudience, _AudienceUnit).exists())
    return or_(~targeted, reaches)


MemberUnit = aliased(Unit, name="member_unit")


def owes(member_unit=MemberUnit):
    """SQL conditions: who owes a lesson, over `Membership` (joined to `User` on user_id and
    to `member_unit` on unit_id) and `MicroLesson` — THE rule. An officer owes a lesson when,
    at its due time, the membership row covering that moment is an active officer's in a
    unit of its audience, and they joined early enough (`User.owes_from`: joining plus the
    newcomer grace). The lesson counts for that row's unit. Roster changes take effect when
    made, so a lesson already past due is never rewritten by them."""
    return (*_officer_owes(MicroLesson.due_at), lesson_reaches(member_unit.path))


def _officer_owes(due):
    """The officer's half of `owes`: at `due`, an active officer's membership row, and joined
    early enough. The other half is the audience (`lesson_reaches` of the row's unit)."""
    return (*member_at(due), User.owes_from <= due)


def officer_owes():
    """SQL conditions: the officer's half of `owes` alone, over `Membership` (joined to
    `User`) and `MicroLesson`, for a count per (lesson, unit) that is kept only where
    `owed_per_unit` has the pair: its audience half holds or fails for the whole pair, so
    it is checked there once instead of once per officer."""
    return _officer_owes(MicroLesson.due_at)


def owed(lesson_ids=None, path: str | None = None, unit_id: int | None = None,
         user_id=None):
    """A subquery of (user_id, unit_id, lesson_id, due_at): every (officer, lesson) pair owed,
    with the unit it counts for, limited to these lessons / a subtree / one unit / one user."""
    query = (select(Membership.user_id.label("user_id"), Membership.unit_id.label("unit_id"),
                    MicroLesson.id.label("lesson_id"), MicroLesson.due_at.label("due_at"))
             .join(User, User.id == Membership.user_id)
             .join(MemberUnit, MemberUnit.id == Membership.unit_id)
             .join(MicroLesson, true() if lesson_ids is None
                   else MicroLesson.id.in_(list(lesson_ids)))
             .where(*owes()))
    if path is not None:
        query = query.where(MemberUnit.path.startswith(path, autoescape=True))
    if unit_id is not None:
        query = query.where(Membership.unit_id == unit_id)
    if user_id is not None:
        query = query.where(Membership.user_id == user_id)
    return query.subquery("owed")


def owed_per_unit(lesson_ids=None, path: str | None = None, unit_ids=None):
    """A subquery of (unit_id, lesson_id, due_at, n): how many officers owe each lesson for
    each unit — `owes` with its officer half counted per unit first and its audience half
    checked per (unit, lesson) after: ~650 × 13 audience checks for a bureau quarter
    instead of 30,000 × 13. Limited to these lessons (None: all) / a subtree / these units.

    The officer half (`_officer_owes`) holds for a membership row at a due time inside
    [since, until): since = the later of joining the unit and owing at all, until = leaving
    it. Seen from these lessons, only the order of those two instants among the due times
    matters, so `_spans` counts the rows per unit and span with the spans that hold at every
    due time collapsed (NULL ends): ~700 groups for a bureau quarter, joined to the lessons,
    instead of every officer × lesson. The counts are the same."""
    lessons = true() if lesson_ids is None else MicroLesson.id.in_(list(lesson_ids))
    spans = _spans(lessons)
    if path is not None:
        spans = spans.where(Membership.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(path, autoescape=True))))
    if unit_ids is not None:
        spans = spans.where(Membership.unit_id.in_(list(unit_ids)))
    spans = spans.subquery("spans")
    due = MicroLesson.due_at
    # grouped by the unit's and the lesson's own keys, so the planner can tell how many
    # rows come out (it cannot through the spans' grouping) and joins them by id later
    return (select(MemberUnit.id.label("unit_id"), MicroLesson.id.label("lesson_id"),
                   due.label("due_at"), func.sum(spans.c.n).label("n"))
            .select_from(spans)
            .join(MemberUnit, MemberUnit.id == spans.c.unit_id)
            .join(MicroLesson, and_(lessons,
                                    or_(spans.c.since.is_(None), spans.c.since <= due),
                                    or_(spans.c.until.is_(None), spans.c.until > due)))
            .where(lesson_reaches(MemberUnit.path))
            .group_by(MemberUnit.id, MicroLesson.id, due)
            .subquery("owed_per_unit"))


def _spans(lessons):
    """Active officers' membership rows (joined to `User`) counted per (unit_id, since,
    until): `_officer_owes` holds at a due time iff since <= it < until, where since is NULL
    when it holds from the lessons' first due time and until NULL when to their last."""
    due = select(MicroLesson.due_at).where(lessons)
    first = due.with_only_columns(func.min(MicroLesson.due_at)).scalar_subquery()
    last = due.with_only_columns(func.max(MicroLesson.due_at)).scalar_subquery()
    owing = case((Membership.valid_from > User.owes_from, Membership.valid_from),
                 else_=User.owes_from)
    since = case((owing <= first, null()), else_=owing)
    until = case((or_(Membership.valid_to.is_(None), Membership.valid_to > last), null()),
                 else_=Membership.valid_to)
    return (select(Membership.unit_id.label("unit_id"), since.label("since"),
                   until.label("until"), func.count().label("n"))
            .join(User, User.id == Membership.user_id)
            .where(Membership.active.is_(True), Membership.is_officer.is_(True),
                   User.owes_from.isnot(None))
            .group_by(Membership.unit_id, since, until))


def owed_by(user_id):
    """SQL: the lesson in the query (`MicroLesson`) is owed by this user (`owes`, correlated);
    `user_id` is a value or a bind."""
    return (select(Membership.id).join(User, User.id == Membership.user_id)
            .join(MemberUnit, MemberUnit.id == Membership.unit_id)
            .where(Membership.user_id == user_id, *owes())
            .correlate_except(Membership, User, MemberUnit).exists())


def member_at(moment):
    """SQL conditions over `Membership`: the row covering `moment`, an active officer's."""
    return (Membership.valid_from <= moment,
            or_(Membership.valid_to.is_(None), Membership.valid_to > moment),
            Membership.active.is_(True), Membership.is_officer.is_(True))


# --- classrooms (推磨式验收: inspectors from another county accept; docs/CLASSROOMS.md) ---

def county_path(unit: Unit | None) -> str | None:
    """The path of the unit's county (`county_of`); None at or above its bureau."""
    county = county_of(unit)
    return county.path if county is not None else None


def county_id(unit: Unit | None) -> int | None:
    """The id of the unit's county (`county_of`); None at or above its bureau."""
    county = county_of(unit)
    return county.id if county is not None else None


def can_apply_classroom(user: User) -> bool:
    """Branch secretaries (supervisors) apply for classrooms of their own unit."""
    return user.active and user.is_supervisor


def is_applicant(user: User, room) -> bool:
    """A secretary of the classroom's own unit: resubmits a returned application."""
    return can_apply_classroom(user) and room.unit_id == user.unit_id


def can_inspect_classroom(user: User, unit: Unit | None) -> bool:
    """A supervisor or trainer of another county than the applicant's, in the same bureau
    (the bureau organizes the rotation), may inspect."""
    if not (user.active and (user.is_supervisor or user.is_trainer)) or unit is None:
        return False
    mine, theirs = ancestry(user.unit), ancestry(unit)
    county, applicant = county_in(mine), county_in(theirs)
    return (county is not None and applicant is not None and county.id != applicant.id
            and mine[bureau_in(mine)].id == theirs[bureau_in(theirs)].id)


def can_accept_classroom(user: User, room, unit: Unit | None) -> bool:
    """An inspector from another county scores and decides an applied classroom."""
    return room.status == "applied" and can_inspect_classroom(user, unit)


def can_run_classroom(user: User, room) -> bool:
    """The accepted classroom's own unit's supervisors and trainers hold its sessions."""
    return (user.active and (user.is_supervisor or user.is_trainer)
            and room.status == "accepted" and room.unit_id == user.unit_id)


def can_retire_classroom(user: User, unit: Unit | None) -> bool:
    """Admins, and supervisors whose scope holds the running unit, retire a classroom."""
    return can_administer(user) or (unit is not None and unit_in_scope(user, unit))


def in_classroom_line(user: User, unit: Unit | None) -> bool:
    """The running unit's own people and the supervisors above it (admins for samples)."""
    if unit is None:
        return is_bureau_wide(user)
    return user.unit_id == unit.id or unit_in_scope(user, unit)


def can_see_classroom(user: User, room, unit: Unit | None) -> bool:
    """Applied and accepted classrooms: everyone (inspectors must find them); returned and
    retired ones: their own line only. `classrooms_visible` is the same rule in SQL."""
    return room.status in ("applied", "accepted") or in_classroom_line(user, unit)


def classrooms_visible(user: User, classroom, unit):
    """SQL over a classroom and its (outer-joined) unit: `can_see_classroom` for a list."""
    rules = [classroom.status.in_(("applied", "accepted")), unit.id == user.unit_id]
    path = scope_path(user)
    if path is not None:
        rules.append(unit.path.startswith(path, autoescape=True))
    if is_bureau_wide(user):
        rules.append(classroom.unit_id.is_(None))
    return or_(*rules)


def shows_attendee_names(viewer: User, unit: Unit | None) -> bool:
    """Attendee names: for whoever supervises the running unit (its secretaries included)."""
    if unit is None:  # a bureau-level sample classroom: only a bureau-wide scope holds it
        return scope_path(viewer) == "/"
    return unit_in_scope(viewer, unit)


# --- points claims (党建积分申报): who requests, who approves, who sees the evidence ---

def can_claim_points(user: User, rule) -> bool:
    """Active officers and lecturers request an active rule's points; a `lecturer` rule
    (leading a session) only trainers (党员讲师)."""
    return (user.active and (user.is_officer or user.is_trainer) and rule.active
            and (rule.requesters == "any" or user.is_trainer))


def claim_approver_unit(db: Session, unit: Unit, approver: str) -> Unit:
    """The unit whose secretaries approve a claim from `unit`: its party branch (the nearest
    branch at or above it, else the unit itself) or, for a `county` rule, its county (when a
    county or department, `county_of`), else its bureau (`bureau_of`)."""
    chain = ancestry(unit)
    if approver == "county":
        county = county_in(chain)
        return county if county is not None and county.kind in COUNTY_KINDS \
            else chain[bureau_in(chain)]
    return next((u for u in reversed(chain) if u.kind == "branch"), unit)


def can_decide_claim(user: User, claim) -> bool:
    """A supervisor (secretary) of the claim's approving unit approves, returns or corrects
    it — never their own claim."""
    return (user.active and user.is_supervisor and user.unit_id == claim.approver_unit_id
            and user.id != claim.user_id)


def can_see_evidence(user: User, claim) -> bool:
    """The evidence image: for its requester and the claim's approvers only."""
    return (user.active and user.id == claim.user_id) or can_decide_claim(user, claim)
