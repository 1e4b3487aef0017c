"""Login limits: per police number, and per address only for unknown numbers.

Officers share NAT addresses, so an address is never blocked for numbers that exist:
guessing against one account locks that account's guessing, not its colleagues.

An attempt is counted *before* the password is checked: checking first and counting after
let twenty parallel guesses through a limit of five (argon2 takes ~100 ms per check).
A successful sign-in clears the count, so only failures accumulate.
"""
from flask import current_app
from limits import parse

from ..web import state


def _limit_and_key(police_no: str, address: str, known: bool):
    config = current_app.config
    if known:
        return parse(config["LMS_LOGIN_LIMIT"]), ("number", police_no.strip().lower())
    return parse(config["LMS_UNKNOWN_LOGIN_LIMIT"]), ("address", address or "-")


def take_attempt(police_no: str, address: str, known: bool) -> bool:
    """Count one attempt; False when the limit is already used up (the caller must refuse)."""
    limit, key = _limit_and_key(police_no, address, known)
    return state().limiter.hit(limit, "lms-login", *key)


def forgive(police_no: str, address: str, known: bool) -> None:
    """A successful sign-in: forget this number's earlier attempts."""
    limit, key = _limit_and_key(police_no, address, known)
    state().limiter.clear(limit, "lms-login", *key)
