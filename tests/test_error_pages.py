"""The standalone app is the LMS: every error, on a route or on no route at all, gets the
LMS's Chinese page, and JSON in the shape of DESIGN §5 under the API."""
import logging

import pytest


def crash():
    raise RuntimeError("an LMS bug")


@pytest.mark.parametrize("method, url, status, message", [
    ("get", "/no-such-page", 404, "页面不存在，可能已被移除。"),
    ("get", "/lessons/0", 404, "页面不存在，可能已被移除。"),  # not an id: no route matches
    ("delete", "/login", 405, "不支持这种操作。"),
])
def test_urls_that_match_no_route_get_the_lms_page(client, method, url, status, message):
    response = getattr(client, method)(url)
    assert response.status_code == status and response.mimetype == "text/html"
    assert message in response.text and "返回首页" in response.text


def test_a_crash_gets_the_lms_page_without_details_and_is_logged(app, client, monkeypatch,
                                                                 caplog):
    monkeypatch.setitem(app.view_functions, "lms.auth.login", crash)
    with caplog.at_level(logging.ERROR):
        response = client.get("/login")
    assert response.status_code == 500
    assert "系统出错了" in response.text and "an LMS bug" not in response.text
    assert any(record.exc_info and "an LMS bug" in str(record.exc_info[1])
               for record in caplog.records)


@pytest.mark.parametrize("method, url, status, code", [
    ("get", "/api/v1/no-such-thing", 404, "not_found"),
    ("get", "/api/v1/lessons/0", 404, "not_found"),
    ("delete", "/api/v1/me", 405, "method_not_allowed"),
    ("put", "/api/v1/auth/token", 405, "method_not_allowed"),
    ("get", "/api/v1/openapi.json", 500, "internal_server_error"),
])
def test_the_api_answers_every_error_in_json(app, client, monkeypatch, method, url, status,
                                             code):
    monkeypatch.setitem(app.view_functions, "lms.api.openapi_document", crash)
    response = getattr(client, method)(url)
    assert response.status_code == status and response.is_json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"] and "an LMS bug" not in response.text
    if status == 405:
        assert response.headers["Allow"]
