"""Eight copies of one submission at the same moment, against a real threaded server: one
attempt, one answer, points paid once. Run on SQLite and PostgreSQL (DATABASE_URL)."""
import http.client
import json
import re
import threading
import urllib.parse
from datetime import timedelta

import pytest
from factories import Factory
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lms.domain.learning import points
from lms.domain.org import accounts
from lms.models import Attempt, Completion, Mistake, PointsEntry, utcnow

pytestmark = pytest.mark.slow
COPIES = 8


@pytest.fixture(scope="module")
def live(app):
    """(host, port) of the test app served from a thread with a thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_port
    server.shutdown()
    thread.join(5)


def request(live, method, path, body=None, headers=None):
    """One HTTP request on its own connection; returns (status, headers, text)."""
    conn = http.client.HTTPConnection(*live, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def all_at_once(db, send):
    """Run `send()` in COPIES threads released together; return their results in order."""
    db.commit()  # SQLite: the test's own open transaction would hold the write lock
    barrier = threading.Barrier(COPIES)
    results = [None] * COPIES

    def worker(n):
        barrier.wait()
        results[n] = send()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def count(db, model, *where):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def lesson(make, **quiz):
    now = utcnow()
    return make.lesson(publish_at=now - timedelta(days=1), due_at=now + timedelta(days=5),
                       quiz=make.quiz(**quiz))


def bearer(db, user) -> dict:
    token, _ = accounts.issue_token(db, user, timedelta(hours=1))
    db.commit()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def test_eight_copies_of_one_api_submission_make_one_attempt(live, db, make):
    officer, item = make.user(), lesson(make)
    headers = bearer(db, officer)
    body = json.dumps({"answers": make.answers(item.quiz, wrong=()),
                       "idempotency_key": "phone-retry-7f3a"})
    answers = all_at_once(db, lambda: request(live, "POST", f"/api/v1/lessons/{item.id}/attempts",
                                          body, headers))
    assert {status for status, _, _ in answers} == {201}, answers
    bodies = [json.loads(text) for _, _, text in answers]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["score"] == 100 and bodies[0]["points_awarded"] == 7
    assert count(db, Attempt) == 1
    assert count(db, PointsEntry) == 2 and points.total(db, officer.id) == 7
    row = db.scalar(select(Completion))
    assert (row.status, row.attempts) == ("completed", 1)


def test_eight_copies_graded_by_cached_keys_make_one_attempt(live, db, make):
    """As above, after another officer's submission left the quiz's keys in the workers'
    cache: every copy grades without reading and the key constraint still decides."""
    first, officer, item = make.user(), make.user(), lesson(make)
    path = f"/api/v1/lessons/{item.id}/attempts"
    warm = json.dumps({"answers": make.answers(item.quiz), "idempotency_key": "warm"})
    assert request(live, "POST", path, warm, bearer(db, first))[0] == 201
    headers = bearer(db, officer)
    body = json.dumps({"answers": make.answers(item.quiz, wrong=("q2",)),
                       "idempotency_key": "cached-retry-1"})
    answers = all_at_once(db, lambda: request(live, "POST", path, body, headers))
    assert {status for status, _, _ in answers} == {201}, answers
    bodies = [json.loads(text) for _, _, text in answers]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["score"] == 80 and bodies[0]["points_awarded"] == 5
    assert count(db, Attempt, Attempt.user_id == officer.id) == 1
    assert points.total(db, officer.id) == 5
    assert count(db, Mistake, Mistake.user_id == officer.id) == 1
    row = db.scalar(select(Completion).where(Completion.user_id == officer.id))
    assert (row.status, row.attempts) == ("completed", 1)


@pytest.mark.parametrize("allowed", [None, 1])
def test_eight_copies_of_one_quiz_form_make_one_attempt(live, db, make, allowed):
    officer, item = make.user(), lesson(make, attempts_allowed=allowed)
    db.commit()
    status, headers, _ = request(live, "POST", "/login", urllib.parse.urlencode(
        {"police_no": officer.police_no, "password": Factory.PASSWORD}),
        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    db.commit()
    _, _, page = request(live, "GET", f"/lessons/{item.id}", headers=cookie)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"idempotency_key": key}
    for qid, answer in make.answers(item.quiz, wrong=("q5",)).items():
        form[f"q{qid}"] = str(answer).lower() if isinstance(answer, bool) else answer
    body = urllib.parse.urlencode(form, doseq=True)
    answers = all_at_once(db, lambda: request(
        live, "POST", f"/lessons/{item.id}/attempts", body,
        {**cookie, "Content-Type": "application/x-www-form-urlencoded"}))
    assert {status for status, _, _ in answers} == {303}, answers
    assert len({headers["Location"] for _, headers, _ in answers}) == 1
    assert count(db, Attempt) == 1
    assert count(db, PointsEntry) == 1 and points.total(db, officer.id) == 5


def test_eight_different_keys_on_a_one_attempt_quiz_make_one_attempt(live, db, make):
    officer, item = make.user(), lesson(make, attempts_allowed=1)
    headers = bearer(db, officer)
    keys = iter(f"key-{n}" for n in range(COPIES))
    answers = make.answers(item.quiz)
    bodies = [json.dumps({"answers": answers, "idempotency_key": next(keys)})
              for _ in range(COPIES)]
    lock = threading.Lock()

    def send():
        with lock:
            body = bodies.pop()
        return request(live, "POST", f"/api/v1/lessons/{item.id}/attempts", body, headers)
    answers = all_at_once(db, send)
    assert sorted(status for status, _, _ in answers) == [201] + [422] * (COPIES - 1)
    assert count(db, Attempt) == 1
