"""Classroom figures and study hours on the supervisor's dashboard and in the 通报, in real
Chromium at desktop size."""
from datetime import datetime

import pytest
from factories import Factory

from lms.domain.learning import completion
from lms.models import Attendance, ClassSession

DESKTOP = {"width": 1366, "height": 900}
NOW = datetime(2026, 11, 18, 2, 0)


@pytest.fixture
def supervisor(db, make, frozen_clock):
    """A bureau whose branch A held two sessions of an accepted classroom; its supervisor."""
    t = make.tree()
    busy, light = make.user(t["branch_a"]), make.user(t["branch_a"])
    make.user(t["branch_b"])
    room = make.classroom(unit=t["branch_a"])
    room.accepted_at = datetime(2026, 10, 1)
    sessions = [ClassSession(classroom_id=room.id, starts_at=datetime(2026, 11, d, 1),
                             topic=f"党课{d}", duration_minutes=660) for d in (3, 10)]
    db.add_all(sessions)
    db.flush()
    db.add_all([Attendance(session_id=sessions[0].id, user_id=busy.id),
                Attendance(session_id=sessions[0].id, user_id=light.id),
                Attendance(session_id=sessions[1].id, user_id=busy.id)])
    for s in sessions:
        completion.mark_completed(db, busy.id, "session", s.id, datetime(2026, 11, 12))
    completion.mark_completed(db, light.id, "session", sessions[0].id, datetime(2026, 11, 12))
    db.commit()
    return make.user(t["city"], roles=("supervisor",)).police_no


def test_dashboard_and_tongbao_show_classrooms_and_hours(page, server_url, sign_in, shot,
                                                         supervisor):
    page.set_viewport_size(DESKTOP)
    sign_in(supervisor, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/supervise/?unit=SZ&period=2026Q4")
    table = page.locator("table.sv-activity")
    row = table.locator("tbody tr", has_text="A县公安局")
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == [
        "A县公安局", "2", "2", "75.0%", "1", "16.5", "50.0%"]
    table.scroll_into_view_if_needed()
    shot("hours-dashboard-desktop")
    page.goto(f"{server_url}/supervise/tongbao?unit=SZ&period=2026Q4")
    branch = page.locator(".tb-activity tbody tr", has_text="A派出所党支部")
    cells = [c.strip() for c in branch.locator("td").all_inner_texts()]
    assert cells == ["A派出所党支部", "2", "2", "75.0%", "1", "16.5", "50.0%"]
    assert "人均学时11.0" in page.inner_text(".tb-sheet")
    shot("hours-tongbao-desktop")
