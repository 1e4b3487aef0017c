"""Classrooms: applying, peer acceptance (推磨式验收), sessions, code check-in, attendance."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from lms.auth.session import passwords
from lms.domain import clock
from lms.domain.classrooms import checkins
from lms.domain.classrooms import lifecycle as rooms
from lms.domain.learning import completion, points, profile
from lms.domain.org.policy import PermissionDenied
from lms.models import Attendance, AuditEvent, Classroom, ClassSession

NOW = datetime(2026, 11, 20, 10, 0)  # 18:00 in Shanghai
CODE = re.compile(r'<p class="checkin-code"[^>]*>((?:<span>[A-Z0-9]</span>){6})</p>')
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def units(make):
    """city → county a/b → station a/b → branch a/b."""
    return make.tree()


@pytest.fixture
def room(make, units, db):
    """An accepted classroom run by branch a."""
    kind = make.classroom_type("组织生活“样板课堂”", key="model")
    return make.classroom("“三会一课”示范观摩", kind, units["branch_a"], status="accepted")


def scheduled(db, make, room, units, starts_at=NOW + timedelta(minutes=30), topic="主题党日"):
    """A session of `room` (given in UTC) and its open check-in code."""
    trainer = make.user(units["branch_a"], roles=("trainer",))
    local = clock.to_local(starts_at, "Asia/Shanghai").replace(tzinfo=None)
    session = rooms.schedule(db, trainer, room, local, topic, None, "Asia/Shanghai")
    code = checkins.open_checkin(db, trainer, session, passwords().hash_code, NOW)
    db.commit()
    return session, code


def attendance_count(db, session) -> int:
    return db.scalar(select(func.count()).select_from(Attendance)
                     .where(Attendance.session_id == session.id))


# Applying and peer acceptance.

def test_a_branch_secretary_applies_and_a_peer_unit_accepts(make, units, db, browser_for):
    kind = make.classroom_type("党员教育“实境课堂”", key="onsite")
    secretary = make.user(units["branch_a"], roles=("supervisor",))
    response = browser_for(secretary).post("/classrooms/apply", data={
        "type": "onsite", "title": "英烈纪念设施现场教学", "description": "现场重温入党誓词。"})
    assert response.status_code == 302
    room = db.scalar(select(Classroom).where(Classroom.title == "英烈纪念设施现场教学"))
    assert (room.status, room.unit_id, room.type_id) == ("applied", units["branch_a"].id, kind.id)
    assert response.headers["Location"] == f"/classrooms/{room.slug}"

    peer = make.user(units["branch_b"], roles=("supervisor",))
    page = browser_for(peer).get(f"/classrooms/{room.slug}").get_data(as_text=True)
    assert "验收通过" in page
    assert browser_for(peer).post(f"/classrooms/{room.slug}/accept").status_code == 302
    db.expire_all()
    assert (room.status, room.accepted_by_unit_id, room.accepted_at) == (
        "accepted", units["branch_b"].id, NOW)
    actions = db.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.target)
                         .order_by(AuditEvent.id)).all()
    assert [a for a in actions if a[0].startswith("classroom_")] == [
        ("classroom_applied", secretary.id, room.slug),
        ("classroom_accepted", peer.id, room.slug)]


@pytest.mark.parametrize("where", ["branch_a", "station_a", "county_a", "city", "below"])
def test_acceptance_from_the_applicants_own_line_is_refused(make, units, db, browser_for,
                                                            where):
    room = make.classroom(unit=units["branch_a"], status="applied")
    unit = (make.unit("第一党小组", "branch", units["branch_a"]) if where == "below"
            else units[where])
    inspector = make.user(unit, roles=("supervisor", "trainer"))
    page = browser_for(inspector).get(f"/classrooms/{room.slug}").get_data(as_text=True)
    assert "验收通过" not in page
    assert browser_for(inspector).post(f"/classrooms/{room.slug}/accept").status_code == 403
    db.expire_all()
    assert (room.status, room.accepted_by_unit_id) == ("applied", None)


@pytest.mark.parametrize("where, roles", [("county_b", ("trainer",)),
                                          ("station_b", ("supervisor",))])
def test_any_peer_supervisor_or_trainer_may_accept(make, units, db, where, roles):
    room = make.classroom(unit=units["branch_a"], status="applied")
    rooms.accept(db, make.user(units[where], roles=roles), room, NOW)
    db.commit()
    assert (room.status, room.accepted_by_unit_id) == ("accepted", units[where].id)


def test_a_plain_officer_may_neither_apply_nor_accept(make, units, db, browser_for):
    make.classroom_type(key="model")
    room = make.classroom(unit=units["branch_a"], status="applied")
    officer = browser_for(make.user(units["branch_b"]))
    assert officer.get("/classrooms/apply").status_code == 403
    applying = officer.post("/classrooms/apply", data={"type": "model", "title": "x"})
    assert applying.status_code == 403
    assert officer.post(f"/classrooms/{room.slug}/accept").status_code == 403


def test_an_accepted_classroom_is_not_accepted_twice(make, units, db):
    room = make.classroom(unit=units["branch_a"], status="applied")
    rooms.accept(db, make.user(units["branch_b"], roles=("supervisor",)), room, NOW)
    db.commit()
    with pytest.raises(PermissionDenied):
        rooms.accept(db, make.user(units["county_b"], roles=("trainer",)), room, NOW)


def test_sessions_wait_for_acceptance(make, units, db, browser_for):
    room = make.classroom(unit=units["branch_a"], status="applied")
    trainer = browser_for(make.user(units["branch_a"], roles=("trainer",)))
    response = trainer.post(f"/classrooms/{room.slug}/sessions",
                            data={"starts_at": "2026-11-20T19:30", "topic": "党课"})
    assert response.status_code == 403


# Sessions and the check-in code.

def test_the_running_unit_schedules_in_shanghai_time_and_opens_check_in(
        make, units, db, room, browser_for):
    cw = make.courseware("如何规范开展“三会一课”")
    trainer = browser_for(make.user(units["branch_a"], roles=("trainer",)))
    response = trainer.post(f"/classrooms/{room.slug}/sessions", data={
        "starts_at": "2026-11-20T18:30", "topic": "学习党章", "courseware": cw.slug})
    assert response.status_code == 302
    session = db.scalar(select(ClassSession))
    assert (session.starts_at, session.topic, session.courseware_id) == (
        datetime(2026, 11, 20, 10, 30), "学习党章", cw.id)

    page = trainer.post(f"/classrooms/sessions/{session.id}/code").get_data(as_text=True)
    code = "".join(re.findall(r"<span>(.)</span>", CODE.search(page).group(1)))
    assert set(code) <= set(checkins.CODE_ALPHABET) and len(code) == 6
    db.expire_all()
    assert session.checkin_closes_at == datetime(2026, 11, 20, 12, 30)  # starts_at + 2 h
    assert "20:30 前有效" in page


def test_only_the_running_units_supervisors_and_trainers_open_check_in(
        make, units, db, room, browser_for):
    session, _ = scheduled(db, make, room, units)
    for outsider in (make.user(units["branch_a"]),  # an officer of the unit
                     make.user(units["branch_b"], roles=("trainer",))):
        assert browser_for(outsider).post(
            f"/classrooms/sessions/{session.id}/code").status_code == 403
    secretary = make.user(units["branch_a"], roles=("supervisor",))
    assert browser_for(secretary).post(
        f"/classrooms/sessions/{session.id}/code").status_code == 200


@pytest.mark.parametrize("starts_in, refusal", [
    (timedelta(hours=1, minutes=1), "活动开始前 1 小时内才能开启签到"),
    (-timedelta(hours=2), "本次活动的签到时间已过")])
def test_check_in_opens_from_an_hour_before_until_two_hours_after_the_start(
        make, units, db, room, browser_for, starts_in, refusal):
    trainer = make.user(units["branch_a"], roles=("trainer",))
    local = clock.to_local(NOW + starts_in, "Asia/Shanghai").replace(tzinfo=None)
    session = rooms.schedule(db, trainer, room, local, "党课", None, "Asia/Shanghai")
    db.commit()
    response = browser_for(trainer).post(f"/classrooms/sessions/{session.id}/code",
                                         follow_redirects=True)
    assert refusal in response.get_data(as_text=True)
    assert 'class="checkin-code"' not in response.get_data(as_text=True)
    db.expire_all()
    assert session.checkin_code_hash is None


def test_the_code_is_never_stored_in_clear(make, units, db, room):
    session, code = scheduled(db, make, room, units)
    stored = db.execute(text("SELECT checkin_code_hash FROM lms_class_session")).scalar()
    assert stored and code not in stored and code.lower() not in stored
    assert stored == passwords().hash_code(code).removeprefix("hmac$")
    for table in ("lms_class_session", "lms_audit_event"):
        dump = repr(db.execute(text(f"SELECT * FROM {table}")).all())
        assert code not in dump


def test_reopening_check_in_retires_the_old_code(make, units, db, room, client, login):
    session, old = scheduled(db, make, room, units)
    trainer = make.user(units["branch_a"], roles=("trainer",))
    new = checkins.open_checkin(db, trainer, session, passwords().hash_code, NOW)
    db.commit()
    login(make.user(units["branch_b"]).police_no)
    assert client.post("/classrooms/checkin", data={"code": old}).status_code == 400
    assert client.post("/classrooms/checkin", data={"code": new}).status_code == 200


# Checking in.

def test_check_in_records_attendance_completion_and_points_once(make, units, db, room, client,
                                                                login):
    session, code = scheduled(db, make, room, units, topic="学习党章")
    officer = make.user(units["branch_b"])
    login(officer.police_no)
    first = client.post("/classrooms/checkin", data={"code": code.lower()[:3] + " " + code[3:]})
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "签到成功" in page and "学习党章" in page and "党建积分 +3" in page
    again = client.post("/classrooms/checkin", data={"code": code}).get_data(as_text=True)
    assert "您已签到过" in again and "+3" not in again
    db.expire_all()
    assert attendance_count(db, session) == 1
    row = completion.get(db, officer.id, "session", session.id)
    assert (row.status, row.first_completed_at) == ("completed", NOW)
    assert points.total(db, officer.id) == 3
    assert [(p.rule, p.source_type, p.source_id) for p in points.history(db, officer.id)] == [
        ("session_attended", "session", session.id)]


def test_check_in_twice_in_the_domain_counts_once(make, units, db, room):
    session, code = scheduled(db, make, room, units)
    officer = make.user(units["branch_b"])
    rules = {"session_attended": 3}
    outcomes = [checkins.check_in(db, officer, code, passwords().hash_code, NOW, rules).status
                for _ in range(2)]
    db.commit()
    assert outcomes == ["ok", "already"]
    assert attendance_count(db, session) == 1 and points.total(db, officer.id) == 3


def test_an_expired_code_is_refused(make, units, db, room, client, login, frozen_clock):
    session, code = scheduled(db, make, room, units, topic="学习党章")
    frozen_clock.set(session.checkin_closes_at)
    login(make.user(units["branch_b"]).police_no)  # a session started earlier would be idle
    response = client.post("/classrooms/checkin", data={"code": code})
    assert response.status_code == 400
    assert "“学习党章”的签到已截止" in response.get_data(as_text=True)
    assert attendance_count(db, session) == 0


def test_a_wrong_code_is_refused(make, units, db, room, client, login):
    session, code = scheduled(db, make, room, units)
    login(make.user(units["branch_b"]).police_no)
    wrong = next(c for c in ("AAAAAA", "BBBBBB") if c != code)
    for attempt in (wrong, "0O1IL", "字"):
        response = client.post("/classrooms/checkin", data={"code": attempt})
        assert response.status_code == 400
        assert "签到码不正确" in response.get_data(as_text=True)
    assert attendance_count(db, session) == 0


def test_guessing_is_limited_per_officer(make, units, db, room, browser_for):
    session, code = scheduled(db, make, room, units)
    guesser = browser_for(make.user(units["branch_b"]))
    wrong = next(c for c in ("AAAAAA", "BBBBBB") if c != code)
    for _ in range(10):
        assert guesser.post("/classrooms/checkin", data={"code": wrong}).status_code == 400
    blocked = guesser.post("/classrooms/checkin", data={"code": code})
    assert blocked.status_code == 429 and "错误次数过多" in blocked.get_data(as_text=True)
    assert attendance_count(db, session) == 0
    colleague = browser_for(make.user(units["branch_b"]))
    assert colleague.post("/classrooms/checkin", data={"code": code}).status_code == 200


def test_the_check_in_page_is_phone_first(make, client, login):
    login(make.user().police_no)
    page = client.get("/classrooms/checkin").get_data(as_text=True)
    assert 'autocapitalize="characters"' in page and 'autocomplete="one-time-code"' in page


# The classroom page and the profile.

def test_attendee_names_only_for_those_whose_scope_holds_the_unit(make, units, db, room,
                                                                  browser_for):
    session, code = scheduled(db, make, room, units)
    attendee = make.user(units["branch_b"], name="王晓东")
    checkins.check_in(db, attendee, code, passwords().hash_code, NOW, {})
    db.commit()
    visible = [make.user(units["branch_a"], roles=("supervisor",)),
               make.user(units["county_a"], roles=("supervisor",)),
               make.user(units["city"], roles=("admin",))]
    hidden = [make.user(units["branch_b"]),  # even the attendee's colleague
              make.user(units["branch_a"]),  # an officer of the running unit
              make.user(units["branch_a"], roles=("trainer",)),
              make.user(units["county_b"], roles=("supervisor",))]
    for viewer in visible + hidden:
        page = browser_for(viewer).get(f"/classrooms/{room.slug}").get_data(as_text=True)
        assert re.search(r"<strong>1</strong> 人签到", page)
        assert ("王晓东" in page) == (viewer in visible), viewer.unit.code


def test_the_classroom_list_links_to_each_classroom(make, units, room, client, login):
    login(make.user(units["branch_a"], roles=("supervisor",)).police_no)
    page = client.get("/classrooms").get_data(as_text=True)
    assert f'href="/classrooms/{room.slug}"' in page
    assert 'href="/classrooms/checkin"' in page and 'href="/classrooms/apply"' in page


def test_the_profile_shows_attendance(make, units, db, room, client, login):
    session, code = scheduled(db, make, room, units, topic="学习党章")
    officer = make.user(units["branch_b"])
    checkins.check_in(db, officer, code, passwords().hash_code, NOW, {"session_attended": 3})
    db.commit()
    lines = profile.build(db, officer, NOW).attendance
    assert [(a.topic, a.classroom_title, a.starts_at) for a in lines] == [
        ("学习党章", "“三会一课”示范观摩", session.starts_at)]
    login(officer.police_no)
    page = client.get("/profile").get_data(as_text=True)
    section = page[page.index("课堂签到</h2>"):page.index("积分明细")]
    assert "学习党章" in section and "“三会一课”示范观摩" in section
    assert "2026-11-20" in section
