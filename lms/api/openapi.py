"""GET /api/v1/openapi.json: the v1 contract (DESIGN §5) as an OpenAPI 3.0 document.

Written by hand, so it says what the contract promises rather than what a framework infers;
tests/test_lessons_api.py checks that every v1 route is described here,
tests/test_openapi_contract.py that each lists the statuses it can answer and that its examples
are valid, and .ci/schemathesis fuzzes a running server with it.
"""
from flask import request

from ..web import MAX_ID
from .blueprint import api_bp

# A bank question's key also stays out while another quiz that may draw it hides it.
_WITHHELD = ("Only when answers_shown, and for a bank question only once no other quiz "
             "that may draw it still hides its key from the caller")

# Every error answer, with the codes `error.code` takes (DESIGN §5: {"error": {"code", "message"}},
# messages in Chinese).
ERROR_CODES = {
    "400": "Malformed request: `bad_request` (body not a JSON object, bad query parameter), "
           "`bad_period`, `invalid_text` (path, query or body not valid UTF-8, or holding NUL)",
    "401": "`unauthorized` (missing or invalid bearer token), `invalid_credentials`",
    "403": "`forbidden`: outside the caller's scope (an unknown unit answers the same)",
    "404": "`not_found` (or not visible to the caller)",
    "405": "`method_not_allowed`; the Allow header lists the methods the path takes",
    "409": "`idempotency_key_reused`: the key was already used for another quiz",
    "413": "`request_entity_too_large`: the request body is over the size limit",
    "422": "Well-formed but unacceptable",
    "429": "`too_many_requests`: too many sign-in failures, try later",
    "500": "`internal_server_error`: logged, no details",
    "503": "The database (or another service it needs) is unreachable; nothing was "
           "recorded, retry later",
}
# What any request can answer: text that is not valid (400), a body over the limit (413, a
# GET included), a method the path does not take (405), a server error (500).
ANY = ("400", "405", "413", "500")
DB = (*ANY, "503")  # operations that read the database
AUTH = (*DB, "401")  # ... as the bearer token's user


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **properties) -> dict:
    return {"type": "object", "required": required, "properties": properties}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
# Text the API accepts: NUL is refused (400 `invalid_text`) wherever it appears.
TEXT = {"type": "string", "pattern": "^[^\\x00]*$"}
DATETIME = {"type": "string", "format": "date-time", "example": "2026-11-22T15:59:00Z"}
NULLABLE_INT = {"type": "integer", "nullable": True}

SCHEMAS_ANSWER = {"description": 'An option key ("A"), a list of keys (["A","C"]), a boolean, '
                                 "or text, by question kind",
                  "oneOf": [TEXT, {"type": "array", "items": TEXT}, BOOL]}

SCHEMAS = {
    "Error": _obj(["error"], error=_obj(["code", "message"], code=STR, message=STR)),
    "Unit": _obj(["code", "name"], code=STR, name=STR),
    "Token": _obj(["token", "expires_at"], token=STR, expires_at=DATETIME),
    "Me": _obj(["police_no", "name", "unit", "roles", "points"], police_no=STR, name=STR,
               unit=_ref("Unit"),
               roles={"type": "array", "items": {
                   "type": "string", "enum": ["officer", "trainer", "supervisor", "admin"]}},
               points=INT),
    "LessonSummary": _obj(
        ["id", "issue_no", "title", "publish_at", "due_at", "status", "best_score",
         "first_score"],
        id=INT, issue_no=INT, title=STR, publish_at=DATETIME, due_at=DATETIME,
        status={"type": "string", "enum": ["due", "overdue", "done", "optional"]},
        best_score=NULLABLE_INT,
        first_score={**NULLABLE_INT, "description": "The first attempt's score"}),
    "Option": _obj(["key", "text"], key=STR, text=STR),
    "Question": _obj(
        ["id", "kind", "stem", "options"], id=INT,
        kind={"type": "string", "enum": ["single", "multiple", "true_false", "fill_blank"]},
        stem=STR, options={"type": "array", "items": _ref("Option"),
                           "description": "Empty for true_false and fill_blank"}),
    "Lesson": _obj(["id", "title", "body_html", "quiz"], id=INT, title=STR, body_html=STR,
                   quiz=_obj(["pass_score", "questions"], pass_score=INT, questions={
                       "type": "array", "items": _ref("Question")})),
    "Answer": SCHEMAS_ANSWER,
    "AttemptRequest": _obj(
        ["answers", "idempotency_key"],
        answers={"type": "object", "additionalProperties": {**SCHEMAS_ANSWER, "nullable": True},
                 "description": "Question id → answer, for every question of the quiz: an "
                                "attempt that leaves one unanswered (absent, null, empty "
                                "text or empty list) is refused with 422 `unanswered`"},
        idempotency_key={"type": "string", "minLength": 1, "maxLength": 80,
                         "pattern": "^[^\\x00]*[^\\x00\\s][^\\x00]*$", "description":
                         "Chosen by the client (not blank); the same key again returns the "
                         "first result"}),
    "AttemptResult": _obj(
        ["attempt_id", "score", "passed", "points_awarded", "attempts_left", "answers_shown",
         "results"],
        attempt_id=INT, score={"type": "integer", "minimum": 0, "maximum": 100}, passed=BOOL,
        points_awarded=INT,
        attempts_left={**NULLABLE_INT, "description": "null = unlimited"},
        answers_shown={**BOOL, "description":
                       "Review policy (v1.1): true once the caller has passed this quiz, used "
                       "the last allowed attempt, or the lesson's due time has passed; only "
                       "then do results carry correct_answer and explanation"},
        results={"type": "array", "items": _obj(
            ["question_id", "correct"], question_id=INT, correct=BOOL,
            correct_answer={**_ref("Answer"), "description": _WITHHELD},
            explanation={**STR, "description": _WITHHELD})}),
    "AttemptRefusal": _obj(["error"], error=_obj(
        ["code", "message"],
        code={"type": "string", "enum": ["unanswered", "invalid_answer",
                                         "invalid_idempotency_key", "time_limit_exceeded",
                                         "attempts_exhausted", "quiz_not_opened"]},
        message=STR,
        question_ids={"type": "array", "items": INT, "description":
                      "With `unanswered` only: the questions left unanswered"})),
    "Profile": _obj(["points", "hours", "hours_target", "completions"], points=INT,
                    hours={"type": "number", "description": "this year's study hours"},
                    hours_target={"type": "number",
                                  "description": "the yearly target in hours"},
                    completions={
        "type": "array", "items": _obj(
            ["item_type", "item_id", "title", "completed_at", "best_score", "first_score"],
            item_type={"type": "string", "enum": ["lesson", "courseware", "session"]},
            item_id=INT, title=STR, completed_at=DATETIME, best_score=NULLABLE_INT,
            first_score=NULLABLE_INT)}),
    "Category": _obj(["key", "name"], key=STR, name=STR),
    "CoursewareSummary": _obj(["slug", "title", "category"], slug=STR, title=STR,
                              category=_ref("Category")),
    "Courseware": _obj(["slug", "title", "category", "body_html"], slug=STR, title=STR,
                       category=_ref("Category"), body_html=STR),
    "CompletionCounts": _obj(["assigned", "completed", "rate"], assigned=INT, completed=INT,
                             rate={"type": "number", "minimum": 0, "maximum": 1,
                                   "nullable": True,
                                   "description": "completed / assigned; null when none"}),
    "CompletionReport": _obj(
        ["unit", "period", "rows", "total"], unit=_ref("Unit"), period=STR,
        rows={"type": "array", "items": {"allOf": [
            _ref("CompletionCounts"), _obj(
                ["unit"], unit=_ref("Unit"),
                first_score_avg={"type": "number", "nullable": True,
                                 "description": "Average first-attempt score"})]}},
        total=_ref("CompletionCounts")),
}


def _op(op_id: str, summary: str, schema: str, errors: tuple[str, ...],
        status: str = "200", *, secure: bool = True, body: str | None = None,
        parameters: list | None = None) -> dict:
    op = {"operationId": op_id, "summary": summary, "responses": {
        status: {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}},
        **{code: {"$ref": f"#/components/responses/E{code}"} for code in sorted(errors)}}}
    if not secure:
        op["security"] = []
    if body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(body)}}}
    if parameters:
        op["parameters"] = parameters
    return op


def _path_param(name: str, schema: dict, example) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "example": example}


def _query(name: str, description: str, required: bool = False, **schema) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {**TEXT, **schema}}


LESSON_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
# What the server accepts, except week 53 of a year that has 52 (400 `bad_period`).
PERIOD = "^ *2[0-9]{3}([Qq][1-4]|-[Ww](0[1-9]|[1-4][0-9]|5[0-3]))? *$"

PATHS = {
    "/auth/token": {"post": _op(
        "createToken", "Exchange a police number and password for a bearer token", "Token",
        (*DB, "401", "429"), secure=False, body="Credentials")},
    "/me": {"get": _op("getMe", "The caller", "Me", AUTH)},
    "/me/lessons": {"get": _op(
        "listMyLessons", "The caller's weekly lessons, newest first", "LessonList", AUTH,
        parameters=[_query("status", "due = owed, not yet done (due or overdue); all adds optional",
                           enum=["due", "done", "all"], default="all")])},
    "/lessons/{id}": {"get": _op(
        "getLesson", "A lesson and its quiz; nothing in it reveals an answer", "Lesson",
        (*AUTH, "404"), parameters=[_path_param("id", LESSON_ID, 1)])},
    "/lessons/{id}/attempts": {"post": _op(
        "submitAttempt", "Submit a quiz attempt (idempotent per key)", "AttemptResult",
        (*AUTH, "404", "409", "422"), status="201", body="AttemptRequest",
        parameters=[_path_param("id", LESSON_ID, 1)])},  # its 422 is refined below
    "/me/profile": {"get": _op("getMyProfile",
                               "The caller's completions, points and study hours",
                               "Profile", AUTH)},
    "/courseware": {"get": _op(
        "listCourseware", "Published courseware", "CoursewareList", (*AUTH, "404"),
        parameters=[_query("category", "A category key; 404 when there is no such category")])},
    "/courseware/{slug}": {"get": _op(
        "getCourseware", "One published courseware item", "Courseware", (*AUTH, "404"),
        parameters=[_path_param("slug", TEXT, "dangzhang-jiedu")])},
    "/classrooms": {"get": _op(
        "listClassrooms", "Classrooms the caller may see (accepted ones: everyone; applied: "
        "their line and inspectors from other counties; returned and retired: their line)",
        "ClassroomList", (*AUTH, "404"),
        parameters=[_query("type", "A classroom type key; 404 when there is no such type",
                           example="model")])},
    "/reports/completion": {"get": _op(
        "getCompletionReport", "Completion by child unit for a period (supervisors)",
        "CompletionReport", (*AUTH, "403"),
        parameters=[_query("unit", "Unit code (default: the caller's scope)"),
                    _query("period", "2026Q4, 2026-W48 or 2026", required=True,
                           pattern=PERIOD, example="2026Q4")])},
    "/openapi.json": {"get": {"operationId": "getOpenApi", "summary": "This document",
                              "security": [], "responses": {
                                  "200": {"description": "OpenAPI 3.0 document",
                                          "content": {"application/json": {"schema": {
                                              "type": "object"}}}},
                                  **{code: {"$ref": f"#/components/responses/E{code}"}
                                     for code in ANY}}}},
}

SCHEMAS.update({
    "Credentials": _obj(["police_no", "password"], police_no=TEXT, password=TEXT),
    "LessonList": _obj(["lessons"], lessons={"type": "array", "items": _ref("LessonSummary")}),
    "CoursewareList": _obj(["items"], items={"type": "array",
                                             "items": _ref("CoursewareSummary")}),
    "ClassroomType": _obj(["key", "name"], key=STR, name=STR),
    "Lecturer": _obj(["police_no", "name"], police_no=STR, name=STR),
    "Classroom": _obj(
        ["slug", "name", "type", "unit", "status", "lecturers", "sessions_held"],
        slug=STR, name=STR, type=_ref("ClassroomType"),
        unit={**_obj(["code", "name"], code=STR, name=STR), "nullable": True,
              "description": "The running unit; the bureau (the root unit) for a bureau-wide "
                             "sample classroom; null only while the org has no units"},
        status={"type": "string", "enum": ["applied", "accepted", "returned", "retired"]},
        lecturers={"type": "array", "items": _ref("Lecturer"),
                   "description": "Who taught its sessions, by first session"},
        sessions_held={"type": "integer", "minimum": 0,
                       "description": "Sessions that have started"}),
    "ClassroomList": _obj(["classrooms"], classrooms={"type": "array",
                                                      "items": _ref("Classroom")}),
})
PATHS["/lessons/{id}/attempts"]["post"]["responses"]["422"] = {
    "description": "Refused, nothing recorded: `unanswered` (with error.question_ids), "
                   "`invalid_answer` (wrong shape, or a question the quiz does not have), "
                   "`invalid_idempotency_key`, `time_limit_exceeded`, `attempts_exhausted`, "
                   "`quiz_not_opened` (a quiz drawn from the question banks, submitted "
                   "without fetching the lesson first)",
    "content": {"application/json": {"schema": _ref("AttemptRefusal")}}}
SCHEMAS["Credentials"]["example"] = {"police_no": "000004", "password": "zhuhun-demo-2026"}
# Lesson 1's questions as a fresh database syncs the shipped courses/ (.ci/schemathesis sends
# this example and requires it to be accepted: update it when that quiz or the order changes).
SCHEMAS["AttemptRequest"]["example"] = {"answers": {"179": "C", "180": ["A", "B", "D"],
                                                    "181": True, "182": "从严治警", "183": "A"},
                                        "idempotency_key": "6f1c2d0e-attempt-1"}


def _error_response(code: str, text: str) -> dict:
    answer = {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
    if code == "405":  # RFC 9110 §15.5.6
        answer["headers"] = {"Allow": {"required": True, "schema": STR,
                                       "description": "The methods the path takes"}}
    return answer


def document(server_url: str) -> dict:
    """The OpenAPI document, with the server URL the API is mounted at."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "铸魂学堂 Zhuhun LMS API", "version": "1.1.0",
                 "description": "Stable v1 contract. Errors are always "
                                "{\"error\": {\"code\", \"message\"}}. Datetimes are UTC."},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {f"E{code}": _error_response(code, text)
                          for code, text in ERROR_CODES.items()},
        },
    }


@api_bp.get("/openapi.json")
def openapi_document():
    """The API's OpenAPI 3.0 document."""
    return document(request.path.removesuffix("/openapi.json"))
