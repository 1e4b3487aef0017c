"""Security headers on every answer under the mount point, errors for unknown paths included."""
import pytest


@pytest.mark.parametrize("method, path, status", [
    ("get", "/no-such-page", 404), ("get", "/api/v1/no-such-thing", 404),
    ("delete", "/login", 405), ("put", "/api/v1/me", 405)])
def test_error_answers_for_unknown_paths_carry_the_security_headers(client, method, path,
                                                                     status):
    answer = getattr(client, method)(path)
    assert answer.status_code == status
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                   "Referrer-Policy"):
        assert header in answer.headers, header
    assert answer.headers["Cache-Control"] == "no-store"
