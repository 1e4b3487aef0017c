"""Notifications: stored once per (user, key); the inbox shows only your own; mark read."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.domain.reminders import inbox
from lms.models import Notification

NOW = datetime(2026, 11, 18, 2, 0)


pytestmark = pytest.mark.usefixtures("frozen_clock")


def send(db, users, key="k1", title="本周微课已发布", body="请按时完成。", link="/lessons/1",
         at=NOW):
    created = inbox.notify(db, [u.id for u in users], "lesson_new", title, body, link,
                                   key, at=at)
    db.commit()
    return created


def test_notify_stores_one_row_per_user_and_returns_them(db, make):
    alice, bob = make.user(), make.user()
    created = send(db, [alice, bob])
    assert sorted(n.user_id for n in created) == sorted([alice.id, bob.id])
    assert all(n.id and n.read_at is None and n.created_at == NOW for n in created)


def test_the_same_key_never_makes_a_second_notification(db, make):
    alice, bob = make.user(), make.user()
    send(db, [alice])
    again = send(db, [alice, bob])
    assert [n.user_id for n in again] == [bob.id]  # only the newly created one comes back
    assert send(db, [alice, bob]) == []
    assert db.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_different_key_is_a_new_notification(db, make):
    alice = make.user()
    send(db, [alice], key="overdue-branch:1:2:0")
    assert len(send(db, [alice], key="overdue-branch:1:2:1")) == 1


def test_the_inbox_is_newest_first_and_only_mine(db, make):
    alice, bob = make.user(), make.user()
    send(db, [alice], key="old", title="旧消息", at=NOW - timedelta(days=2))
    send(db, [alice], key="new", title="新消息")
    send(db, [bob], key="bobs", title="别人的消息")
    page = inbox.inbox(db, alice.id)
    assert [n.title for n in page.items] == ["新消息", "旧消息"]
    assert page.unread == 2 and not page.has_more


def test_the_inbox_pages(db, make):
    alice = make.user()
    for i in range(5):
        send(db, [alice], key=f"k{i}", title=f"消息{i}", at=NOW + timedelta(minutes=i))
    first = inbox.inbox(db, alice.id, per_page=2)
    third = inbox.inbox(db, alice.id, page=3, per_page=2)
    assert [n.title for n in first.items] == ["消息4", "消息3"] and first.has_more
    assert [n.title for n in third.items] == ["消息0"] and not third.has_more


def test_mark_read_keeps_the_first_read_time_and_refuses_other_users(db, make):
    alice, bob = make.user(), make.user()
    (note,) = send(db, [alice])
    inbox.mark_read(db, alice.id, note.id, NOW)
    inbox.mark_read(db, alice.id, note.id, NOW + timedelta(hours=1))
    assert note.read_at == NOW
    with pytest.raises(inbox.NotificationNotFound):
        inbox.mark_read(db, bob.id, note.id, NOW)


def test_mark_all_read_touches_only_my_unread(db, make):
    alice, bob = make.user(), make.user()
    send(db, [alice, bob], key="a")
    send(db, [alice], key="b")
    assert inbox.mark_all_read(db, alice.id, NOW) == 2
    db.commit()
    assert inbox.unread_count(db, alice.id) == 0
    assert inbox.unread_count(db, bob.id) == 1


# The inbox in the browser.

@pytest.fixture
def alice(make, login):
    user = make.user(name="王小丽")
    login(user.police_no)
    return user


def test_the_page_shows_my_notifications_with_the_unread_count(client, db, make, alice):
    bob = make.user()
    send(db, [alice], key="read", title="已读的消息")
    inbox.mark_read(db, alice.id, db.scalar(select(Notification.id)), NOW)
    db.commit()
    send(db, [alice], key="unread", title="未读的消息", body="第一行\n第二行")
    send(db, [bob], key="bobs", title="别人的消息")
    page = client.get("/notifications").get_data(as_text=True)
    assert "未读的消息" in page and "已读的消息" in page and "别人的消息" not in page
    assert "1 条未读" in page
    assert page.index("未读的消息") < page.index("已读的消息")
    assert re.search(r'class="card notification unread"[^>]*>\s*<h2[^>]*>\s*'
                     r'<span class="badge warn">未读</span>\s*未读的消息', page)
    assert "<p>第一行</p><p>第二行</p>" in page


def test_the_navigation_links_to_the_inbox(client, alice):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<a href="/notifications"[^>]*>消息</a>', page)


def test_mark_one_read(client, db, alice):
    (note,) = send(db, [alice])
    response = client.post(f"/notifications/{note.id}/read")
    assert response.status_code == 302 and response.location.endswith("/notifications?page=1")
    db.expire_all()
    assert db.get(Notification, note.id).read_at == NOW
    assert "条未读" not in client.get("/notifications").get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(client, db, alice):
    (note,) = send(db, [alice], link="/lessons/7")
    response = client.post(f"/notifications/{note.id}/read", data={"open": "1"})
    assert response.location.endswith("/lessons/7")
    db.expire_all()
    assert db.get(Notification, note.id).read_at == NOW


def test_someone_elses_notification_is_not_found(client, db, make, alice):
    (theirs,) = send(db, [make.user()])
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    db.expire_all()
    assert db.get(Notification, theirs.id).read_at is None


def test_mark_all_read(client, db, make, alice):
    bob = make.user()
    send(db, [alice, bob], key="a")
    send(db, [alice], key="b")
    assert client.post("/notifications/read").status_code == 302
    assert inbox.unread_count(db, alice.id) == 0
    assert inbox.unread_count(db, bob.id) == 1


def test_marking_read_needs_a_csrf_token(client, db, alice, csrf_on):
    (note,) = send(db, [alice])
    assert client.post(f"/notifications/{note.id}/read").status_code == 400
    assert client.post("/notifications/read").status_code == 400
    page = client.get("/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    assert inbox.unread_count(db, alice.id) == 0


def test_the_inbox_needs_a_login(client):
    response = client.get("/notifications")
    assert response.status_code in (302, 401)


def test_an_empty_inbox_says_so(client, alice):
    assert "暂时没有消息" in client.get("/notifications").get_data(as_text=True)
