"""Behind the bureau's reverse proxy: the client's real address reaches the audit log (and
the throttles) only when the operator says how many proxies to trust."""
import pytest
from sqlalchemy import select

from lms import trust_proxies
from lms.config import environment_overrides
from lms.models import AuditEvent

NGINX = {"REMOTE_ADDR": "127.0.0.1"}  # the proxy's own address, as the app sees it


@pytest.fixture
def behind_one_proxy(app):
    plain = app.wsgi_app
    trust_proxies(app, 1)
    yield
    app.wsgi_app = plain


def failed_sign_in_address(client, db, forwarded_for: str) -> str:
    answer = client.post("/api/v1/auth/token", json={"police_no": "999999", "password": "x" * 12},
                         headers={"X-Forwarded-For": forwarded_for}, environ_base=NGINX)
    assert answer.status_code == 401
    return db.scalars(select(AuditEvent.ip).where(AuditEvent.action == "login_failed")
                      .order_by(AuditEvent.id.desc())).first()


def test_the_audit_log_records_the_forwarded_client_behind_one_proxy(client, db,
                                                                     behind_one_proxy):
    assert failed_sign_in_address(client, db, "203.0.113.7") == "203.0.113.7"


def test_a_client_cannot_forge_its_address_past_the_trusted_proxy(client, db, behind_one_proxy):
    # nginx appends the address it saw; whatever the client wrote in front is not trusted.
    assert failed_sign_in_address(client, db, "198.51.100.1, 203.0.113.7") == "203.0.113.7"


def test_without_trusted_proxies_forwarded_headers_are_ignored(client, db):
    assert failed_sign_in_address(client, db, "203.0.113.7") == "127.0.0.1"


def test_the_proxy_count_comes_from_the_environment_as_a_number():
    assert environment_overrides({"LMS_TRUSTED_PROXIES": "2"})["LMS_TRUSTED_PROXIES"] == 2
    with pytest.raises(RuntimeError, match="LMS_TRUSTED_PROXIES"):
        environment_overrides({"LMS_TRUSTED_PROXIES": "nginx"})

