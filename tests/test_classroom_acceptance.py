"""Peer acceptance (推磨式验收): inspectors from another county, checklist scores with
comments, the weighted score, the decision, 推磨 rotation, re-application and checklists."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from lms.domain.classrooms import acceptance, checklists, rotation
from lms.domain.classrooms import lifecycle as rooms
from lms.domain.org.policy import PermissionDenied
from lms.models import AuditEvent, ChecklistItem, ClassroomReview

NOW = datetime(2026, 11, 20, 2, 0)
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def units(make):
    """city → counties a, b, c → a station → a branch each."""
    city = make.unit("市公安局", "bureau", code="SZ")
    found = {"city": city}
    for label in "abc":
        county = make.unit(f"{label.upper()}分局", "county", city, code=f"C{label.upper()}")
        station = make.unit(f"{label.upper()}派出所", "station", county, code=f"S{label.upper()}")
        found.update({f"county_{label}": county, f"station_{label}": station,
                      f"branch_{label}": make.unit(f"{label.upper()}党支部", "branch", station,
                                                   code=f"B{label.upper()}")})
    return found


@pytest.fixture
def kind(make, db):
    """The model classroom type with a two-item checklist weighted 3 : 1."""
    model = make.classroom_type("组织生活“样板课堂”", key="model")
    db.add_all([ChecklistItem(type_id=model.id, position=0, weight=30, text="组织生活记录完整"),
                ChecklistItem(type_id=model.id, position=1, weight=10, text="现场效果好")])
    db.commit()
    return model


def items(db, kind):
    return checklists.checklist(db, kind.id)


def applied(make, units, kind, where="branch_a"):
    return make.classroom("“三会一课”示范观摩", kind, units[where], status="applied")


def inspector(make, units, where="branch_b"):
    return make.user(units[where], roles=("supervisor",))


def marks(db, kind, first, second, note="记录规范"):
    one, two = items(db, kind)
    return {one.id: (first, note), two.id: (second, "")}


@pytest.mark.parametrize("where", ["branch_a", "station_a", "county_a", "city"])
def test_an_inspector_from_the_applicants_county_is_refused(make, units, kind, db, where):
    room = applied(make, units, kind)
    same_county = make.user(units[where], roles=("supervisor", "trainer"))
    with pytest.raises(PermissionDenied):
        acceptance.score(db, same_county, room, marks(db, kind, 9, 9), NOW)
    with pytest.raises(PermissionDenied):
        acceptance.decide(db, same_county, room, "accept", "", NOW)
    db.rollback()
    assert room.status == "applied"
    assert db.scalar(select(ClassroomReview.id)) is None


def test_checklist_scores_make_a_weighted_score_and_accept(make, units, kind, db):
    room = applied(make, units, kind)
    first, second = inspector(make, units), inspector(make, units, "station_b")
    assert acceptance.score(db, first, room, marks(db, kind, 10, 6), NOW) == 90.0
    acceptance.score(db, second, room, marks(db, kind, 8, 2), NOW)
    # item 1: (10 + 8) / 2 = 9, item 2: (6 + 2) / 2 = 4; (30×9 + 10×4) / 40 = 7.75 → 77.5 %
    assert acceptance.weighted_score(db, room) == 77.5
    review = acceptance.decide(db, first, room, "accept", "整体规范。", NOW)
    db.commit()
    assert (room.status, room.accepted_by_unit_id, room.accepted_at) == (
        "accepted", units["branch_b"].id, NOW)
    assert (review.decision, review.score, review.comment) == ("accepted", 77.5, "整体规范。")
    assert (review.inspector_county_id, review.applicant_county_id) == (
        units["county_b"].id, units["county_a"].id)
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.target == room.slug)
                     .order_by(AuditEvent.id.desc())) == "classroom_accepted"


def test_deciding_needs_every_item_scored_in_range(make, units, kind, db):
    room = applied(make, units, kind)
    peer = inspector(make, units)
    with pytest.raises(rooms.ClassroomError, match="逐项评分"):
        acceptance.decide(db, peer, room, "accept", "", NOW)
    one, _ = items(db, kind)
    for bad in ({one.id: (9, "")}, marks(db, kind, 11, 5), marks(db, kind, "九", 5)):
        with pytest.raises(rooms.ClassroomError, match="打分"):
            acceptance.score(db, peer, room, bad, NOW)
    assert room.status == "applied"


def test_a_return_needs_comments_and_the_applicant_sees_them_and_applies_again(
        make, units, kind, db):
    room = applied(make, units, kind)
    peer = inspector(make, units)
    acceptance.score(db, peer, room, marks(db, kind, 4, 5, note="会议记录缺两次"), NOW)
    with pytest.raises(rooms.ClassroomError, match="修改意见"):
        acceptance.decide(db, peer, room, "return", "  ", NOW)
    acceptance.decide(db, peer, room, "return", "请补齐会议记录后重新申报。", NOW)
    db.commit()
    assert room.status == "returned"

    secretary = make.user(units["branch_a"], roles=("supervisor",))
    seen = acceptance.panel(db, secretary, room)
    assert seen.shows_scores and seen.can_resubmit and seen.score == 42.5
    assert seen.reviews[0].comment == "请补齐会议记录后重新申报。"
    assert ("B党支部", 4, "会议记录缺两次") in seen.items[0].notes
    outsider = acceptance.panel(db, make.user(units["branch_c"]), room)
    assert not outsider.shows_scores and outsider.reviews == [] and outsider.items[0].notes == []

    acceptance.resubmit(db, secretary, room, "“三会一课”示范观摩（修改稿）", "已补齐。",
                        NOW + timedelta(days=3))
    db.commit()
    assert (room.status, room.round) == ("applied", 2)
    fresh = acceptance.panel(db, secretary, room)
    assert fresh.score is None and fresh.items[0].notes == []  # a new round starts blank
    assert [r.round for r in fresh.reviews] == [1]


def test_the_same_county_does_not_inspect_a_county_twice_running(make, units, kind, db):
    peer_b, peer_c = inspector(make, units), inspector(make, units, "branch_c")
    first = applied(make, units, kind)
    acceptance.score(db, peer_b, first, marks(db, kind, 9, 9), NOW)
    acceptance.decide(db, peer_b, first, "accept", "", NOW)
    db.commit()
    second = applied(make, units, kind)
    with pytest.raises(rooms.ClassroomError, match="C分局"):  # proposes the next county
        acceptance.score(db, peer_b, second, marks(db, kind, 9, 9), NOW)
    assert rotation.propose(db, units["county_a"].id).id == units["county_c"].id
    panel = acceptance.panel(db, peer_b, second)
    assert not panel.can_score and panel.proposed == "C分局"
    acceptance.score(db, peer_c, second, marks(db, kind, 9, 9), NOW)
    acceptance.decide(db, peer_c, second, "accept", "", NOW + timedelta(minutes=1))
    db.commit()
    # A inspected by C last: B's turn again, and C may not swap back onto A's own inspector
    third = applied(make, units, kind)
    assert rotation.turn(db, units["county_b"].id, units["county_a"].id).allowed
    assert not rotation.turn(db, units["county_c"].id, units["county_a"].id).allowed
    acceptance.score(db, peer_b, third, marks(db, kind, 9, 9), NOW)


def test_with_two_counties_the_rotation_yields(make, db, kind):
    tree = make.tree()
    peer = make.user(tree["branch_b"], roles=("supervisor",))
    for _ in range(2):
        room = make.classroom(type=kind, unit=tree["branch_a"], status="applied")
        acceptance.score(db, peer, room, marks(db, kind, 8, 8), NOW)
        acceptance.decide(db, peer, room, "accept", "", NOW)
        db.commit()
        assert room.status == "accepted"


def test_two_inspectors_deciding_at_once_make_one_decision(make, units, kind, db):
    room = applied(make, units, kind)
    one, two = inspector(make, units), inspector(make, units, "station_b")
    for person in (one, two):
        acceptance.score(db, person, room, marks(db, kind, 9, 9), NOW)
    acceptance.decide(db, one, room, "accept", "", NOW)
    with pytest.raises(PermissionDenied):  # no longer applied
        acceptance.decide(db, two, room, "return", "不行", NOW)


def test_retiring_is_for_admins_and_the_supervisors_above(make, units, kind, db):
    room = make.classroom(type=kind, unit=units["branch_a"], status="accepted")
    with pytest.raises(PermissionDenied):
        acceptance.retire(db, make.user(units["branch_b"], roles=("supervisor",)), room, NOW)
    acceptance.retire(db, make.user(units["county_a"], roles=("supervisor",)), room, NOW)
    db.commit()
    assert (room.status, room.retired_at) == ("retired", NOW)


# The admin's checklists.

def test_an_admin_edits_a_checklist_and_old_scores_keep_their_item(make, units, kind, db,
                                                                   browser_for):
    room = applied(make, units, kind)
    acceptance.score(db, inspector(make, units), room, marks(db, kind, 9, 9), NOW)
    db.commit()
    admin = browser_for(make.user(units["city"], roles=("admin",)))
    page = admin.get("/classrooms/types/model/checklist").get_data(as_text=True)
    assert "30 组织生活记录完整" in page
    response = admin.post("/classrooms/types/model/checklist",
                          data={"text": "40 组织生活记录完整\n20 党员参与度高\n"})
    assert response.status_code == 302
    now = [(item.weight, item.text) for item in items(db, kind)]
    assert now == [(40, "组织生活记录完整"), (20, "党员参与度高")]
    retired = db.scalar(select(ChecklistItem).where(ChecklistItem.text == "现场效果好"))
    assert retired.retired
    assert db.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == \
        "checklist_changed"


def test_a_bad_checklist_changes_nothing_and_names_every_line(make, units, kind, db,
                                                             browser_for):
    admin = browser_for(make.user(units["city"], roles=("admin",)))
    response = admin.post("/classrooms/types/model/checklist",
                          data={"text": "30 好\n没有权重\n0 零权重\n30 好\n"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "第 2 行" in page and "第 3 行" in page and "第 4 行" in page
    assert [(i.weight, i.text) for i in items(db, kind)] == [
        (30, "组织生活记录完整"), (10, "现场效果好")]


def test_only_admins_edit_checklists(make, units, kind, browser_for):
    secretary = browser_for(make.user(units["branch_a"], roles=("supervisor", "trainer")))
    assert secretary.get("/classrooms/types/model/checklist").status_code == 403
    assert secretary.post("/classrooms/types/model/checklist",
                          data={"text": "1 x"}).status_code == 403


# The pages.

def test_an_inspector_scores_and_returns_through_the_pages(make, units, kind, db, browser_for):
    room = applied(make, units, kind)
    peer = browser_for(inspector(make, units))
    page = peer.get(f"/classrooms/{room.slug}").get_data(as_text=True)
    assert "检查评分" in page and "组织生活记录完整" in page
    one, two = items(db, kind)
    assert peer.post(f"/classrooms/{room.slug}/scores", data={
        f"score-{one.id}": "6", f"comment-{one.id}": "记录缺页", f"score-{two.id}": "7"},
    ).status_code == 302
    assert peer.post(f"/classrooms/{room.slug}/decision", data={
        "decision": "return", "comment": "请补齐记录。"}).status_code == 302
    db.expire_all()
    assert room.status == "returned"
    own = browser_for(make.user(units["branch_a"], roles=("supervisor",)))
    page = own.get(f"/classrooms/{room.slug}").get_data(as_text=True)
    assert "请补齐记录。" in page and "记录缺页" in page and "加权得分 62.5" in page
    assert "重新申报" in page
    # returned classrooms are for their own line only
    assert browser_for(make.user(units["branch_c"])).get(
        f"/classrooms/{room.slug}").status_code == 404
