"""A province root (省厅 → bureaus → counties → stations → branches): the county is found by
kind, 推磨 stays inside a bureau, leaderboards and digests per county, and the province's
reports add up to its bureaus'."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from lms.domain.classrooms import acceptance, rotation
from lms.domain.learning import points
from lms.domain.org import policy
from lms.domain.org.policy import PermissionDenied
from lms.domain.reminders import escalation
from lms.domain.reports import inspection, leaderboard, periods, rollup
from lms.models import ChecklistItem, Notification, Unit

TZ = "Asia/Shanghai"
NOW = datetime(2026, 12, 1, 2, 0)  # Tuesday of ISO week 49 in Shanghai
DUE = datetime(2026, 11, 29, 23, 59)  # local: Sunday of week 48

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def units(make):
    return make.province()


# --- where a unit sits ---------------------------------------------------------------------

def test_a_county_under_a_province_is_the_unit_right_below_its_bureau(units):
    for b, c in (("x", "1"), ("y", "2")):
        for level in ("county", "station", "branch"):
            unit = units[f"{level}_{b}{c}"]
            assert policy.county_of(unit) == units[f"county_{b}{c}"]
            assert policy.county_id(unit) == units[f"county_{b}{c}"].id
            assert policy.county_path(unit) == units[f"county_{b}{c}"].path
            assert policy.bureau_of(unit) == units[f"bureau_{b}"]
    assert units["county_x1"].depth == 2
    for top in ("province", "bureau_x", "bureau_y"):
        assert policy.county_of(units[top]) is None and policy.county_path(units[top]) is None
    assert policy.bureau_of(units["province"]) == units["province"]  # none above: the root


def test_a_units_ancestors_are_read_in_one_statement(app, db, units):
    branch_id = units["branch_y2"].id
    db.expunge_all()
    branch = db.get(Unit, branch_id)
    statements = []
    engine = app.extensions["lms"].db.engine

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        county = policy.county_of(branch)
        assert county.code == "CY2" and len(statements) == 1
        chain = policy.ancestry(branch)  # one statement again, whatever is missing
        assert [u.code for u in chain] == ["GA", "Y", "CY2", "SY2", "BY2"]
        assert len(statements) == 2
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_bureau_root_keeps_its_counties_at_depth_one(make):
    tree = make.tree()
    assert policy.county_of(tree["branch_a"]) == tree["county_a"]
    assert policy.bureau_of(tree["branch_a"]) == tree["city"]
    assert policy.county_of(tree["city"]) is None


def test_the_sql_county_rule_names_the_same_units(db, make, units):
    make.tree()  # a bureau root beside the province
    counties = {unit.id for unit in db.scalars(select(Unit).where(policy.is_county()))}
    expected = {unit.id for unit in db.scalars(select(Unit))
                if policy.county_of(unit) is unit}
    assert counties == expected
    assert len(counties) == 6  # four in the province, two in the bureau


def test_a_department_right_below_the_province_is_its_own_county(make, units):
    office = make.unit("省厅政治部", "department", units["province"])
    section = make.unit("组织处党支部", "branch", office)
    assert policy.county_of(section) == office and policy.county_of(office) == office


# --- leaderboards ----------------------------------------------------------------------------

def test_the_county_board_holds_only_the_officers_own_county(db, make, units):
    mine = make.user(units["branch_x1"])
    for where, amount in (("branch_x1", 5), ("branch_x2", 9), ("branch_y1", 20)):
        officer = make.user(units[where])
        assert points.award(db, officer.id, "lesson_on_time", "lesson", officer.id, amount,
                            at=NOW)
    db.commit()
    own, county = policy.leaderboard_units(db, mine)
    assert (own, county) == (units["branch_x1"], units["county_x1"])
    board = leaderboard.county_board(db, mine)
    assert board.county_id == units["county_x1"].id
    assert [row.code for row in board.rows] == ["BX1"]


def test_an_officer_at_a_bureau_or_the_province_has_no_county_board(db, make, units):
    for top in ("province", "bureau_y"):
        assert policy.leaderboard_units(db, make.user(units[top]))[1] is None


# --- 推磨: the bureau organizes the rotation -----------------------------------------------

@pytest.fixture
def kind(make, db):
    model = make.classroom_type("组织生活“样板课堂”", key="model")
    db.add(ChecklistItem(type_id=model.id, position=0, weight=10, text="组织生活记录完整"))
    db.commit()
    return model


def marks(db, kind):
    item = db.scalar(select(ChecklistItem).where(ChecklistItem.type_id == kind.id))
    return {item.id: (9, "")}


def test_another_county_of_the_same_bureau_inspects(db, make, units, kind):
    room = make.classroom(type=kind, unit=units["branch_x1"], status="applied")
    peer = make.user(units["branch_x2"], roles=("supervisor",))
    assert policy.can_inspect_classroom(peer, units["branch_x1"])
    acceptance.score(db, peer, room, marks(db, kind), NOW)
    acceptance.decide(db, peer, room, "accept", "", NOW)
    db.commit()
    assert room.status == "accepted"


@pytest.mark.parametrize("where", ["branch_y1", "county_y2", "bureau_y", "bureau_x", "province"])
def test_another_bureau_and_the_levels_above_the_counties_are_refused(db, make, units, kind,
                                                                      where):
    room = make.classroom(type=kind, unit=units["branch_x1"], status="applied")
    outsider = make.user(units[where], roles=("supervisor", "trainer"))
    assert not policy.can_inspect_classroom(outsider, units["branch_x1"])
    with pytest.raises(PermissionDenied):
        acceptance.score(db, outsider, room, marks(db, kind), NOW)


def test_the_rotation_proposes_only_counties_of_the_applicants_bureau(db, make, units, kind):
    assert rotation.propose(db, units["county_x1"].id) == units["county_x2"]
    assert rotation.propose(db, units["county_y2"].id) == units["county_y1"]
    # Two counties per bureau: after X2 inspected X1, X2 may go again (nobody else in X).
    room = make.classroom(type=kind, unit=units["branch_x1"], status="applied")
    peer = make.user(units["branch_x2"], roles=("supervisor",))
    acceptance.score(db, peer, room, marks(db, kind), NOW)
    acceptance.decide(db, peer, room, "accept", "", NOW)
    db.commit()
    assert rotation.turn(db, units["county_x2"].id, units["county_x1"].id).allowed


# --- overdue digests per county ------------------------------------------------------------

class Unsent:
    """A notifier that delivers nothing: the stored notifications are what is checked."""

    def deliver(self, notifications):
        pass


def test_each_county_hears_of_its_own_missing_only(db, make, units):
    officers = {key: make.user(units[f"branch_{key}"]) for key in ("x1", "x2", "y1")}
    heads = {key: make.user(units[f"county_{key}"], roles=("supervisor",))
             for key in ("x1", "x2", "y1", "y2")}
    make.user(units["bureau_x"], roles=("supervisor",))
    make.user(units["province"], roles=("supervisor",))
    due = datetime(2026, 11, 20, 10, 0)
    lesson = make.lesson(publish_at=due - timedelta(days=5), due_at=due)
    escalation.plan_and_send(db, due + timedelta(days=4), TZ, Unsent())
    digests = {n.user_id: n for n in db.scalars(
        select(Notification).where(Notification.kind == "overdue_county"))}
    assert set(digests) == {heads[key].id for key in ("x1", "x2", "y1")}  # y2 has no one
    for key in ("x1", "x2", "y1"):
        digest = digests[heads[key].id]
        assert digest.dedupe_key == f"overdue-county:{lesson.id}:{units['county_' + key].id}:0"
        assert officers[key].police_no in digest.body
        assert all(officers[other].police_no not in digest.body
                   for other in officers if other != key)


# --- reports at the province root ----------------------------------------------------------

@pytest.fixture
def learners(db, make, units):
    """Officers across both bureaus, some done; a province supervisor and an admin."""
    lesson = make.lesson_due(DUE)
    done = {"x1": 2, "x2": 1, "y1": 0, "y2": 3}
    for key, finished in done.items():
        for n in range(3):
            officer = make.user(units[f"branch_{key}"])
            if n < finished:
                make.completion(officer, lesson, DUE - timedelta(days=2), score=70 + 10 * n)
    make.user(units["station_y1"])  # a station's own officer
    make.user(units["bureau_x"])  # the bureau's own office
    return lesson


def week():
    return rollup.Selection(period=periods.parse("2026-W48", TZ))


def test_the_province_report_is_the_sum_of_its_bureaus(db, units, learners):
    province = rollup.completion_by_child(db, units["province"], week(), NOW)
    bureaus = [rollup.completion_by_child(db, units[f"bureau_{b}"], week(), NOW)
               for b in ("x", "y")]
    assert [row.unit.code for row in province.rows] == ["X", "Y"]
    assert [row.counts for row in province.rows] == [report.total for report in bureaus]
    assert province.total == bureaus[0].total + bureaus[1].total
    assert (province.total.assigned, province.total.completed) == (14, 6)


def test_a_province_supervisor_sees_every_bureau_through_the_api(db, make, client, units,
                                                                 learners):
    from factories import bearer
    head = make.user(units["province"], roles=("supervisor",))
    response = client.get("/api/v1/reports/completion?period=2026-W48",
                          headers=bearer(client, head))
    assert response.status_code == 200
    assert response.json["unit"]["code"] == "GA"
    assert [(row["unit"]["code"], row["assigned"], row["completed"])
            for row in response.json["rows"]] == [("X", 7, 3), ("Y", 7, 3)]
    assert response.json["total"] == {"assigned": 14, "completed": 6, "rate": round(6 / 14, 4)}
    for code in ("X", "CY2", "BX1"):  # everything below is in scope
        assert client.get(f"/api/v1/reports/completion?period=2026-W48&unit={code}",
                          headers=bearer(client, head)).status_code == 200
    bureau_head = make.user(units["bureau_x"], roles=("supervisor",))
    assert client.get("/api/v1/reports/completion?period=2026-W48&unit=GA",
                      headers=bearer(client, bureau_head)).status_code == 403


def test_the_province_inspection_ranks_every_branch_and_adds_up(db, units, learners):
    quarter = periods.parse("2026Q4", TZ)
    province = inspection.inspection(db, units["province"], quarter, NOW)
    bureaus = [inspection.inspection(db, units[f"bureau_{b}"], quarter, NOW) for b in "xy"]
    assert sorted(row.unit.code for row in province.rows) == ["BX1", "BX2", "BY1", "BY2"]
    assert province.total == bureaus[0].total + bureaus[1].total
    assert province.members == bureaus[0].members + bureaus[1].members


# --- the org import and the admin pages ----------------------------------------------------

def test_the_org_import_takes_a_province_root(runner, db, tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,kind,parent_code\nGA,省公安厅,province,\n"
                     "SZ,市公安局,bureau,GA\nC1,姑苏分局,county,SZ\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-units", str(units)])
    assert result.exit_code == 0, result.output
    county = db.scalar(select(Unit).where(Unit.code == "C1"))
    assert county.depth == 2 and policy.county_of(county) is county
    assert db.scalar(select(Unit.kind).where(Unit.code == "GA")) == "province"


def test_the_admin_org_pages_label_the_province(make, client, login, units):
    admin = make.user(units["province"], roles=("admin",))
    login(admin.police_no)
    assert "省厅" in client.get("/admin/units").get_data(as_text=True)
    page = client.get("/admin/units/GA").get_data(as_text=True)
    assert "省厅" in page and 'value="province"' in page


# --- the rest that asks for a county --------------------------------------------------------

def test_a_county_claim_is_approved_by_the_county_else_the_bureau(db, units):
    assert policy.claim_approver_unit(db, units["branch_y2"], "county") == units["county_y2"]
    assert policy.claim_approver_unit(db, units["bureau_x"], "county") == units["bureau_x"]
    assert policy.claim_approver_unit(db, units["branch_y2"], "branch") == units["branch_y2"]


def test_a_lesson_audience_is_picked_down_to_the_counties(db, units):
    from lms.domain.studio import lessonwork
    assert [u.code for u in lessonwork.audience_choices(db)] == [
        "GA", "X", "CX1", "CX2", "Y", "CY1", "CY2"]


def test_the_demos_inspections_stay_inside_each_bureau(db, make, units):
    from lms.domain.demo import classrooms
    from lms.domain.demo.orgtree import DemoUnit
    from lms.models import ClassroomReview
    for key in ("x1", "x2", "y1", "y2"):
        for _ in range(3):
            make.user(units[f"branch_{key}"])
        make.user(units[f"county_{key}"], roles=("officer", "supervisor"))
    demo = [DemoUnit(u.id, u.code, u.name, u.kind, u.parent_id, u.path, u.depth)
            for u in db.scalars(select(Unit).order_by(Unit.id))]
    assert classrooms.build(db, demo, 7, TZ, NOW, {"session_attended": 2}) == 63
    reviews = db.scalars(select(ClassroomReview)).all()
    assert reviews
    for review in reviews:
        inspector, applicant = (db.get(Unit, review.inspector_county_id),
                                db.get(Unit, review.applicant_county_id))
        assert inspector.id != applicant.id and inspector.parent_id == applicant.parent_id
        assert policy.county_of(inspector) is inspector


def test_an_imported_bureau_moves_under_a_new_province(runner, db, tmp_path):
    first, second = tmp_path / "bureau.csv", tmp_path / "province.csv"
    first.write_text("code,name,kind,parent_code\nSZ,市公安局,bureau,\nC1,姑苏分局,county,SZ\n"
                     "S1,观前派出所,station,C1\n", encoding="utf-8")
    second.write_text("code,name,kind,parent_code\nGA,省公安厅,province,\nSZ,市公安局,bureau,GA\n",
                      encoding="utf-8")
    for path in (first, second):
        result = runner.invoke(args=["lms", "import-units", str(path)])
        assert result.exit_code == 0, result.output
    db.expire_all()
    found = {u.code: u for u in db.scalars(select(Unit))}
    assert found["S1"].path == (f"/{found['GA'].id}/{found['SZ'].id}/{found['C1'].id}/"
                                f"{found['S1'].id}/")
    assert (found["S1"].depth, policy.county_of(found["S1"])) == (3, found["C1"])
