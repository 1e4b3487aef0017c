"""The demo's year of classrooms: 63 of real demo units, five types, every state, with
inspections that keep the rules, sessions, attendance and ratings."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from lms.domain.org import policy
from lms.models import (
    Attendance,
    ChecklistItem,
    ChecklistScore,
    Classroom,
    ClassroomReview,
    ClassroomType,
    ClassSession,
    Completion,
    SessionRating,
    Unit,
    User,
)
from lms.paths import COURSES_DIR


@pytest.fixture
def built(runner, db):
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output
    return db


def test_the_year_has_63_classrooms_of_demo_units_in_every_state(built):
    db = built
    rooms = db.scalars(select(Classroom).where(Classroom.unit_id.is_not(None))).all()
    assert len(rooms) == 63
    kinds = Counter(db.get(ClassroomType, room.type_id).key for room in rooms)
    assert set(kinds) == {"model", "onsite", "ideology", "expert", "mobile"}
    assert Counter(room.status for room in rooms).keys() == {
        "applied", "returned", "accepted", "retired"}
    assert len({room.title for room in rooms}) == 63
    units = {unit.id: unit for unit in db.scalars(select(Unit))}
    assert all(units[room.unit_id].depth >= 1 for room in rooms)
    for kind in db.scalars(select(ClassroomType)):
        assert db.scalar(select(func.count()).select_from(ChecklistItem)
                         .where(ChecklistItem.type_id == kind.id)) >= 3


def test_every_decision_came_from_another_county_and_returned_ones_have_comments(built):
    db = built
    reviews = db.scalars(select(ClassroomReview).order_by(ClassroomReview.decided_at)).all()
    assert reviews
    for review in reviews:
        room = db.get(Classroom, review.classroom_id)
        assert review.inspector_county_id != review.applicant_county_id
        assert policy.county_id(db.get(Unit, room.unit_id)) == review.applicant_county_id
        inspector = db.get(User, review.inspector_id)
        assert policy.county_id(inspector.unit) == review.inspector_county_id
        assert db.scalar(select(func.count()).select_from(ChecklistScore).where(
            ChecklistScore.classroom_id == room.id, ChecklistScore.round == review.round)) > 0
        if review.decision == "returned":
            assert review.comment
    last = {}  # 推磨: a county's classrooms are never inspected by the same county twice running
    for review in reviews:
        assert last.get(review.applicant_county_id) != review.inspector_county_id
        last[review.applicant_county_id] = review.inspector_county_id
    returned = db.scalars(select(Classroom).where(Classroom.status == "returned")).all()
    assert returned and all(
        db.scalar(select(ClassroomReview.decision).where(
            ClassroomReview.classroom_id == room.id, ClassroomReview.round == room.round))
        == "returned" for room in returned)


def test_sessions_through_the_year_with_attendance_lecturers_and_ratings(built):
    db = built
    sessions = db.scalars(select(ClassSession)).all()
    months = {(s.starts_at.year, s.starts_at.month) for s in sessions}
    assert len(months) >= 8
    kinds = Counter(s.kind for s in sessions)
    assert kinds["regular"] and kinds["listening"]
    for session in sessions:
        room = db.get(Classroom, session.classroom_id)
        assert room.status in ("accepted", "retired") and session.lecturer_id
        assert session.starts_at >= room.accepted_at
    attended = db.scalar(select(func.count()).select_from(Attendance))
    assert attended > 300
    assert db.scalar(select(func.count()).select_from(Completion)
                     .where(Completion.item_type == "session")) == attended
    for rating in db.scalars(select(SessionRating)):
        assert db.scalar(select(Attendance.id).where(
            Attendance.session_id == rating.session_id,
            Attendance.user_id == rating.user_id)) is not None
        assert 1 <= rating.score <= 5
