"""Sign-in limits cannot lock an officer out, and do not tell which police numbers exist:
refusal is per (number, address); the per-number and per-address budgets only slow guessing;
every kind of number answers with the same status after the same single password check."""
import logging
from datetime import timedelta

import pytest
from factories import Factory

from lms import trust_proxies
from lms.auth import throttle
from lms.domain.org.passwords import Passwords
from lms.models import utcnow
from lms.ratelimit import Throttles

ATTACKER, VICTIM_PHONE = "198.51.100.66", "203.0.113.10"  # documentation ranges, no traffic


def sign_in(client, police_no, password=Factory.PASSWORD, address=VICTIM_PHONE, headers=None):
    return client.post("/api/v1/auth/token", json={"police_no": police_no, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {}).status_code


@pytest.fixture
def pauses(monkeypatch, app):
    """The delays sign-in asked for, instead of sleeping them."""
    asked = []
    monkeypatch.setattr(throttle, "pause", asked.append)
    monkeypatch.setitem(app.config, "LMS_LOGIN_DELAY", 2.0)
    return asked


def test_the_officer_signs_in_while_someone_fails_their_number_elsewhere(make, client, pauses):
    secretary = make.user(roles=("officer", "supervisor"))
    attackers = [ATTACKER, "198.51.100.67", "198.51.100.68"]
    for address in attackers:
        for _ in range(6):
            sign_in(client, secretary.police_no, "not-the-password", address=address)
    assert sign_in(client, secretary.police_no, "not-the-password", address=ATTACKER) == 429
    pauses.clear()
    assert sign_in(client, secretary.police_no, address=VICTIM_PHONE) == 200
    assert pauses == [2.0]  # the number is under attack: the officer waits, is not locked out


def test_the_web_form_lets_the_officer_in_too(make, client, login):
    officer = make.user()
    for _ in range(6):
        client.post("/login", data={"police_no": officer.police_no, "password": "x" * 12},
                    environ_base={"REMOTE_ADDR": ATTACKER})
    answer = client.post("/login", data={"police_no": officer.police_no,
                                         "password": Factory.PASSWORD},
                         environ_base={"REMOTE_ADDR": VICTIM_PHONE})
    assert answer.status_code == 302


def test_guessing_past_the_number_budget_is_slowed_not_refused(make, client, pauses):
    officer = make.user()
    addresses = [f"198.51.100.{n}" for n in range(12)]  # a botnet: one guess per address
    answers = [sign_in(client, officer.police_no, "guess-password", address=a) for a in addresses]
    assert answers == [401] * 12
    assert len(pauses) == 2  # the 11th and 12th guesses at the number waited


def test_spraying_numbers_from_one_address_is_slowed_and_colleagues_behind_it_sign_in(
        app, make, client, pauses, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_LOGIN_ADDRESS_BUDGET", "5 per 15 minutes")
    colleague = make.user()
    answers = [sign_in(client, f"9{n:05d}", "spray-password", address=ATTACKER) for n in range(8)]
    assert answers == [401] * 8 and len(pauses) == 3
    assert sign_in(client, colleague.police_no, address=ATTACKER) == 200  # same station NAT


@pytest.fixture
def counted_checks(monkeypatch):
    """How many argon2 verifications each sign-in spends."""
    calls = []
    real = Passwords.verify

    def verify(self, stored, secret):
        calls.append(stored)
        return real(self, stored, secret)
    monkeypatch.setattr(Passwords, "verify", verify)
    return calls


def test_every_kind_of_number_answers_alike(make, db, client, counted_checks):
    active = make.user()
    inactive = make.user(active=False)
    pending = make.user(password=None)
    pending.activation_hash = "hmac$" + "0" * 64
    pending.activation_expires_at = utcnow() + timedelta(days=3)
    db.commit()
    numbers = {"unknown": "777777", "inactive": inactive.police_no,
               "pending": pending.police_no, "active": active.police_no}
    seen = {}
    for kind, number in numbers.items():
        counted_checks.clear()
        seen[kind] = [sign_in(client, number, "wrong-password-1") for _ in range(7)]
        # one argon2 check per answered attempt, none for refused ones
        assert len(counted_checks) == 5, kind
    assert len({tuple(s) for s in seen.values()}) == 1
    assert seen["active"] == [401] * 5 + [429] * 2


def test_forwarded_addresses_are_the_ones_counted(app, make, client):
    plain = app.wsgi_app
    trust_proxies(app, 1)
    try:
        officer = make.user()
        for _ in range(6):
            sign_in(client, officer.police_no, "not-the-password", address="127.0.0.1",
                    headers={"X-Forwarded-For": ATTACKER})
        assert sign_in(client, officer.police_no, address="127.0.0.1",
                       headers={"X-Forwarded-For": ATTACKER}) == 429
        assert sign_in(client, officer.police_no, address="127.0.0.1",
                       headers={"X-Forwarded-For": VICTIM_PHONE}) == 200
    finally:
        app.wsgi_app = plain


def test_sign_in_keeps_working_when_redis_is_down(app, make, client, caplog):
    state = app.extensions["lms"]
    shared, state.limiter = state.limiter, Throttles("redis://127.0.0.1:1/0")  # nobody there
    try:
        officer = make.user()
        with caplog.at_level(logging.ERROR, logger="lms.ratelimit"):
            assert sign_in(client, officer.police_no, "wrong-password-1") == 401
            assert sign_in(client, officer.police_no) == 200
        assert state.limiter.degraded
        assert [r.levelname for r in caplog.records if r.name == "lms.ratelimit"] == ["ERROR"]
        for _ in range(5):  # the per-process fallback still limits
            sign_in(client, officer.police_no, "wrong-password-1")
        assert sign_in(client, officer.police_no, "wrong-password-1") == 429
    finally:
        state.limiter = shared
