"""Who owes a lesson (DESIGN §5): membership at the lesson's due time decides, a newcomer
owes nothing due within the grace days, a move or a leaver changes only what is still to
come, and an earlier quarter's report and 通报 stay the same byte for byte."""
from datetime import datetime, timedelta

import pytest
from factories import Factory, bearer
from test_reports import add_lesson, complete

from lms.domain import clock
from lms.domain.org import directory, policy
from lms.domain.reports import rollup
from lms.models import PointsEntry, User

NOW = datetime(2026, 11, 10, 2, 0)  # a Tuesday in Q4, 10:00 in Shanghai


pytestmark = pytest.mark.usefixtures("frozen_clock")  # stopped at NOW


def import_roster(runner, tmp_path, lines: list[str], header: str = ""):
    path = tmp_path / "roster.csv"
    path.write_text("police_no,name,unit_code,roles,party_member" + header + "\n"
                    + "\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-roster", str(path),
                                 "--codes-out", str(tmp_path / "codes.csv")])
    assert result.exit_code == 0, result.output
    return result


def my_lessons(client, user) -> dict[int, str]:
    response = client.get("/api/v1/me/lessons?status=all", headers=bearer(client, user))
    assert response.status_code == 200
    return {row["id"]: row["status"] for row in response.json["lessons"]}


def test_only_an_admin_changes_roles(db, make):
    unit = make.unit()
    supervisor = make.user(unit, roles=("officer", "supervisor"))
    officer = make.user(unit)
    with pytest.raises(policy.PermissionDenied):
        directory.change_roles(db, supervisor, officer, {"officer", "admin"}, None)
    db.rollback()
    assert db.get(User, officer.id).roles == ["officer"]


def test_a_newcomer_owes_nothing_due_within_the_grace_days(db, make, client, runner, tmp_path):
    t = make.tree()
    admin = make.user(t["city"], roles=("admin",))
    past = make.lesson(publish_at=NOW - timedelta(days=8), due_at=NOW - timedelta(days=1))
    soon = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=6))
    later = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=8))
    import_roster(runner, tmp_path, ["900001,新同志,BA,officer,1"])
    newcomer = db.query(User).filter_by(police_no="900001").one()
    newcomer.password_hash = Factory._password_hash
    db.commit()
    assert my_lessons(client, newcomer) == {
        past.id: "optional", soon.id: "optional", later.id: "due"}
    due = client.get("/api/v1/me/lessons?status=due", headers=bearer(client, newcomer))
    assert [row["id"] for row in due.json["lessons"]] == [later.id]
    # The reports agree: the newcomer is assigned only the lesson due after the grace days.
    headers = bearer(client, admin)
    for lesson, assigned in ((past, 0), (soon, 0), (later, 1)):
        report = rollup.completion_by_child(
            db, t["branch_a"], rollup.Selection(lesson=rollup.find_lesson(db, lesson.id)), NOW)
        assert report.total.assigned == assigned
    assert client.get("/api/v1/reports/completion?unit=BA&period=2026Q4",
                      headers=headers).json["total"]["assigned"] == 1


def test_the_grace_days_come_from_the_setting(db, make, app, client, runner, tmp_path):
    make.tree()
    soon = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=2))
    app.config["LMS_NEWCOMER_GRACE_DAYS"] = 1
    import_roster(runner, tmp_path, ["900002,新同志,BA,officer,1"])
    newcomer = db.query(User).filter_by(police_no="900002").one()
    newcomer.password_hash = Factory._password_hash
    db.commit()
    assert my_lessons(client, newcomer) == {soon.id: "due"}


def test_joined_on_dates_the_first_load_of_a_bureau(db, make, client, runner, tmp_path):
    make.tree()
    past = make.lesson(publish_at=NOW - timedelta(days=8), due_at=NOW - timedelta(days=1))
    import_roster(runner, tmp_path, ["900003,老同志,BA,officer,1,2019-03-01"], ",joined_on")
    veteran = db.query(User).filter_by(police_no="900003").one()
    veteran.password_hash = Factory._password_hash
    db.commit()
    assert my_lessons(client, veteran) == {past.id: "overdue"}


def test_a_move_changes_only_lessons_still_to_come(db, make, client, runner, tmp_path):
    t = make.tree()
    mover = make.user(t["branch_a"])
    for_a = make.lesson(publish_at=NOW - timedelta(days=8), due_at=NOW - timedelta(days=1),
                        audience=[t["branch_a"]])
    for_b = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=5),
                        audience=[t["branch_b"]])
    for_all = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=5))
    import_roster(runner, tmp_path, [f"{mover.police_no},{mover.name},BB,officer,1"])
    # Branch A's past lesson is still owed, and still counts for branch A.
    assert my_lessons(client, mover) == {for_a.id: "overdue", for_b.id: "due",
                                         for_all.id: "due"}
    rows, total = rollup.pending(db, t["city"], rollup.Selection(
        lesson=rollup.find_lesson(db, for_a.id)), NOW, "Asia/Shanghai")
    assert total == 1 and rows[0].unit_name == t["branch_a"].name
    report = rollup.completion_by_child(
        db, t["city"], rollup.Selection(lesson=rollup.find_lesson(db, for_all.id)), NOW)
    assert {row.unit.code: row.counts.assigned for row in report.rows} == {"CA": 0, "CB": 1}


def snapshot(client, admin, supervisor) -> dict[str, bytes]:
    """Q3's completion report (API JSON) for the bureau and a county, and the 通报 exports."""
    api = bearer(client, admin)
    out = {}
    for unit in ("SZ", "CA", "BB"):
        response = client.get(f"/api/v1/reports/completion?unit={unit}&period=2026Q3",
                              headers=api)
        assert response.status_code == 200
        out[f"api-{unit}"] = response.data
    client.post("/login", data={"police_no": supervisor.police_no,
                                "password": Factory.PASSWORD})
    for path in ("tongbao.csv?period=2026Q3", "tongbao.csv?period=2026Q3&unit=CA",
                 "units.csv?period=2026Q3", "pending.csv?period=2026Q3",
                 "officers.csv?period=2026Q3&unit=BA"):
        response = client.get(f"/supervise/export/{path}")
        assert response.status_code == 200, path
        out[path] = response.data
    client.post("/logout")
    return out


def test_an_earlier_quarter_stays_the_same_byte_for_byte(db, make, client, runner, tmp_path):
    t = make.tree()
    admin = make.user(t["city"], roles=("admin",))
    boss = make.user(t["city"], roles=("supervisor",))
    people = {name: make.user(t[where]) for name, where in (
        ("a1", "branch_a"), ("a2", "branch_a"), ("a3", "branch_a"), ("b1", "branch_b"),
        ("b2", "branch_b"), ("sa", "station_a"))}
    lessons = [add_lesson(db, datetime(2026, month, 18, 23, 59)) for month in (7, 8, 9)]
    current = add_lesson(db, datetime(2026, 11, 15, 23, 59),
                         publish_local=datetime(2026, 11, 9, 8, 0))
    for name, lesson, late in (("a1", 0, False), ("a1", 1, True), ("a2", 0, False),
                               ("b1", 0, False), ("b1", 2, False), ("sa", 1, False)):
        due = lessons[lesson].due_at
        complete(db, people[name], lessons[lesson], due + timedelta(days=2 if late else -1))
        db.add(PointsEntry(user_id=people[name].id, rule="lesson_on_time", points=5,
                           source_type="lesson", source_id=lessons[lesson].id,
                           at=due - timedelta(days=1)))
    db.commit()
    before = snapshot(client, admin, boss)
    this_quarter = client.get("/api/v1/reports/completion?unit=SZ&period=2026Q4",
                              headers=bearer(client, admin)).data

    # New officers, a move, a leaver through the roster, a leaver at the admin page's
    # domain function, and a role change — all today.
    import_roster(runner, tmp_path, [
        "900010,新民警甲,BA,officer,1,,1",
        "900011,新民警乙,BB,officer,0,2026-11-01,1",
        f"{people['a1'].police_no},{people['a1'].name},BB,officer,1,,",
        f"{people['sa'].police_no},{people['sa'].name},SA,officer,1,,0",
    ], ",joined_on,active")
    directory.deactivate(db, admin, [db.get(User, people["b1"].id)], "调离", None, NOW)
    directory.change_roles(db, admin, db.get(User, people["a2"].id), {"trainer"}, None, NOW)
    db.commit()

    after = snapshot(client, admin, boss)
    for key in before:
        assert after[key] == before[key], key
    # The changes did take effect for what is still to come.
    assert client.get("/api/v1/reports/completion?unit=SZ&period=2026Q4",
                      headers=bearer(client, admin)).data != this_quarter
    report = rollup.completion_by_child(
        db, t["city"], rollup.Selection(lesson=rollup.find_lesson(db, current.id)), NOW)
    # A: a3 (a1 left, a2 is no officer now, sa left, 900010 is within the grace days);
    # B: b2, a1 who moved in, and 900011 who joined on 1 November (b1 left).
    assert {row.unit.code: row.counts.assigned for row in report.rows} == {"CA": 1, "CB": 3}


def test_the_demo_has_a_full_history_and_some_who_joined_or_left(db, runner, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", datetime.utcnow)  # the demo's history ends today
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output
    from lms.domain.reports import unitstats
    from lms.models import Membership
    db.expire_all()
    assert unitstats.drift(db) == {}
    start = datetime.utcnow() - timedelta(weeks=52)
    users = db.query(User).all()
    joiners = [u for u in users if u.joined_at > start]
    leavers = [u for u in users if not u.active]
    assert joiners and leavers
    assert len(joiners) + len(leavers) < len(users) // 10  # the rest owe the whole year
    closed = db.query(Membership).filter(Membership.valid_to.isnot(None)).all()
    assert {row.user_id for row in closed} == {u.id for u in leavers}
    assert all(start < row.valid_to for row in closed)
