"""The lesson's hot reads (issue 15): the API's `GET /api/v1/lessons/<id>` checks the token,
the lesson's visibility and the officer's open attempt in one statement, and the HTML page
reads its standing and unread count the same way. The same refusals hold as everywhere
else, and a fetch that only reuses its attempt writes nothing."""
import re
from datetime import timedelta

import pytest
from factories import bearer
from sqlalchemy import event, func, select, update

from lms.domain.reminders import inbox
from lms.models import ApiToken, Attempt, User, utcnow
from lms.web import db_session


class Statements:
    """The SQL the app sends while counting, and its COMMITs."""

    def __init__(self, app):
        self.engine = app.extensions["lms"].db.engine
        self.sql, self.commits = [], 0

    def _statement(self, _conn, _cursor, statement, *_args):
        self.sql.append(statement)

    def _commit(self, _conn):
        self.commits += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    @property
    def reads(self) -> list[str]:
        """What the request asked beside the lesson's shared view: on PostgreSQL the view is
        cached per worker; SQLite has no row versions to key it by, so there it is read
        (lesson, quiz, questions) on every request (`lessonview`)."""
        shared = ("SELECT lms_micro_lesson.", "SELECT lms_question.")
        return [s for s in self.sql if not s.startswith(("BEGIN", "PRAGMA"))
                and (self.engine.dialect.name == "postgresql" or not s.startswith(shared))]


def change(model, row_id: int, **values) -> None:
    db = db_session()
    db.execute(update(model).where(model.id == row_id).values(**values))
    db.commit()


def open_attempts(user_id: int) -> int:
    return db_session().scalar(select(func.count()).select_from(Attempt).where(
        Attempt.user_id == user_id, Attempt.status == "open"))


def test_a_second_fetch_reuses_its_attempt_in_one_statement_and_writes_nothing(
        app, client, make):
    officer = make.user()
    lesson = make.lesson(quiz=make.quiz(shuffle=True))
    headers = bearer(client, officer)
    first = client.get(f"/api/v1/lessons/{lesson.id}", headers=headers)
    assert first.status_code == 200 and open_attempts(officer.id) == 1
    db_session().remove()
    with Statements(app) as seen:
        again = client.get(f"/api/v1/lessons/{lesson.id}", headers=headers)
    assert again.status_code == 200
    assert again.json == first.json  # the same attempt: the same option order
    assert len(seen.reads) == 1 and seen.commits == 0
    assert open_attempts(officer.id) == 1


@pytest.mark.parametrize("how", ["revoked", "expired", "inactive", "unknown"])
def test_a_dead_token_reads_no_lesson(client, make, how):
    officer = make.user()
    lesson = make.lesson()
    headers = bearer(client, officer)
    assert client.get(f"/api/v1/lessons/{lesson.id}", headers=headers).status_code == 200
    db = db_session()
    if how == "revoked":
        db.execute(update(ApiToken).values(revoked_at=utcnow()))
    elif how == "expired":
        db.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    elif how == "inactive":  # inactive alone: the token rule checks the account too
        db.execute(update(User).where(User.id == officer.id).values(active=False))
    else:
        headers = {"Authorization": "Bearer " + "x" * 43}
    db.commit()
    answer = client.get(f"/api/v1/lessons/{lesson.id}", headers=headers)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "unauthorized"


def test_a_lesson_not_theirs_is_404_like_a_missing_one(client, make):
    tree = make.tree()
    officer = make.user(unit=tree["branch_a"])
    elsewhere = make.lesson(audience=[tree["branch_b"]])
    theirs = make.lesson(audience=[tree["station_a"]])
    later = make.lesson(publish_at=utcnow() + timedelta(days=1))
    draft = make.lesson(status="draft")
    headers = bearer(client, officer)
    assert client.get(f"/api/v1/lessons/{theirs.id}", headers=headers).status_code == 200
    missing = client.get("/api/v1/lessons/999999", headers=headers)
    assert missing.status_code == 404
    for lesson in (elsewhere, later, draft):
        answer = client.get(f"/api/v1/lessons/{lesson.id}", headers=headers)
        assert (answer.status_code, answer.json) == (404, missing.json)


def test_a_timed_out_attempt_is_not_reused(client, make):
    officer = make.user()
    lesson = make.lesson(quiz=make.quiz(time_limit_seconds=600, shuffle=True))
    headers = bearer(client, officer)
    assert client.get(f"/api/v1/lessons/{lesson.id}", headers=headers).status_code == 200
    first = db_session().scalar(select(Attempt).where(Attempt.user_id == officer.id))
    change(Attempt, first.id, started_at=utcnow() - timedelta(minutes=11))
    assert client.get(f"/api/v1/lessons/{lesson.id}", headers=headers).status_code == 200
    ids = db_session().scalars(select(Attempt.id).where(Attempt.user_id == officer.id)).all()
    assert len(ids) == 2 and first.id in ids


def test_the_page_reads_standing_attempt_and_unread_count_in_one_statement(
        app, make, login, client, db):
    officer = make.user()
    lesson = make.lesson()
    for key in ("a", "b", "c"):
        inbox.notify(db, [officer.id], "reminder", "提醒", "请按时学习。", None, key)
    db.commit()
    login(officer.police_no)
    assert client.get(f"/lessons/{lesson.id}").status_code == 200  # opens the attempt
    db_session().remove()
    with Statements(app) as seen:
        page = client.get(f"/lessons/{lesson.id}")
    assert page.status_code == 200 and "<form" in page.text
    assert page.text.count('aria-label="3 条未读">3</span>') == 2  # top bar and phone tab
    # the session's check is part of the page's one read; nothing written
    assert len(seen.reads) == 1 and "session_version" in seen.reads[0]
    assert seen.commits == 0
    assert officer.name in page.text  # the top bar's name, from that read
    key = db_session().scalar(select(Attempt.idempotency_key).where(
        Attempt.user_id == officer.id, Attempt.status == "open"))
    assert key in page.text  # the form completes the reused attempt


def test_the_page_of_a_lesson_not_theirs_is_404(make, login, client):
    tree = make.tree()
    officer = make.user(unit=tree["branch_a"])
    elsewhere = make.lesson(audience=[tree["branch_b"]])
    login(officer.police_no)
    assert client.get(f"/lessons/{elsewhere.id}").status_code == 404


@pytest.mark.parametrize("ended", ["signed out elsewhere", "deactivated"])
def test_the_page_of_a_session_no_longer_live_sends_to_sign_in(make, login, client, ended):
    officer = make.user()
    lesson = make.lesson()
    login(officer.police_no)
    assert client.get(f"/lessons/{lesson.id}").status_code == 200
    if ended == "deactivated":
        change(User, officer.id, active=False)
    else:
        change(User, officer.id, session_version=officer.session_version + 1)
    page = client.get(f"/lessons/{lesson.id}")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert lesson.title not in page.text
    assert client.get("/profile").status_code == 302  # and so is every other page


def test_the_page_without_a_session_sends_to_sign_in(make, client):
    lesson = make.lesson()
    page = client.get(f"/lessons/{lesson.id}")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_the_page_shows_the_navigation_of_every_role_the_user_has(make, login, client):
    def entries(page: str) -> set[str]:
        nav = re.search(r'<nav class="nav"[^>]*>(.*?)</nav>', page, re.S).group(1)
        return set(re.findall(r'href="([^"]+)"', nav))
    user = make.user(roles=("officer", "trainer", "supervisor", "admin"))
    lesson = make.lesson()
    login(user.police_no)
    page = client.get(f"/lessons/{lesson.id}").text  # roles from the page's own read
    other = client.get("/notifications").text  # roles from the loaded user
    assert entries(page) == entries(other)
    assert {"/studio/", "/supervise/", "/admin/units"} <= entries(page)
