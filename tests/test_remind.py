"""The not-yet-done list grouped by person (sortable, filtered by unit) and "提醒所选人员":
one notification per selected officer per day, audited, only within the supervisor's subtree."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from lms.models import AuditEvent, Notification, NotificationDelivery

# Tuesday of ISO week 49, 10:00 in Shanghai.
NOW = datetime(2026, 12, 1, 2, 0)


@pytest.fixture
def county(db, make):
    t = make.tree()
    people = {
        "a1": make.user(t["branch_a"], name="张一"), "a2": make.user(t["branch_a"], name="李二"),
        "sa": make.user(t["station_a"], name="王三"), "b1": make.user(t["branch_b"], name="赵四"),
        "boss": make.user(t["county_a"], roles=("supervisor",)),
    }
    lessons = [make.lesson_due(datetime(2026, 11, day, 23, 59)) for day in (15, 22, 29)]
    for lesson in lessons[:2]:
        make.completion(people["a1"], lesson, lesson.due_at)
    make.completion(people["a2"], lessons[0], lessons[0].due_at)
    return t, people, lessons


def rows_of(html):
    """Police numbers in the grouped table, in order."""
    body = html.split('<tbody>')[1].split('</tbody>')[0]
    return [part.split("</code>")[0] for part in body.split("<code>")[1:]]


def test_one_row_per_person_with_lessons_owed_and_days_overdue(db, client, login, county,
                                                              frozen_clock):
    t, p, lessons = county
    login(p["boss"].police_no)
    html = client.get("/supervise/pending?period=2026Q4").text
    assert "共 3 人未完成。" in html
    # 王三 owes all three (oldest due 15 Nov: 16 days), 李二 two (8 days), 张一 one (2 days).
    assert rows_of(html) == [p["sa"].police_no, p["a2"].police_no, p["a1"].police_no]
    assert p["b1"].police_no not in html  # another county
    assert ('data-label="未学（期）">3</td><td class="num" data-label="其中逾期">3</td>\n'
            '      <td class="num" data-label="逾期天数"><span class="badge">16</span>') in html
    issues = "、".join(f"第{lesson.issue_no}期" for lesson in lessons)
    assert f'<td data-label="未学期号">{issues}</td>' in html
    by_name = client.get("/supervise/pending?period=2026Q4&sort=owed&dir=asc").text
    assert rows_of(by_name) == [p["a1"].police_no, p["a2"].police_no, p["sa"].police_no]
    assert 'aria-sort="ascending"' in by_name
    branch = client.get("/supervise/pending?period=2026Q4&unit=BA").text
    assert rows_of(branch) == [p["a2"].police_no, p["a1"].police_no]
    assert '<option value="SA">' in html  # the unit filter offers the county's units
    detail = client.get("/supervise/pending?period=2026Q4&view=lessons").text
    assert "共 6 条未完成" in detail


def test_remind_selected_sends_once_per_person_per_day_and_is_audited(db, client, login,
                                                                      county, frozen_clock):
    t, p, lessons = county
    login(p["boss"].police_no)
    chosen = [p["a2"].id, p["sa"].id]
    response = client.post("/supervise/remind?period=2026Q4&unit=CA",
                           data={"user": [str(i) for i in chosen]}, follow_redirects=True)
    assert response.status_code == 200 and "已向 2 人发送提醒。" in response.text
    sent = db.scalars(select(Notification.user_id).where(Notification.kind == "nudge")).all()
    assert sorted(sent) == sorted(chosen)
    again = client.post("/supervise/remind?period=2026Q4&unit=CA",
                        data={"user": [str(p["a2"].id), str(p["a1"].id)]},
                        follow_redirects=True).text
    assert "已向 1 人发送提醒。" in again
    assert "李二 今天已提醒过（每人每天一次），未重复发送。" in again
    assert db.scalar(select(func.count()).select_from(Notification)
                     .where(Notification.kind == "nudge")) == 3
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "reminder_sent")
                        .order_by(AuditEvent.id)).all()
    assert [e.detail["already_today"] for e in events] == [[], [p["a2"].police_no]]
    assert events[0].actor_id == p["boss"].id
    # The next local day, a reminder may go again.
    frozen_clock.set(datetime(2026, 12, 1, 16, 5))  # 00:05 on 2 December in Shanghai
    login(p["boss"].police_no)  # a fresh sign-in: the idle limit has passed
    next_day = client.post("/supervise/remind?period=2026Q4&unit=CA",
                           data={"user": [str(p["a2"].id)]}, follow_redirects=True).text
    assert "已向 1 人发送提醒。" in next_day


def test_remind_goes_through_the_outbox_when_a_notifier_delivers(app, db, client, login,
                                                                 county, frozen_clock,
                                                                 monkeypatch):
    class Gateway:
        def send(self, message):
            pass
    monkeypatch.setattr(app.extensions["lms"], "notifier", Gateway())
    t, p, lessons = county
    login(p["boss"].police_no)
    client.post("/supervise/remind?period=2026Q4", data={"user": [str(p["sa"].id)]})
    assert db.scalar(select(func.count()).select_from(NotificationDelivery)) == 1


def test_remind_refuses_people_outside_the_subtree_and_plain_officers(db, client, login,
                                                                      county, frozen_clock):
    t, p, lessons = county
    login(p["boss"].police_no)
    page = client.post("/supervise/remind?period=2026Q4",
                       data={"user": [str(p["b1"].id), "999999"]}, follow_redirects=True).text
    assert "2 人不在您的管辖范围内或已停用，未发送。" in page
    assert db.scalar(select(func.count()).select_from(Notification)) == 0
    assert "请先勾选要提醒的人员。" in client.post(
        "/supervise/remind?period=2026Q4", follow_redirects=True).text
    # A unit outside the supervisor's scope is refused outright, as for every report.
    assert client.post("/supervise/remind?unit=CB", data={"user": [str(p["b1"].id)]}
                       ).status_code == 403
    client.get("/logout")
    login(p["a2"].police_no)
    assert client.post("/supervise/remind", data={"user": [str(p["a1"].id)]}
                       ).status_code == 403
    assert db.scalar(select(func.count()).select_from(Notification)) == 0
