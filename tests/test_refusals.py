"""A refused change leaves nothing behind: what the domain wrote before saying no is rolled
back with the request, so no later commit can carry it."""
from datetime import datetime, timedelta

from sqlalchemy import func, select

from lms.domain import clock
from lms.domain.classrooms import lifecycle
from lms.models import AuditEvent, ClassSession, User

NOW = datetime(2026, 11, 20, 10, 0)


def sign_in_someone_else(make, browser_for):
    """Another request that commits (a sign-in writes its audit event)."""
    browser_for(make.user())


def test_an_admin_removing_their_own_admin_role_changes_nothing(make, db, browser_for):
    admin = make.user(roles=("officer", "admin"))
    version = admin.session_version
    browser = browser_for(admin)
    response = browser.post(f"/admin/users/{admin.police_no}/roles",
                            data={"roles": ["officer", "trainer"]}, follow_redirects=True)
    assert "不能取消自己的管理员角色" in response.get_data(as_text=True)
    sign_in_someone_else(make, browser_for)
    db.expire_all()
    stored = db.get(User, admin.id)
    assert sorted(stored.roles) == ["admin", "officer"]
    assert stored.session_version == version
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "roles_changed")) == 0


def test_a_refused_session_schedule_leaves_no_session(make, db, browser_for, monkeypatch,
                                                      frozen_clock):
    units = make.tree()
    room = make.classroom(unit=units["branch_a"], status="accepted")
    trainer = make.user(units["branch_a"], roles=("trainer",))
    real_schedule = lifecycle.schedule

    def schedule_then_refuse(*args, **kwargs):
        # A rule that says no only after the domain has written (and flushed) its change.
        real_schedule(*args, **kwargs)
        raise lifecycle.ClassroomError("该时间已有活动")

    monkeypatch.setattr(lifecycle, "schedule", schedule_then_refuse)
    starts = clock.to_local(NOW + timedelta(days=1), "Asia/Shanghai").replace(tzinfo=None)
    response = browser_for(trainer).post(f"/classrooms/{room.slug}/sessions", data={
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "topic": "主题党日", "courseware": ""})
    assert response.status_code == 400
    assert "该时间已有活动" in response.get_data(as_text=True)
    sign_in_someone_else(make, browser_for)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ClassSession)) == 0
