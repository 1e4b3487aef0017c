"""Study hours (学时) and classroom activity per unit: worth per item type from the config,
the profile, the API, the supervisor dashboard, the 通报 and their exports agreeing."""
from datetime import datetime

import pytest
from factories import Factory

from lms.domain.learning import completion, hours
from lms.domain.reports import inspection, periods, unitactivity
from lms.models import Attendance, ClassSession

NOW = datetime(2026, 11, 18, 2, 0)  # 21.1 h of the 24 h target are due by now (88 %)
TZ = "Asia/Shanghai"
Q4 = periods.parse("2026Q4", TZ)






@pytest.fixture
def bureau(db, make, frozen_clock):
    """Branch A: officer `busy` (22 h this year) and `light` (2.75 h: one of each type), an
    accepted classroom with two sessions held and one to come; branch B: one officer, a
    classroom only applied for."""
    t = make.tree()
    busy, light = make.user(t["branch_a"]), make.user(t["branch_a"])
    make.user(t["branch_b"])
    room = make.classroom(unit=t["branch_a"])
    room.accepted_at = datetime(2026, 10, 1)
    make.classroom(unit=t["branch_b"], status="applied")
    lesson = make.lesson(due_at=datetime(2026, 11, 1), publish_at=datetime(2026, 10, 25))
    item = make.courseware(estimated_minutes=30)
    held = [ClassSession(classroom_id=room.id, starts_at=datetime(2026, 11, d, 1),
                         topic=f"党课{d}", duration_minutes=120) for d in (3, 10)]
    to_come = ClassSession(classroom_id=room.id, starts_at=datetime(2026, 11, 25, 1),
                           topic="下周党课", duration_minutes=120)
    long_day = ClassSession(classroom_id=room.id, starts_at=datetime(2026, 6, 1, 1),
                            topic="党性教育基地", duration_minutes=19 * 60 + 45)
    db.add_all([*held, to_come, long_day])
    db.flush()
    db.add_all([Attendance(session_id=held[0].id, user_id=busy.id),
                Attendance(session_id=held[0].id, user_id=light.id),
                Attendance(session_id=held[1].id, user_id=busy.id)])
    at = datetime(2026, 11, 12)
    completion.mark_completed(db, light.id, "lesson", lesson.id, at)
    completion.mark_completed(db, light.id, "courseware", item.id, at)
    completion.mark_completed(db, light.id, "session", held[0].id, at)
    completion.mark_completed(db, light.id, "session", to_come.id, datetime(2025, 12, 1))
    for session in (held[0], held[1], long_day):  # 2 + 2 + 19.75 - 1.75 below
        completion.mark_completed(db, busy.id, "session", session.id, at)
    completion.mark_completed(db, busy.id, "courseware", item.id, datetime(2025, 6, 1))
    db.commit()
    return {"tree": t, "busy": busy, "light": light, "lesson": lesson}


def test_hours_add_up_per_item_type(db, bureau):
    year = hours.of_user(db, bureau["light"].id, hours.DEFAULT_RULE, NOW, TZ)
    assert year.by_type == {"lesson": 0.25, "courseware": 0.5, "session": 2.0}
    assert (year.hours, year.target) == (2.75, 24.0)  # last year's completion not counted
    assert year.expected == pytest.approx(21.13, abs=0.01) and not year.on_track
    busy = hours.of_user(db, bureau["busy"].id, hours.DEFAULT_RULE, NOW, TZ)
    assert busy.hours == 23.75 and busy.on_track


def test_the_worth_of_each_type_is_configuration(app, db, bureau, browser_for, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_HOURS", {"lesson": 1, "courseware": 0.5,
                                                   "session": 1.5})
    monkeypatch.setitem(app.config, "LMS_HOURS_TARGET", 30)
    body = api_profile(browser_for, bureau["light"])
    assert (body["hours"], body["hours_target"]) == (3.0, 30)
    with pytest.raises(ValueError):
        hours.rule_from({"lesson": "estimated"}, 24)


def api_profile(browser_for, user):
    client = browser_for(user)
    token = client.post("/api/v1/auth/token", json={"police_no": user.police_no,
                                                   "password": Factory.PASSWORD}).json["token"]
    response = client.get("/api/v1/me/profile", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.json


def test_profile_and_api_show_hours_against_the_target(db, bureau, browser_for):
    body = api_profile(browser_for, bureau["light"])
    assert (body["hours"], body["hours_target"]) == (2.75, 24)
    page = browser_for(bureau["light"]).get("/profile").get_data(as_text=True)
    assert "2.75" in page and "年度目标学时" in page and "进度落后" in page


def test_units_figures_agree_between_dashboard_and_tongbao(db, bureau):
    t = bureau["tree"]
    by_child = unitactivity.by_child(db, t["station_a"], Q4, NOW, hours.DEFAULT_RULE, TZ)
    ins = inspection.inspection(db, t["city"], Q4, NOW, rule=hours.DEFAULT_RULE, tz=TZ)
    row = next(r for r in ins.rows if r.unit.code == "BA")
    assert by_child[t["branch_a"].id] == row.activity
    a = row.activity
    assert (a.members, a.sessions, a.places, a.attended, a.accepted) == (2, 2, 4, 3, 1)
    assert a.attendance_rate == 0.75  # the session to come is not held yet
    assert a.hours_per_member == pytest.approx((23.75 + 2.75) / 2)
    assert a.on_track_share == 0.5
    other = next(r for r in ins.rows if r.unit.code == "BB").activity
    assert (other.members, other.sessions, other.accepted, other.on_track) == (1, 0, 0, 0)
    assert ins.activity == a + other  # the total is the sum of its rows
    county = unitactivity.by_child(db, t["city"], Q4, NOW, hours.DEFAULT_RULE, TZ)
    assert county[t["county_a"].id] == a


def test_dashboard_tongbao_and_exports_show_the_figures(db, bureau, make, browser_for):
    t = bureau["tree"]
    boss = browser_for(make.user(t["city"], roles=("supervisor",)))
    dashboard = boss.get("/supervise/?unit=SZ&period=2026Q4").get_data(as_text=True)
    tongbao = boss.get("/supervise/tongbao?unit=SZ&period=2026Q4").get_data(as_text=True)
    for page in (dashboard, tongbao):
        assert "人均学时" in page and "学时达标率" in page and "出勤率" in page
        assert "13.2" in page and "75.0%" in page and "50.0%" in page
    units = boss.get("/supervise/export/units.csv?unit=SZ&period=2026Q4")
    notice = boss.get("/supervise/export/tongbao.csv?unit=SZ&period=2026Q4")
    for csv in (units, notice):
        text = csv.data.decode("utf-8-sig")
        lines = text.splitlines()
        # A running quarter's 通报 opens with its "截至" line and a blank line.
        at = next(i for i, line in enumerate(lines) if line.startswith(("单位", "名次", "排名")))
        header, rows = lines[at], lines[at + 1:]
        assert "人均学时" in header and "学时达标率" in header and "验收课堂" in header
        line = next(r for r in rows if r.startswith(("A县公安局", "1,A派出所党支部")))
        assert "13.2" in line and "75.0%" in line and "50.0%" in line
    xlsx = boss.get("/supervise/export/tongbao.xlsx?unit=SZ&period=2026Q4")
    assert xlsx.status_code == 200


def test_the_officers_list_shows_each_officers_hours(db, bureau, make, browser_for):
    t = bureau["tree"]
    boss = browser_for(make.user(t["branch_a"], roles=("supervisor",)))
    page = boss.get("/supervise/?unit=BA&period=2026Q4").get_data(as_text=True)
    assert "本年学时" in page and "23.75" in page and "2.75" in page
    text = boss.get("/supervise/export/officers.csv?unit=BA&period=2026Q4").data.decode(
        "utf-8-sig")
    assert "本年学时" in text and "23.8" in text and "落后" in text
