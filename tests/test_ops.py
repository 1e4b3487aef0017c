"""Operations endpoints: liveness, readiness naming what failed, metrics for allowed callers
only, and a request id on every LMS answer."""
import logging
import time

import pytest
from sqlalchemy import text

from lms.ops.health import VERSION_TABLE
from lms.web import state


def test_healthz_answers_while_the_process_serves(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_readyz_is_ok_when_the_database_is_at_head(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json["checks"] == {"database": "ok", "migrations": "ok"}


def test_readyz_names_migrations_behind_head(app, client):
    with app.app_context():
        engine = state().db.engine
        with engine.begin() as conn:
            (head,) = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).one()
            conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'old'"))
        try:
            answer = client.get("/readyz")
        finally:
            with engine.begin() as conn:
                conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = :v"), {"v": head})
    assert answer.status_code == 503
    assert answer.json["checks"]["migrations"].startswith("fail: at ['old']")
    assert answer.json["checks"]["database"] == "ok"


def test_readyz_names_an_unreachable_redis(app, client):
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"  # nothing listens there
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["redis"].startswith("fail")
    assert answer.json["checks"]["database"] == "ok"


def test_readyz_checks_a_reachable_redis(app, client):
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    answer = client.get("/readyz")
    if answer.json["checks"].get("redis", "").startswith("fail"):
        pytest.skip("no Redis on 127.0.0.1:6379 here (CI starts one)")
    assert answer.status_code == 200 and answer.json["checks"]["redis"] == "ok"


def test_metrics_are_served_to_loopback_in_prometheus_text(client):
    client.get("/healthz")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    body = answer.get_data(as_text=True)
    assert 'lms_request_duration_seconds_count{endpoint="lms.ops.healthz",method="GET"}' in body
    assert "lms_attempts_submitted_total" in body
    assert 'lms_state{name="notifications_dead"} 0.0' in body
    assert 'lms_state{name="reminders_last_success_timestamp"} 0.0' in body


def test_metrics_show_the_last_reminders_run_and_the_outbox(client, runner):
    assert runner.invoke(args=["lms", "send-reminders"]).exit_code == 0
    body = client.get("/metrics").get_data(as_text=True)
    line = next(x for x in body.splitlines()
                if x.startswith('lms_state{name="reminders_last_success_timestamp"}'))
    assert abs(float(line.split()[-1]) - time.time()) < 600


def test_metrics_refuse_other_addresses_without_the_token(app, client):
    elsewhere = {"REMOTE_ADDR": "192.0.2.10"}  # a documentation address: no traffic is sent
    assert client.get("/metrics", environ_base=elsewhere).status_code == 403
    app.config["LMS_METRICS_TOKEN"] = "scrape-token-0123456789"
    wrong = client.get("/metrics", environ_base=elsewhere,
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.get("/metrics", environ_base=elsewhere,
                       headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert right.status_code == 200


def test_a_request_id_is_returned_and_a_sane_given_one_is_kept(client):
    generated = client.get("/login").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/login").headers["X-Request-ID"] != generated
    kept = client.get("/login", headers={"X-Request-ID": "edge-42.abc"})
    assert kept.headers["X-Request-ID"] == "edge-42.abc"
    hostile = client.get("/login", headers={"X-Request-ID": "a b<script>" + "x" * 200})
    assert len(hostile.headers["X-Request-ID"]) == 32  # replaced by a fresh one


def test_log_records_carry_the_request_id(app, caplog):
    with app.test_request_context("/login", headers={"X-Request-ID": "trace-7"}):
        with caplog.at_level(logging.WARNING):
            app.logger.warning("hello from a view")
    assert [r.request_id for r in caplog.records if r.message == "hello from a view"] == [
        "trace-7"]


def test_json_log_lines_carry_the_request_id(app):
    import json

    from lms.ops.logs import JsonFormatter
    from lms.ops.requests import RequestIdFilter

    with app.test_request_context("/login", headers={"X-Request-ID": "trace-8"}):
        record = logging.LogRecord("lms", logging.ERROR, __file__, 1, "失败：%s", ("数据库",), None)
        RequestIdFilter().filter(record)
        line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "失败：数据库" and entry["request_id"] == "trace-8"
    assert entry["level"] == "ERROR" and "\n" not in line


def attempts_counted(client) -> float:
    body = client.get("/metrics").get_data(as_text=True)
    return float(next(line for line in body.splitlines()
                      if line.startswith("lms_attempts_submitted_total")).split()[-1])


def test_a_submitted_attempt_is_counted_once_and_a_refused_one_not(app, client, db, make):
    from datetime import timedelta

    from lms.models import utcnow

    officer = make.user()
    lesson = make.lesson(publish_at=utcnow() - timedelta(days=1),
                         due_at=utcnow() + timedelta(days=3), quiz=make.quiz())
    db.commit()
    token = client.post("/api/v1/auth/token", json={
        "police_no": officer.police_no, "password": make.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/lessons/{lesson.id}/attempts"
    before = attempts_counted(client)
    blank = client.post(url, json={"answers": {}, "idempotency_key": "k-0"}, headers=headers)
    assert blank.status_code == 422  # refused: unanswered
    answer = client.post(url, json={"answers": make.answers(lesson.quiz),
                                    "idempotency_key": "k-1"}, headers=headers)
    assert answer.status_code in (200, 201)
    assert attempts_counted(client) == before + 1


def test_readyz_says_why_only_to_callers_allowed_to_scrape(app, client):
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    outside = client.get("/readyz", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert outside.status_code == 503 and outside.json["checks"]["redis"] == "fail"
    inside = client.get("/readyz")
    assert inside.json["checks"]["redis"].startswith("fail: ")
