"""`flask lms demo`: a realistic org tree and roster with fixed demo logins."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from lms.domain.demo import bureau
from lms.models import Unit, User


@pytest.fixture
def demo_300(runner):
    """The demo built by the CLI with 300 officers."""
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_tree_has_one_root_and_consistent_paths(demo_300, db):
    units = {u.id: u for u in db.scalars(select(Unit))}
    roots = [u for u in units.values() if u.parent_id is None]
    assert [(r.code, r.name, r.kind, r.path, r.depth) for r in roots] == [
        ("SZ", "市公安局", "bureau", f"/{roots[0].id}/", 0)]
    for unit in units.values():
        if unit.parent_id is not None:
            parent = units[unit.parent_id]
            assert unit.path == f"{parent.path}{unit.id}/"
            assert unit.depth == parent.depth + 1
    kinds = Counter(u.kind for u in units.values())
    assert kinds["county"] == 2 and kinds["department"] == 1 and kinds["branch"] >= 3


def test_demo_roster_fills_every_branch(demo_300, db):
    assert db.scalar(select(func.count()).select_from(User)) == 300
    per_branch = dict(db.execute(select(Unit.code, func.count(User.id))
                                 .outerjoin(User, User.unit_id == Unit.id)
                                 .where(Unit.kind == "branch").group_by(Unit.code)).all())
    assert min(per_branch.values()) >= 15
    numbers = db.scalars(select(User.police_no)).all()
    assert all(len(n) == 6 and n.isdigit() for n in numbers)
    party = db.scalar(select(func.count()).where(User.party_member))
    assert 0.35 < party / 300 < 0.6


def test_demo_logins_exist_and_officer_signs_in(demo_300, db, login):
    logins = {u.police_no: u for u in db.scalars(select(User).where(
        User.police_no.in_(["000001", "000002", "000003", "000004", "000005"])))}
    assert logins["000001"].is_admin and logins["000001"].unit.kind == "bureau"
    assert logins["000002"].is_supervisor and logins["000002"].unit.kind == "county"
    assert logins["000003"].is_trainer and logins["000003"].unit.name == "政治部"
    assert logins["000004"].roles == ["officer"] and logins["000004"].unit.kind == "branch"
    assert logins["000005"].is_supervisor and logins["000005"].unit_id == logins["000004"].unit_id
    assert logins["000004"].unit.path.startswith(logins["000002"].unit.path)
    assert "000004" in demo_300.output and bureau.DEMO_PASSWORD in demo_300.output
    response = login("000004", bureau.DEMO_PASSWORD)
    assert response.status_code == 302
    assert not response.headers["Location"].endswith("/activate")
    others = db.scalar(select(func.count()).where(User.password_hash.is_not(None)))
    assert others == len(bureau.LOGINS)


def test_demo_refuses_a_second_run(demo_300, runner, db):
    units = db.scalar(select(func.count()).select_from(Unit))
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code != 0
    assert "already has" in result.stderr
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Unit)) == units


def test_demo_is_deterministic_and_reports_100_percent(db):
    steps = []
    bureau.build(db, officers=300, seed=7, tz="Asia/Shanghai", progress=steps.append,
               password_hash="not-a-real-hash")
    first = db.execute(select(User.police_no, User.name).order_by(User.police_no)).all()
    db.rollback()
    bureau.build(db, officers=300, seed=7, tz="Asia/Shanghai", progress=lambda n: None,
               password_hash="not-a-real-hash")
    again = db.execute(select(User.police_no, User.name).order_by(User.police_no)).all()
    db.rollback()
    assert sum(steps) == 100
    assert first == again and len({name for _, name in first}) > 200


def test_if_empty_leaves_an_existing_org_alone_and_repeats_the_logins(demo_300, runner, db):
    units_before = db.scalar(select(func.count()).select_from(Unit))
    result = runner.invoke(args=["lms", "demo", "--officers", "300", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "000004" in result.output and "zhuhun-demo-2026" in result.output
    assert db.scalar(select(func.count()).select_from(Unit)) == units_before


def test_demo_history_fills_a_year_of_weekly_lessons(runner, db):
    from lms.models import Completion, MicroLesson, PointsEntry
    from lms.paths import COURSES_DIR
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    result = runner.invoke(args=["lms", "demo", "--officers", "300", "--weeks", "52"])
    assert result.exit_code == 0, result.output
    lessons = db.scalars(select(MicroLesson).order_by(MicroLesson.publish_at)).all()
    assert len(lessons) == 52
    assert len({lesson.issue_no for lesson in lessons}) == 52
    gaps = {(b.publish_at - a.publish_at).days for a, b in zip(lessons, lessons[1:])}
    assert gaps == {7}  # one lesson every week, the real 14 among them
    by_id = {lesson.id: lesson for lesson in lessons}
    rows = db.scalars(select(Completion).where(Completion.item_type == "lesson")).all()
    rows = [row for row in rows if row.status == "completed"]
    assert 300 * 40 < len(rows) < 300 * 52  # most done, some never
    assert all(row.first_completed_at >= by_id[row.item_id].publish_at for row in rows)
    late = {(p.user_id, p.source_id) for p in db.scalars(
        select(PointsEntry).where(PointsEntry.rule == "lesson_late"))}
    for row in rows:
        is_late = row.first_completed_at > by_id[row.item_id].due_at
        assert ((row.user_id, row.item_id) in late) == is_late



def test_the_demo_leaves_statistics_for_every_table(runner, db):
    """PostgreSQL: the reports plan with the loaded rows' statistics at once, whether or not
    autovacuum ever samples them (a province's 通报 took 2.4× as long without)."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans without gathered statistics")
    from sqlalchemy import text

    from lms.models.base import Base
    started = db.scalar(text("SELECT clock_timestamp()"))
    db.commit()
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output
    analysed = dict(db.execute(text(
        "SELECT relname, last_analyze FROM pg_stat_user_tables "
        "WHERE schemaname = current_schema()")).all())
    stale = [table.name for table in Base.metadata.sorted_tables
             if analysed.get(table.name) is None or analysed[table.name] < started]
    assert stale == []
