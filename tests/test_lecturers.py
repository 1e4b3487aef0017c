"""Lecturers (党员讲师) and session ratings: once per officer, only after attending, within
7 days, anonymous to the lecturer; 集中听课 sessions of featured courseware."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.auth.session import passwords
from lms.domain.classrooms import checkins, lecturers
from lms.domain.classrooms import lifecycle as rooms
from lms.models import SessionRating

NOW = datetime(2026, 11, 20, 10, 0)  # 18:00 in Shanghai
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def units(make):
    return make.tree()


@pytest.fixture
def lecturer(make, units):
    return make.user(units["branch_a"], roles=("officer", "trainer"), name="孙讲师")


@pytest.fixture
def session(make, units, db, lecturer):
    """Tonight's session (18:30 local) taught by the lecturer, check-in open."""
    room = make.classroom("“三会一课”示范观摩", make.classroom_type(key="model"),
                          units["branch_a"], status="accepted")
    meeting = rooms.schedule(db, lecturer, room, datetime(2026, 11, 20, 18, 30), "主题党日",
                             None, "Asia/Shanghai")
    meeting.code = checkins.open_checkin(db, lecturer, meeting, passwords().hash_code, NOW)
    db.commit()
    return meeting


def attended(make, db, session, unit, name=None):
    officer = make.user(unit, name=name)
    assert checkins.check_in(db, officer, session.code, passwords().hash_code,
                             NOW).status == "ok"
    db.commit()
    return officer


def test_scheduling_records_the_lecturer(session, lecturer):
    assert (session.lecturer_id, session.kind) == (lecturer.id, "regular")


def test_one_rating_per_officer_per_session(make, units, db, session):
    officer = attended(make, db, session, units["branch_a"])
    lecturers.rate(db, officer, session, "5", "讲得好", NOW)
    db.commit()
    with pytest.raises(rooms.ClassroomError, match="已经评价"):
        lecturers.rate(db, officer, session, 1, "", NOW)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(SessionRating)) == 1
    assert db.scalar(select(SessionRating.score)) == 5


def test_only_after_attending_and_never_ones_own_session(make, units, db, session, lecturer):
    absent = make.user(units["branch_a"])
    with pytest.raises(rooms.ClassroomError, match="签到"):
        lecturers.rate(db, absent, session, 4, "", NOW)
    with pytest.raises(rooms.ClassroomError, match="自己"):
        lecturers.rate(db, lecturer, session, 5, "", NOW)
    assert db.scalar(select(func.count()).select_from(SessionRating)) == 0


@pytest.mark.parametrize("late, ok", [(timedelta(days=7), True),
                                      (timedelta(days=7, seconds=1), False)])
def test_within_seven_days_of_the_session(make, units, db, session, late, ok):
    officer = attended(make, db, session, units["branch_b"])
    when = session.starts_at + late
    assert lecturers.rating_open(db, officer, session, when) is ok
    if ok:
        lecturers.rate(db, officer, session, 3, "", when)
    else:
        with pytest.raises(rooms.ClassroomError, match="7 天"):
            lecturers.rate(db, officer, session, 3, "", when)


@pytest.mark.parametrize("score", [0, 6, "", "五", None])
def test_a_rating_is_one_to_five(make, units, db, session, score):
    officer = attended(make, db, session, units["branch_a"])
    with pytest.raises(rooms.ClassroomError, match="1 到 5"):
        lecturers.rate(db, officer, session, score, "", NOW)


def test_the_lecturer_sees_averages_never_who_rated_what(make, units, db, session, lecturer,
                                                        browser_for, frozen_clock):
    raters = [attended(make, db, session, units["branch_a"], name=name)
              for name in ("赵甲", "钱乙", "周丙")]
    own = browser_for(lecturer)
    lecturers.rate(db, raters[0], session, 5, "案例生动", NOW)
    db.commit()
    page = own.get(f"/lecturers/{lecturer.police_no}").get_data(as_text=True)
    assert "暂不显示平均分" in page and "案例生动" not in page  # one rating would show whose
    for rater, score in zip(raters[1:], (4, 3)):
        lecturers.rate(db, rater, session, score, "", NOW)
    db.commit()
    page = own.get(f"/lecturers/{lecturer.police_no}").get_data(as_text=True)
    assert "暂不显示平均分" in page  # figures wait until the 7 days to rate are over
    frozen_clock.set(session.starts_at + timedelta(days=7, minutes=1))
    own = browser_for(lecturer)  # signed in again: a week later the session has expired
    page = own.get(f"/lecturers/{lecturer.police_no}").get_data(as_text=True)
    assert "4.0" in page and "平均评分（3 人次）" in page and "案例生动" in page
    for rater in raters:
        assert rater.name not in page and rater.police_no not in page
    classroom_page = own.get(f"/classrooms/{session.classroom.slug}").get_data(as_text=True)
    assert "案例生动" not in classroom_page  # attendee names there, but no scores or comments
    other = browser_for(make.user(units["branch_b"]))
    public = other.get(f"/lecturers/{lecturer.police_no}").get_data(as_text=True)
    assert "4.0" in public and "案例生动" not in public


def test_the_profile_counts_sessions_and_courseware(make, units, db, session, lecturer,
                                                    browser_for):
    make.courseware("支部工作条例解读", lecturer="孙讲师", slug="tiaoli")
    page = browser_for(make.user()).get(f"/lecturers/{lecturer.police_no}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "支部工作条例解读" in text and "主题党日" in text
    assert browser_for(make.user()).get("/lecturers/nobody").status_code == 404


def test_rating_through_the_classroom_page(make, units, db, session, browser_for):
    officer = attended(make, db, session, units["branch_b"])
    client = browser_for(officer)
    page = client.get(f"/classrooms/{session.classroom.slug}").get_data(as_text=True)
    assert "评价本次活动" in page
    response = client.post(f"/classrooms/sessions/{session.id}/rating",
                           data={"score": "4", "comment": "很实在"})
    assert response.status_code == 302
    page = client.get(f"/classrooms/{session.classroom.slug}").get_data(as_text=True)
    assert "我的评价：4 分" in page and "提交评价" not in page


# 集中听课

def test_a_listening_session_plays_one_featured_item(make, units, db, lecturer, browser_for):
    room = make.classroom(type=make.classroom_type(), unit=units["branch_a"])
    plain = make.courseware("普通课件", slug="plain")
    featured = make.courseware("精品：党章学习", slug="dangzhang", featured=True,
                               body_md="第一章 党员")
    for item in (None, plain):
        with pytest.raises(rooms.ClassroomError, match="精品课件"):
            rooms.schedule(db, lecturer, room, datetime(2026, 11, 21, 19, 0), "集中听课",
                           item.slug if item else None, "Asia/Shanghai", kind="listening")
    meeting = rooms.schedule(db, lecturer, room, datetime(2026, 11, 21, 19, 0), "集中听课",
                             featured.slug, "Asia/Shanghai", kind="listening")
    db.commit()
    client = browser_for(make.user(units["branch_b"]))
    page = client.get(f"/classrooms/{room.slug}").get_data(as_text=True)
    assert "集中听课" in page and "播放课件" in page
    played = client.get(f"/classrooms/sessions/{meeting.id}/play").get_data(as_text=True)
    assert "精品：党章学习" in played and "第一章 党员" in played


def test_scheduling_a_listening_session_through_the_page(make, units, db, lecturer,
                                                         browser_for):
    room = make.classroom(type=make.classroom_type(), unit=units["branch_a"])
    make.courseware("精品：党章学习", slug="dangzhang", featured=True)
    response = browser_for(lecturer).post(f"/classrooms/{room.slug}/sessions", data={
        "starts_at": "2026-11-21T19:00", "topic": "精品课件集中听课", "kind": "listening",
        "courseware": "dangzhang"})
    assert response.status_code == 302
    meeting = rooms.detail(db, lecturer, room, NOW).sessions[0]
    assert (meeting.kind, meeting.courseware_slug, meeting.lecturer_id) == (
        "listening", "dangzhang", lecturer.id)
