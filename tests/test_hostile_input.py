"""Hostile input at the boundary (issue 9): text that is not valid Unicode — bytes that are not
UTF-8, lone surrogates, NUL — is refused where it enters (HTML form, JSON body, CSV file,
query string, path) and never stored; JSON nested deeper than 32 levels is a 400; text already
stored that way never breaks a page or an export."""
from urllib.parse import quote

import pytest
from factories import Factory
from sqlalchemy import func, select

from lms.api.common import MAX_JSON_DEPTH
from lms.domain.reports import exports
from lms.domain.studio import authoring
from lms.models import ApiToken, Attempt, AuditEvent, Completion, PointsEntry, Question, User

SURROGATE_UTF8 = "%ED%A0%80"  # U+D800 as UTF-8 would write it, if it could: not UTF-8
INVALID_ESCAPES = [SURROGATE_UTF8, "%FF", "%C3", "ok%00"]
REFUSED_TEXT = "不是合法的 Unicode"


def stored(db) -> dict[str, int]:
    """Row counts of everything a refused request could have written."""
    db.expire_all()
    return {model.__name__: db.scalar(select(func.count()).select_from(model))
            for model in (Attempt, ApiToken, AuditEvent, Completion, PointsEntry, User)}


@pytest.fixture
def officer(make):
    return make.user()


@pytest.fixture
def token(client, officer):
    response = client.post("/api/v1/auth/token", json={
        "police_no": officer.police_no, "password": Factory.PASSWORD})
    return response.json["token"]


@pytest.fixture
def api_post(client, token):
    """POST raw bytes as JSON to an API path with the officer's token."""
    def post(path: str, body: bytes | str, headers: dict | None = None):
        return client.post(f"/api/v1{path}", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", **(headers or {})})
    return post


def form_body(db, lesson, fill_in: str) -> str:
    """A complete, url-encoded answer form for the lesson; the fill-in field as given."""
    fields = []
    for q in db.scalars(select(Question).where(Question.quiz_id == lesson.quiz_id)):
        if q.kind == "fill_blank":
            fields.append(f"q{q.id}={fill_in}")
        elif q.kind == "multiple":
            fields += [f"q{q.id}={key}" for key in q.answer]
        else:
            fields.append(f"q{q.id}={'true' if q.answer is True else q.answer}")
    return "&".join([*fields, "idempotency_key=form-1"])


def assert_refused_api(response, code: str = "invalid_text"):
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == code and any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])


# --- HTML forms -------------------------------------------------------------------------------

def test_a_valid_answer_form_is_stored(db, make, officer, login, client):
    lesson = make.lesson()
    login(officer.police_no)
    response = client.post(f"/lessons/{lesson.id}/attempts", data=form_body(db, lesson, "连"),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302, 303)
    assert stored(db)["Attempt"] == 1


@pytest.mark.parametrize("escape", INVALID_ESCAPES)
def test_a_form_answer_that_is_not_valid_text_is_refused(db, make, officer, login, client,
                                                         escape):
    lesson = make.lesson()
    login(officer.police_no)
    before = stored(db)
    response = client.post(f"/lessons/{lesson.id}/attempts",
                           data=form_body(db, lesson, escape),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert REFUSED_TEXT in response.get_data(as_text=True)
    assert stored(db) == before


def test_raw_bytes_that_are_not_utf8_in_a_form_are_refused(db, make, officer, login, client):
    lesson = make.lesson()
    login(officer.police_no)
    before = stored(db)
    body = form_body(db, lesson, "X").encode().replace(b"=X", b"=\xed\xa0\x80")
    response = client.post(f"/lessons/{lesson.id}/attempts", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert stored(db) == before


def test_a_multipart_form_with_a_nul_byte_is_refused(db, make, officer, login, client):
    lesson = make.lesson()
    login(officer.police_no)
    before = stored(db)
    pairs = [pair.split("=") for pair in form_body(db, lesson, "X").split("&")]
    fields = {name: value.replace("X", "连\x00") for name, value in pairs}
    response = client.post(f"/lessons/{lesson.id}/attempts", data=fields,
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored(db) == before


def test_the_form_check_runs_before_csrf_protection(db, make, client, csrf_on):
    make.user(police_no="100001")
    before = stored(db)
    response = client.post("/login", data=f"police_no={SURROGATE_UTF8}&password=x",
                           content_type="application/x-www-form-urlencoded")
    # CSRF would also say 400, but only the raw body tells the escape from a typed "%ED".
    assert response.status_code == 400
    assert REFUSED_TEXT in response.get_data(as_text=True)
    assert stored(db) == before


# --- JSON bodies ------------------------------------------------------------------------------

@pytest.mark.parametrize("police_no", ['"\\ud800"', '"100001\\udfff"', '"\\u0000"'])
def test_the_token_endpoint_refuses_invalid_text(db, client, officer, police_no):
    before = stored(db)
    response = client.post("/api/v1/auth/token", content_type="application/json",
                           data=f'{{"police_no": {police_no}, "password": "x"}}')
    assert_refused_api(response)
    assert stored(db) == before


@pytest.mark.parametrize("body", [
    '{{"answers": {{}}, "idempotency_key": "\\ud800"}}',
    '{{"answers": {{"{fill}": "\\ud83d"}}, "idempotency_key": "k"}}',
    '{{"answers": {{"\\udc00": "A", "{fill}": "连"}}, "idempotency_key": "k"}}',
])
def test_an_attempt_with_a_lone_surrogate_is_refused(db, make, api_post, body):
    lesson = make.lesson()
    fill = next(q.id for q in lesson.quiz.questions if q.kind == "fill_blank")
    before = stored(db)
    assert_refused_api(api_post(f"/lessons/{lesson.id}/attempts", body.format(fill=fill)))
    assert stored(db) == before


@pytest.mark.parametrize("raw", [b"\xed\xa0\x80", b"\xff", b"\xc3"])
def test_json_bytes_that_are_not_utf8_are_refused(db, make, api_post, raw):
    lesson = make.lesson()
    before = stored(db)
    body = b'{"answers": {}, "idempotency_key": "k' + raw + b'"}'
    assert_refused_api(api_post(f"/lessons/{lesson.id}/attempts", body))
    assert stored(db) == before


def test_a_surrogate_pair_is_an_ordinary_character(db, make, api_post):
    lesson = make.lesson()
    response = api_post(f"/lessons/{lesson.id}/attempts",
                        '{"answers": {}, "idempotency_key": "\\ud83d\\ude00"}')
    assert response.status_code != 400  # 😀 is valid; the quiz engine judges the answers
    assert response.status_code < 500


def test_a_json_body_with_a_byte_order_mark_is_read(client, officer):
    body = f'{{"police_no": "{officer.police_no}", "password": "{Factory.PASSWORD}"}}'
    response = client.post("/api/v1/auth/token", data=b"\xef\xbb\xbf" + body.encode(),
                           content_type="application/json")
    assert response.status_code == 200


def nested(depth: int) -> str:
    """A JSON value `depth` levels deep: [[...[]...]]."""
    return "[" * depth + "]" * depth


def test_json_nested_up_to_the_limit_is_read(client, officer):
    body = (f'{{"police_no": "{officer.police_no}", "password": "{Factory.PASSWORD}", '
            f'"extra": {nested(MAX_JSON_DEPTH - 1)}}}')
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 5_000, 200_000])
def test_json_nested_deeper_than_the_limit_is_a_400(db, client, officer, depth):
    before = stored(db)
    body = (f'{{"police_no": "{officer.police_no}", "password": "{Factory.PASSWORD}", '
            f'"extra": {nested(depth)}}}')
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert_refused_api(response, "bad_request")
    assert stored(db) == before


@pytest.mark.parametrize("body", ["[]", '"text"', "1", "null", "true", "NaN",
                                  '{"answers": NaN, "idempotency_key": "k"}', "9" * 5000,
                                  '{"answers": {}, "idempotency_key": "k"', ""])
def test_bodies_that_are_not_a_json_object_are_a_400(db, make, api_post, body):
    lesson = make.lesson()
    before = stored(db)
    assert_refused_api(api_post(f"/lessons/{lesson.id}/attempts", body), "bad_request")
    assert stored(db) == before


# --- query strings and paths ------------------------------------------------------------------

@pytest.mark.parametrize("escape", INVALID_ESCAPES)
def test_a_query_string_that_is_not_valid_text_is_refused(db, make, officer, login, client,
                                                          escape):
    lesson = make.lesson()
    login(officer.police_no)
    before = stored(db)
    response = client.post(f"/lessons/{lesson.id}/attempts?from={escape}",
                           data=form_body(db, lesson, "连"),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert REFUSED_TEXT in response.get_data(as_text=True)
    assert stored(db) == before


def test_a_query_string_in_the_api_is_refused_as_json(client, token):
    response = client.get(f"/api/v1/me/lessons?status={SURROGATE_UTF8}",
                          headers={"Authorization": f"Bearer {token}"})
    assert_refused_api(response)


@pytest.mark.parametrize("path", [f"/courseware/{SURROGATE_UTF8}", "/courseware/a%FFb",
                                  f"/api/v1/courseware/{SURROGATE_UTF8}"])
def test_a_path_that_is_not_valid_text_is_refused(client, officer, login, token, path):
    login(officer.police_no)
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400


def test_valid_chinese_in_query_and_path_still_works(client, officer, login):
    login(officer.police_no)
    assert client.get(f"/courseware?q={quote('党章')}").status_code == 200
    assert client.get(f"/courseware/{quote('不存在的课件')}").status_code == 404


# --- CSV files --------------------------------------------------------------------------------

ROSTER_HEAD = b"police_no,name,unit_code,roles,party_member\n"


@pytest.mark.parametrize("bad_name", [b"\xe5\xbc\xa0\xed\xa0\x80", b"\xe6\x9d\x8e\x00"])
def test_a_roster_with_text_that_is_not_valid_unicode_is_refused(db, make, runner, tmp_path,
                                                                   bad_name):
    make.unit(code="B1")
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER_HEAD + "100001,王芳,B1,,1\n".encode()
                     + b"100002," + bad_name + b",B1,,1\n")
    before = stored(db)
    result = runner.invoke(args=["lms", "import-roster", str(path)])
    assert result.exit_code != 0
    assert "roster.csv:3:" in result.output
    assert stored(db) == before


# --- YAML (course files and the studio's quiz text) --------------------------------------------

QUIZ_WITH = """\
quiz:
  questions:
    - id: q1
      kind: fill_blank
      stem: {stem}
      answer: [连]
"""


@pytest.mark.parametrize("stem", ['"支部\\ud800"', '"支部\\0"'])
def test_a_yaml_escape_that_makes_invalid_text_is_a_problem(stem):
    assert authoring.parse_quiz(QUIZ_WITH.format(stem="支部建在____上。"))[1] == []
    quiz, problems = authoring.parse_quiz(QUIZ_WITH.format(stem=stem))
    assert quiz is None
    # The studio shows the validator's problem in Chinese, at its line.
    assert problems == ["第 5 行：YAML 格式错误：文字中有无效的字符（单独的代理项或 NUL 转义）"]


def test_yaml_nested_too_deeply_is_a_problem_not_a_crash():
    quiz, problems = authoring.parse_quiz("quiz: " + "[" * 5000)
    assert quiz is None and problems == ["第 1 行：YAML 格式错误：嵌套层次太深"]


# --- text already stored ----------------------------------------------------------------------

def test_a_text_column_cannot_hold_a_lone_surrogate(db, make):
    user = make.user()
    user.name = "王\ud800"
    with pytest.raises(UnicodeEncodeError):  # the driver refuses on SQLite and PostgreSQL
        db.commit()
    db.rollback()


def test_a_stored_lone_surrogate_in_an_answer_does_not_break_the_statistics(db, make, login,
                                                                            client):
    # JSON columns can hold one on both databases (as a "\ud800" escape): this is how an
    # answer sent before the API refused them is stored.
    trainer = make.user(roles=("officer", "trainer"))
    lesson = make.lesson()
    fill = next(q for q in lesson.quiz.questions if q.kind == "fill_blank")
    fill.options = []
    choice = next(q for q in lesson.quiz.questions if q.kind == "single")
    choice.options = [[key, text + "\udc00"] for key, text in choice.options]
    for n, given in enumerate(["坏\ud800答", "坏\ud800答", "排"]):
        db.add(Attempt(user_id=make.user().id, quiz_id=lesson.quiz_id, item_type="lesson",
                       item_id=lesson.id, idempotency_key=f"k{n}", status="submitted",
                       answers={str(fill.id): given},
                       results=[{"question_id": fill.id, "correct": False, "given": given},
                                {"question_id": choice.id, "correct": True,
                                 "given": choice.answer}]))
    db.commit()
    login(trainer.police_no)
    page = client.get(f"/studio/lessons/{lesson.id}/stats")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "坏\ufffd答" in text and "排" in text and "\ufffd" in text.split("坏")[0]


def test_a_stored_lone_surrogate_never_fails_a_page(db, make, officer, login, client):
    # Any page: every {{ value }} goes through one finalizer that shows U+FFFD instead.
    lesson = make.lesson()
    fill = next(q for q in lesson.quiz.questions if q.kind == "fill_blank")
    attempt = Attempt(user_id=officer.id, quiz_id=lesson.quiz_id, item_type="lesson",
                      item_id=lesson.id, idempotency_key="k", status="submitted", score=0,
                      passed=False, answers={str(fill.id): "坏\ud800"},
                      results=[{"question_id": fill.id, "correct": False, "given": "坏\ud800",
                                "correct_answer": ["连"], "explanation": "支部\udfff"}])
    db.add(attempt)
    db.commit()
    login(officer.police_no)
    response = client.get(f"/attempts/{attempt.id}")
    assert response.status_code == 200
    assert "\ufffd" in response.get_data(as_text=True)


def test_exports_write_a_lone_surrogate_as_a_replacement_character():
    table = exports.Table("名单\ud800", [exports.Column("姓名"), exports.Column("单位")],
                          rows=[("王\ud800芳", "=\udfffA\x01")])
    csv_text = exports.to_csv(table).decode("utf-8-sig")
    assert "王\ufffd芳" in csv_text and "'=\ufffdA" in csv_text
    assert exports.to_xlsx(table).startswith(b"PK")
