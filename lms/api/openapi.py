"""GET /api/v1/openapi.json: the v1 contract (DESIGN §5) as an OpenAPI 3.0 document.

Written by hand, so it says what the contract promises rather than what a framework infers;
tests/test_lessons_api.py checks that every v1 route is described here.
"""
from flask import request

from .blueprint import api_bp

ERROR_CODES = {
    "400": "Malformed request (bad JSON, bad query parameter)",
    "401": "Missing or invalid bearer token",
    "403": "Outside the caller's scope",
    "404": "Not found (or not visible to the caller)",
    "405": "Method not allowed",
    "409": "The idempotency key was already used for another quiz",
    "413": "Request body too large",
    "422": "Well-formed but unacceptable (wrong answer types, unknown question ids, ...)",
    "429": "Too many requests",
    "500": "Server error",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **properties) -> dict:
    return {"type": "object", "required": required, "properties": properties}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time", "example": "2026-11-22T15:59:00Z"}
NULLABLE_INT = {"type": "integer", "nullable": True}

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
        status={"type": "string", "enum": ["due", "overdue", "done"]}, best_score=NULLABLE_INT,
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
    "Answer": {"description": 'An option key ("A"), a list of keys (["A","C"]), a boolean, '
                              "or text, by question kind",
               "oneOf": [STR, {"type": "array", "items": STR}, BOOL]},
    "AttemptRequest": _obj(
        ["answers", "idempotency_key"],
        answers={"type": "object", "additionalProperties": _ref("Answer"),
                 "description": "Question id → answer, for every question of the quiz: an "
                                "attempt that leaves one unanswered (absent, null, empty "
                                "text or empty list) is refused with 422 `unanswered`"},
        idempotency_key={"type": "string", "maxLength": 80, "description":
                         "Chosen by the client; the same key again returns the first result"}),
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
            correct_answer={**_ref("Answer"), "description": "Only when answers_shown"},
            explanation={**STR, "description": "Only when answers_shown"})}),
    "UnansweredError": _obj(["error"], error=_obj(
        ["code", "message", "question_ids"],
        code={"type": "string", "enum": ["unanswered"]}, message=STR,
        question_ids={"type": "array", "items": INT,
                      "description": "The questions left unanswered; nothing was recorded"})),
    "Profile": _obj(["points", "completions"], points=INT, completions={
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


def _op(summary: str, schema: str, errors: tuple[str, ...], status: str = "200", *,
        secure: bool = True, body: str | None = None, parameters: list | None = None) -> dict:
    op = {"summary": summary, "responses": {
        status: {"description": "OK", "content": {"application/json": {"schema": _ref(schema)}}},
        **{code: {"$ref": f"#/components/responses/E{code}"} for code in errors}}}
    if not secure:
        op["security"] = []
    if body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(body)}}}
    if parameters:
        op["parameters"] = parameters
    return op


def _path_param(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, description: str, required: bool = False, **schema) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "string", **schema}}


PATHS = {
    "/auth/token": {"post": _op(
        "Exchange a police number and password for a bearer token", "Token",
        ("400", "401", "413", "429"), secure=False, body="Credentials")},
    "/me": {"get": _op("The caller", "Me", ("401",))},
    "/me/lessons": {"get": _op(
        "The caller's weekly lessons, newest first", "LessonList", ("400", "401"),
        parameters=[_query("status", "due = not yet done (due or overdue)",
                           enum=["due", "done", "all"], default="all")])},
    "/lessons/{id}": {"get": _op(
        "A lesson and its quiz; nothing in it reveals an answer", "Lesson", ("401", "404"),
        parameters=[_path_param("id", INT)])},
    "/lessons/{id}/attempts": {"post": _op(
        "Submit a quiz attempt (idempotent per key)", "AttemptResult",
        ("400", "401", "404", "409", "413", "422"), status="201", body="AttemptRequest",
        parameters=[_path_param("id", INT)])},  # its 422 is refined below
    "/me/profile": {"get": _op("The caller's completions and points", "Profile", ("401",))},
    "/courseware": {"get": _op(
        "Published courseware", "CoursewareList", ("401", "404"),
        parameters=[_query("category", "A category key")])},
    "/courseware/{slug}": {"get": _op(
        "One published courseware item", "Courseware", ("401", "404"),
        parameters=[_path_param("slug", STR)])},
    "/reports/completion": {"get": _op(
        "Completion by child unit for a period", "CompletionReport", ("400", "401", "403"),
        parameters=[_query("unit", "Unit code (default: the caller's scope)"),
                    _query("period", "2026Q4, 2026-W48 or 2026", required=True)])},
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3.0 document"}}}},
}

SCHEMAS.update({
    "Credentials": _obj(["police_no", "password"], police_no=STR, password=STR),
    "LessonList": _obj(["lessons"], lessons={"type": "array", "items": _ref("LessonSummary")}),
    "CoursewareList": _obj(["items"], items={"type": "array",
                                             "items": _ref("CoursewareSummary")}),
})
PATHS["/lessons/{id}/attempts"]["post"]["responses"]["422"] = {
    "description": "Refused, nothing recorded: `unanswered` (with error.question_ids), "
                   "`invalid_answer`, `invalid_idempotency_key`, `time_limit_exceeded`, "
                   "`attempts_exhausted`",
    "content": {"application/json": {"schema": {"oneOf": [_ref("UnansweredError"),
                                                          _ref("Error")]}}}}
SCHEMAS["AttemptRequest"]["example"] = {"answers": {"11": "B", "12": ["A", "C"], "13": True,
                                                    "14": "连"},
                                        "idempotency_key": "6f1c2d0e-attempt-1"}


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
            "responses": {f"E{code}": {"description": text, "content": {
                "application/json": {"schema": _ref("Error")}}}
                for code, text in ERROR_CODES.items()},
        },
    }


@api_bp.get("/openapi.json")
def openapi_document():
    """The API's OpenAPI 3.0 document."""
    return document(request.path.removesuffix("/openapi.json"))
