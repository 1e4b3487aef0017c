"""The OpenAPI document integrators generate clients from: every status an operation can
answer is documented with the error schema, and every example is valid against its schema.

No network: the document is read through the test client; .ci/schemathesis fuzzes a real
server with it.
"""
import json

import jsonschema_rs
import pytest

ERROR_SCHEMAS = {"#/components/schemas/Error", "#/components/schemas/AttemptRefusal"}

# Statuses that depend on what an operation does, beyond the ones every operation shares.
SPECIFIC = {
    ("post", "/auth/token"): {"401", "429"},
    ("get", "/lessons/{id}"): {"404"},
    ("post", "/lessons/{id}/attempts"): {"404", "409", "422"},
    ("get", "/courseware"): {"404"},  # an unknown category
    ("get", "/classrooms"): {"404"},  # an unknown classroom type
    ("get", "/courseware/{slug}"): {"404"},
    ("get", "/reports/completion"): {"403"},
}


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def operations(doc):
    return [(method, path, op) for path, item in doc["paths"].items()
            for method, op in item.items()]


def resolve(doc, node):
    while "$ref" in node:
        target = doc
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        node = target
    return node


def expected_statuses(method, path, op):
    """What the server can answer for this operation, by what the operation is."""
    statuses = {"400", "405", "413", "500"}  # invalid text, wrong method, too big, a bug
    if path != "/openapi.json":
        statuses.add("503")  # the database is down
    if op.get("security", [{"bearer": []}]):
        statuses.add("401")
    if "{" in path:
        statuses.add("404")
    return statuses | SPECIFIC.get((method, path), set())


def test_every_operation_documents_the_statuses_it_can_answer(doc):
    for method, path, op in operations(doc):
        documented = {code for code in op["responses"] if code[0] in "45"}
        assert documented == expected_statuses(method, path, op), f"{method} {path}"


def test_every_error_answer_has_the_error_shape(doc):
    for method, path, op in operations(doc):
        for code, answer in op["responses"].items():
            if code[0] not in "45":
                continue
            schema = resolve(doc, answer)["content"]["application/json"]["schema"]
            assert schema["$ref"] in ERROR_SCHEMAS, f"{method} {path} {code}"
            error = resolve(doc, schema)["properties"]["error"]
            assert {"code", "message"} <= set(error["required"])


def test_a_405_declares_the_allow_header(doc):
    answer = doc["components"]["responses"]["E405"]
    assert answer["headers"]["Allow"]["required"] is True


def test_an_unanswered_refusal_documents_its_question_ids(doc):
    error = doc["components"]["schemas"]["AttemptRefusal"]["properties"]["error"]
    assert "unanswered" in error["properties"]["code"]["enum"]
    assert error["properties"]["question_ids"]["items"] == {"type": "integer"}


def to_json_schema(node):
    """OpenAPI 3.0's dialect as JSON Schema: `nullable` becomes a null alternative."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items()
           if key not in ("nullable", "example")}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def examples(doc):
    """(where, example, schema) for every example in the document."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if "example" in node:
                schema = node["schema"] if node.get("in") else node  # a parameter's, or its own
                found.append((where, node["example"], schema))
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(doc, "#")
    return found


def test_every_example_is_valid_against_its_schema(doc):
    components = {"components": {"schemas": to_json_schema(doc["components"]["schemas"])}}
    found = examples(doc)
    assert {where.split("/")[-1] for where, _, _ in found} >= {"AttemptRequest", "Credentials"}
    for where, example, schema in found:
        validator = jsonschema_rs.Draft4Validator({**components, **to_json_schema(schema)})
        errors = [error.message for error in validator.iter_errors(example)]
        assert not errors, f"{where}: {json.dumps(example, ensure_ascii=False)}: {errors}"


def test_the_example_check_catches_an_invalid_example(doc):
    schema = doc["components"]["schemas"]["AttemptRequest"]
    components = {"components": {"schemas": to_json_schema(doc["components"]["schemas"])}}
    validator = jsonschema_rs.Draft4Validator({**components, **to_json_schema(schema)})
    assert validator.is_valid(schema["example"])
    assert not validator.is_valid({**schema["example"], "idempotency_key": "k" * 81})
    assert not validator.is_valid({"answers": {"1": 3}, "idempotency_key": "k"})
    assert validator.is_valid({"answers": {"1": None}, "idempotency_key": "k"})  # unanswered


def test_api_errors_speak_chinese(client, db, make):
    """Werkzeug's own answers (unknown path, wrong method, a body too big) in Chinese."""
    officer = make.user()
    token = client.post("/api/v1/auth/token", json={
        "police_no": officer.police_no, "password": make.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    answers = [client.get("/api/v1/no-such-thing", headers=headers),
               client.delete("/api/v1/me", headers=headers),
               client.post("/api/v1/lessons/1/attempts", headers=headers,
                           data=b"{" * (3 * 1024 * 1024), content_type="application/json"),
               client.get("/api/v1/courseware?category=%00", headers=headers)]
    assert [answer.status_code for answer in answers] == [404, 405, 413, 400]
    assert answers[1].headers["Allow"]
    for answer in answers:
        message = answer.get_json()["error"]["message"]
        assert any("\u4e00" <= char <= "\u9fff" for char in message), message
        assert not any("a" <= char.lower() <= "z" for char in message.replace("UTF-8", "")
                       .replace("Unicode", "").replace("NUL", "")), message


def test_the_documented_attempt_example_is_accepted_on_the_shipped_courses(client, runner,
                                                                          make):
    """.ci/schemathesis posts the example to a freshly synced database and requires a 201;
    here the same, so a change to lesson 1's quiz that breaks the example fails a test."""
    from lms.paths import COURSES_DIR
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    doc = client.get("/api/v1/openapi.json").get_json()
    example = doc["components"]["schemas"]["AttemptRequest"]["example"]
    officer = make.user(password="correct-horse-battery")
    answer = client.post("/api/v1/auth/token",
                         json={"police_no": officer.police_no, "password": "correct-horse-battery"})
    headers = {"Authorization": f"Bearer {answer.get_json()['token']}"}
    assert client.get("/api/v1/lessons/1", headers=headers).status_code == 200
    answer = client.post("/api/v1/lessons/1/attempts", headers=headers, json=example)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["score"] == 100
