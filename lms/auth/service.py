"""The one sign-in procedure shared by the HTML login and the API token endpoint."""
from dataclasses import dataclass

from ..domain import audit
from ..domain.org import accounts
from ..models import User, utcnow
from ..web import unit_of_work
from . import throttle
from .session import passwords


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to."""

    user: User | None
    blocked: bool = False
    needs_activation: bool = False


def sign_in(police_no: str, secret: str, address: str, channel: str) -> SignIn:
    """Check credentials under the failed-login limits and audit the outcome."""
    with unit_of_work() as db:  # the audit event is committed whatever the outcome
        police_no = (police_no or "").strip()
        if not throttle.take_attempt(police_no, address):
            audit.record(db, "login_blocked", target=police_no, ip=address,
                         detail={"via": channel})
            return SignIn(None, blocked=True)
        result = accounts.authenticate(db, passwords(), police_no, secret or "")
        if result.user is None:
            audit.record(db, "login_failed", target=police_no, ip=address,
                         detail={"via": channel, "reason": result.reason})
            return SignIn(None)
        throttle.forgive(police_no, address)
        if result.reason == "needs_activation":
            audit.record(db, "activation_code_used", actor_id=result.user.id, ip=address)
            return SignIn(result.user, needs_activation=True)
        result.user.last_login_at = utcnow()
        audit.record(db, "login", actor_id=result.user.id, ip=address, detail={"via": channel})
        return SignIn(result.user)
