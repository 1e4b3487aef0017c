"""Failed-login limits: per police number, and per address only for unknown numbers.

Officers share NAT addresses, so an address is never blocked for numbers that exist:
guessing against one account locks that account's guessing, not its colleagues.
"""
from flask import current_app
from limits import parse

from ..extension import state


def _limits():
    config = current_app.config
    return parse(config["LMS_LOGIN_LIMIT"]), parse(config["LMS_UNKNOWN_LOGIN_LIMIT"])


def _key(police_no: str, address: str, known: bool) -> tuple[str, str]:
    return ("number", police_no.strip().lower()) if known else ("address", address or "-")


def login_blocked(police_no: str, address: str, known: bool) -> bool:
    """Whether further attempts for this number (or unknown numbers from this address) wait."""
    per_number, per_address = _limits()
    limit = per_number if known else per_address
    return not state().limiter.limiter.test(limit, "lms-login", *_key(police_no, address, known))


def record_failure(police_no: str, address: str, known: bool) -> None:
    """Count one failed attempt."""
    per_number, per_address = _limits()
    limit = per_number if known else per_address
    state().limiter.limiter.hit(limit, "lms-login", *_key(police_no, address, known))
