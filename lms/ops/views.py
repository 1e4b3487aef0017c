"""`/healthz`, `/readyz` and `/metrics` at the mount point's root, for probes and Prometheus."""
import hmac
from datetime import UTC
from ipaddress import ip_address, ip_network

from flask import Blueprint, abort, current_app, request

from ..domain import audit
from ..domain.reminders import escalation, outbox
from ..web import db_session, state
from . import health

ops_bp = Blueprint("ops", __name__)


@ops_bp.get("/healthz")
def healthz():
    """200 while the process serves requests; touches nothing else."""
    return {"status": "ok"}


@ops_bp.get("/readyz")
def readyz():
    """200 when the database answers at the migrations' head and Redis answers where
    configured; else 503 naming the failed checks."""
    checks = health.check_database(state().db.engine)
    checks += health.check_storage(current_app.config["RATELIMIT_STORAGE_URI"])
    failed = [c for c in checks if not c.ok]
    # Which check failed is for everyone (a load balancer); why (revision ids, driver error
    # names) only for the callers that may read /metrics.
    detailed = _may_scrape()
    body = {"status": "fail" if failed else "ok",
            "checks": {c.name: "ok" if c.ok else f"fail: {c.detail}" if detailed else "fail"
                       for c in checks}}
    return body, 503 if failed else 200


@ops_bp.get("/metrics")
def metrics():
    """Prometheus text format, for allowed addresses or the configured bearer token."""
    if not _may_scrape():
        abort(403)
    text = state().extras["metrics"].exposition(_figures(db_session()))
    return text, 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}


def _figures(db) -> dict[str, float]:
    """What the database knows that a scrape should show: the outbox backlog and when the
    reminders last ran to the end (Unix time; 0 if never)."""
    waiting, dead = outbox.backlog(db)
    last_run = audit.last_at(db, escalation.RUN_ACTION)
    return {"notifications_waiting": waiting, "notifications_dead": dead,
            "reminders_last_success_timestamp":
                last_run.replace(tzinfo=UTC).timestamp() if last_run else 0}


def _may_scrape() -> bool:
    config = current_app.config
    token = config.get("LMS_METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ip_network(net) for net in config["LMS_METRICS_ALLOW"])
