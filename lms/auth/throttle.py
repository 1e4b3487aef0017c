"""Sign-in limits that an attacker cannot turn against the officer they target (ASVS 2.2.1).

- Blocking is per (police number, client address): five failures from one address refuse
  that address for that number, so guessing from one place stops there, while the officer
  typing the right password on their own phone still signs in.
- Each number also has a slower budget counted from every address, and each address a
  budget counted over every number (password spraying). Past either, attempts are delayed,
  never refused: guessing slows to a crawl, nobody is locked out, and a shared station NAT
  is never blocked for the officers behind it.
- Every kind of number — unknown, inactive, awaiting activation, active — goes through the
  same counters and the same one password check, so neither the status nor the time of an
  answer tells which numbers exist.

An attempt is counted *before* the password is checked: checking first and counting after
let twenty parallel guesses through a limit of five (argon2 takes ~100 ms per check).
A successful sign-in clears its (number, address) count; the slower budgets just expire.
"""
import time
from ipaddress import IPv6Address, ip_address, ip_network

from flask import current_app
from limits import parse

from ..web import state

SCOPE = "lms-login"


def _number(police_no: str) -> str:
    return (police_no or "").strip().lower()[:64]


def _client(address: str) -> str:
    """The address as one client: an IPv6 address counts as its /64, since one client holds
    a whole /64 and could otherwise try five guesses from each of its 2**64 addresses."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address or "-"
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def take_attempt(police_no: str, address: str) -> bool:
    """Count one attempt; False when this (number, address) has used up its limit (the
    caller must refuse). Past the per-number or per-address budget, first wait."""
    config, limiter = current_app.config, state().limiter
    number, address = _number(police_no), _client(address)
    if not limiter.hit(parse(config["LMS_LOGIN_LIMIT"]), SCOPE, "pair", number, address):
        return False
    over_number = not limiter.hit(parse(config["LMS_LOGIN_NUMBER_BUDGET"]), SCOPE,
                                  "number", number)
    over_address = not limiter.hit(parse(config["LMS_LOGIN_ADDRESS_BUDGET"]), SCOPE,
                                   "address", address)
    if over_number or over_address:
        pause(config["LMS_LOGIN_DELAY"])
    return True


def forgive(police_no: str, address: str) -> None:
    """A successful sign-in: forget this (number, address)'s earlier failures."""
    state().limiter.clear(parse(current_app.config["LMS_LOGIN_LIMIT"]), SCOPE, "pair",
                          _number(police_no), _client(address))


def pause(seconds: float) -> None:
    """Wait before checking a password that is being guessed (a seam for tests)."""
    time.sleep(seconds)
