"""The officer half of the JSON API (DESIGN §5): shapes, statuses, idempotency, JSON errors."""
import json
from datetime import datetime, timedelta

import pytest
from factories import Factory
from sqlalchemy import func, select

from lms.models import Attempt

NOW = datetime(2026, 11, 18, 2, 0)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def api(client):
    """A client for one user: api(user).get(path) with their bearer token."""
    class Api:
        def __init__(self, user):
            response = client.post("/api/v1/auth/token", json={
                "police_no": user.police_no, "password": Factory.PASSWORD})
            self.headers = {"Authorization": f"Bearer {response.json['token']}"}

        def get(self, path, **kwargs):
            return client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

        def post(self, path, **kwargs):
            return client.post(f"/api/v1{path}", headers=self.headers, **kwargs)
    return Api


def lesson(make, days_to_due=3, **kwargs):
    return make.lesson(publish_at=NOW - timedelta(days=1),
                       due_at=NOW + timedelta(days=days_to_due), **kwargs)


def attempt(api, lesson_id, answers, key="key-1"):
    return api.post(f"/lessons/{lesson_id}/attempts",
                    json={"answers": answers, "idempotency_key": key})


# --- GET /me/lessons -----------------------------------------------------------------------

def test_my_lessons_have_the_contract_shape(make, api):
    officer = make.user()
    item = lesson(make, issue_no=14, title="第14期 行动支部")
    body = api(officer).get("/me/lessons").json
    assert body == {"lessons": [{
        "id": item.id, "issue_no": 14, "title": "第14期 行动支部",
        "publish_at": "2026-11-17T02:00:00Z", "due_at": "2026-11-21T02:00:00Z",
        "status": "due", "best_score": None, "first_score": None}]}


def test_statuses_and_the_status_filter(make, api):
    officer = make.user()
    done, overdue, due = lesson(make), lesson(make, days_to_due=-1), lesson(make)
    client = api(officer)
    attempt(client, done.id, make.answers(done.quiz, wrong=("q1",)))
    statuses = {row["id"]: (row["status"], row["best_score"])
                for row in client.get("/me/lessons").json["lessons"]}
    assert statuses == {done.id: ("done", 80), overdue.id: ("overdue", None),
                        due.id: ("due", None)}
    assert {r["id"] for r in client.get("/me/lessons?status=due").json["lessons"]} == {
        overdue.id, due.id}
    assert [r["id"] for r in client.get("/me/lessons?status=done").json["lessons"]] == [done.id]
    assert len(client.get("/me/lessons?status=all").json["lessons"]) == 3


def test_a_bad_status_filter_is_a_400(make, api):
    response = api(make.user()).get("/me/lessons?status=later")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


def test_only_published_lessons_for_my_units_are_listed(make, api):
    tree = make.tree()
    officer = make.user(tree["branch_a"])
    everyone = lesson(make)
    for_my_county = lesson(make, audience=[tree["county_a"]])
    for_my_branch = lesson(make, audience=[tree["branch_a"]])
    lesson(make, audience=[tree["county_b"]])
    lesson(make, status="draft")
    make.lesson(publish_at=NOW + timedelta(hours=1), due_at=NOW + timedelta(days=7))
    ids = {row["id"] for row in api(officer).get("/me/lessons").json["lessons"]}
    assert ids == {everyone.id, for_my_county.id, for_my_branch.id}


# --- GET /lessons/{id} ---------------------------------------------------------------------

def test_a_lesson_has_the_contract_shape_and_no_answers(make, api):
    item = lesson(make)
    body = api(make.user()).get(f"/lessons/{item.id}").json
    assert set(body) == {"id", "title", "body_html", "quiz"}
    assert set(body["quiz"]) == {"pass_score", "questions"}
    kinds = [q["kind"] for q in body["quiz"]["questions"]]
    assert kinds == ["single", "multiple", "true_false", "fill_blank", "single"]
    for question in body["quiz"]["questions"]:
        assert set(question) == {"id", "kind", "stem", "options"}
    assert body["quiz"]["questions"][0]["options"][1] == {"key": "B",
                                                          "text": "由批准其成立的党组织指定"}


@pytest.mark.parametrize("case", ["unknown", "draft", "future", "other_county"])
def test_lessons_i_may_not_see_are_not_found(make, api, case):
    tree = make.tree()
    officer = make.user(tree["branch_a"])
    lesson_id = {
        "unknown": lambda: 999999,
        "draft": lambda: lesson(make, status="draft").id,
        "future": lambda: make.lesson(publish_at=NOW + timedelta(days=1),
                                      due_at=NOW + timedelta(days=8)).id,
        "other_county": lambda: lesson(make, audience=[tree["county_b"]]).id,
    }[case]()
    client = api(officer)
    response = client.get(f"/lessons/{lesson_id}")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert attempt(client, lesson_id, {}).status_code == 404


# --- POST /lessons/{id}/attempts -----------------------------------------------------------

def test_an_attempt_answers_in_the_contract_shape(make, api):
    item = lesson(make)
    response = attempt(api(make.user()), item.id, make.answers(item.quiz, wrong=("q2",)))
    assert response.status_code == 201
    body = response.json
    assert set(body) == {"attempt_id", "score", "passed", "points_awarded", "attempts_left",
                         "answers_shown", "results"}
    assert (body["attempts_left"], body["answers_shown"]) == (None, True)  # passed: shown
    assert (body["score"], body["passed"], body["points_awarded"]) == (80, True, 5)
    assert [set(r) for r in body["results"]] == [
        {"question_id", "correct", "correct_answer", "explanation"}] * 5
    assert [r["correct"] for r in body["results"]] == [True, False, True, True, True]
    assert [r["correct_answer"] for r in body["results"]] == ["B", ["A", "B", "C"], True,
                                                              "连", "C"]


def test_the_same_key_again_returns_the_first_answer(make, api, db):
    item = lesson(make)
    client = api(make.user())
    first = attempt(client, item.id, make.answers(item.quiz, wrong=("q2",)))
    again = attempt(client, item.id, make.answers(item.quiz))
    assert again.json == first.json
    assert db.scalar(select(func.count()).select_from(Attempt)) == 1
    assert client.get("/me").json["points"] == 5


def test_profile_lists_completions_and_points(make, api):
    item = lesson(make, title="第3期 三会一课")
    client = api(make.user())
    attempt(client, item.id, make.answers(item.quiz))
    body = client.get("/me/profile").json
    assert body == {"points": 7, "hours": 0.25, "hours_target": 24, "completions": [{
        "item_type": "lesson", "item_id": item.id, "title": "第3期 三会一课",
        "completed_at": "2026-11-18T02:00:00Z", "best_score": 100, "first_score": 100}]}


def test_a_failed_attempt_is_not_a_completion(make, api):
    item = lesson(make)
    client = api(make.user())
    assert attempt(client, item.id, make.answers(item.quiz, wrong=("q1", "q2", "q3"))
                   ).json["passed"] is False
    assert client.get("/me/profile").json == {"points": 0, "hours": 0, "hours_target": 24,
                                              "completions": []}


# --- errors: JSON, never a 500 --------------------------------------------------------------

def test_malformed_json_is_a_400(make, api):
    item = lesson(make)
    response = api(make.user()).post(f"/lessons/{item.id}/attempts", data="{not json",
                                     content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


def test_a_json_array_body_is_a_400(make, api):
    item = lesson(make)
    response = api(make.user()).post(f"/lessons/{item.id}/attempts", json=["answers"])
    assert response.status_code == 400


@pytest.mark.parametrize("answers", [
    None, "B", ["B"], {"999999": "A"}, {"abc": "A"}, {"FIRST": 42}, {"FIRST": ["A"]},
    {"FIRST": "Z"}, {"SECOND": "A"}, {"THIRD": "yes please"}, {"FOURTH": ["连"]},
    {"FOURTH": "连" * 501},
])
def test_wrong_types_and_unknown_questions_are_422(make, api, answers):
    item = lesson(make)
    ids = [str(q.id) for q in item.quiz.questions]
    if isinstance(answers, dict):
        names = {"FIRST": ids[0], "SECOND": ids[1], "THIRD": ids[2], "FOURTH": ids[3]}
        answers = {names.get(k, k): v for k, v in answers.items()}
    response = attempt(api(make.user()), item.id, answers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_answer"


@pytest.mark.parametrize("key", [None, "", 12, ["k"], "k" * 81])
def test_a_missing_or_bad_idempotency_key_is_422(make, api, key):
    item = lesson(make)
    body = {"answers": {}} if key is None else {"answers": {}, "idempotency_key": key}
    response = api(make.user()).post(f"/lessons/{item.id}/attempts", json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_idempotency_key"


def test_a_key_reused_for_another_lesson_is_a_409(make, api):
    one, two = lesson(make), lesson(make)
    client = api(make.user())
    attempt(client, one.id, make.answers(one.quiz), key="same")
    response = attempt(client, two.id, make.answers(two.quiz), key="same")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "idempotency_key_reused"


def test_an_oversized_body_is_a_413(app, make, api, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    item = lesson(make)
    body = json.dumps({"answers": {"1": "x" * 2000}, "idempotency_key": "k"})
    response = api(make.user()).post(f"/lessons/{item.id}/attempts", data=body,
                                     content_type="application/json")
    assert response.status_code == 413
    assert "error" in response.json


def test_no_token_is_a_401(make, client):
    item = lesson(make)
    for response in (client.get("/api/v1/me/lessons"), client.get(f"/api/v1/lessons/{item.id}"),
                     client.post(f"/api/v1/lessons/{item.id}/attempts", json={}),
                     client.get("/api/v1/me/profile")):
        assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_a_time_limited_quiz_counts_from_the_attempt_the_fetch_opened(make, api, frozen_clock):
    item = lesson(make, quiz=make.quiz(time_limit_seconds=60))
    client = api(make.user())
    answers = make.answers(item.quiz)
    assert attempt(client, item.id, answers, key="early").json["error"]["code"] == (
        "time_limit_exceeded")  # never fetched: no server-side start
    client.get(f"/lessons/{item.id}")
    frozen_clock.set(NOW + timedelta(seconds=30))
    client.get(f"/lessons/{item.id}")  # fetching again while it runs does not restart it
    frozen_clock.set(NOW + timedelta(seconds=95))
    late = attempt(client, item.id, answers, key="late")
    assert late.status_code == 422 and late.json["error"]["code"] == "time_limit_exceeded"


def test_a_quiz_fetched_yesterday_never_locks_the_officer_out(make, api, frozen_clock, db):
    """The clock runs from the attempt a fetch opens, as on the lesson page: fetching the
    lesson again the next day opens a fresh attempt with its own start."""
    item = lesson(make, quiz=make.quiz(time_limit_seconds=60))
    client = api(make.user())
    client.get(f"/lessons/{item.id}")
    frozen_clock.set(NOW + timedelta(days=1))
    client.get(f"/lessons/{item.id}")
    frozen_clock.set(NOW + timedelta(days=1, seconds=40))
    response = attempt(client, item.id, make.answers(item.quiz), key="today")
    assert response.status_code == 201 and response.json["score"] == 100
    started = db.scalar(select(Attempt.started_at).where(Attempt.idempotency_key == "today"))
    assert started == NOW + timedelta(days=1)


# --- the OpenAPI document -------------------------------------------------------------------

def test_openapi_describes_every_v1_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.0")
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1")
        for converter in ("<lms_id:lesson_id>", "<slug>"):
            path = path.replace(converter, "{slug}" if converter == "<slug>" else "{id}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in described, f"{method} {rule.rule} undocumented"
    for name in ("/reports/completion", "/courseware", "/auth/token", "/me"):
        assert name in doc["paths"]


def test_openapi_references_resolve(client):
    doc = client.get("/api/v1/openapi.json").json
    text = json.dumps(doc)
    for ref in set(part.split('"')[0] for part in text.split('"$ref": "#/')[1:]):
        node = doc
        for step in ref.split("/"):
            node = node[step]
