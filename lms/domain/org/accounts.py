"""Accounts: authentication, activation, passwords, API tokens; no Flask."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ...models import ApiToken, User, utcnow
from .. import audit
from ..reports import unitstats
from . import membership
from .passwords import Passwords, password_problems


class PasswordRejected(ValueError):
    """The new password breaks a rule; `problems` lists which."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt: the user, or why not (for the audit log only)."""

    user: User | None
    reason: str  # ok | unknown | bad_password | inactive | needs_activation


POLICE_NO_MAX = 32


def find_user(db: Session, police_no: str) -> User | None:
    """The user with this police number, if any (a malformed number is simply nobody)."""
    police_no = police_no.strip()
    if not police_no or len(police_no) > POLICE_NO_MAX or "\x00" in police_no:
        return None  # PostgreSQL rejects NUL in text; no stored number is longer
    return db.scalar(select(User).where(User.police_no == police_no))


def authenticate(db: Session, passwords: Passwords, police_no: str, password: str) -> LoginResult:
    """Check a police number and password (or activation code for a new account)."""
    # Every path spends exactly one argon2 check of the current cost, so the time of an
    # answer does not tell unknown, inactive, pending and active numbers apart.
    user = find_user(db, police_no)
    if user is None or not user.active:
        passwords.verify(_DUMMY_HASH.get(passwords), password)
        return LoginResult(None, "unknown" if user is None else "inactive")
    if user.password_hash is None:
        passwords.verify(_DUMMY_HASH.get(passwords), password)
        ok = (user.activation_expires_at is not None and user.activation_expires_at > utcnow()
              and passwords.verify_code(user.activation_hash, password))
        return LoginResult(user if ok else None, "needs_activation" if ok else "bad_password")
    if not passwords.verify(user.password_hash, password):
        return LoginResult(None, "bad_password")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    return LoginResult(user, "ok")


class _DummyHash:
    """A hash per hasher, made lazily, to spend equal time on unknown numbers."""

    def __init__(self):
        self._cache: dict[int, str] = {}

    def get(self, passwords: Passwords) -> str:
        key = id(passwords)
        if key not in self._cache:
            self._cache[key] = passwords.hash(secrets.token_hex(16))
        return self._cache[key]


_DUMMY_HASH = _DummyHash()


def set_password(db: Session, passwords: Passwords, user: User, new_password: str) -> None:
    """Set a password after checking the rules; ends every session and token of the user."""
    problems = password_problems(new_password, user.police_no)
    if problems:
        raise PasswordRejected(problems)
    user.password_hash = passwords.hash(new_password)
    user.activation_hash = user.activation_expires_at = None
    user.session_version += 1
    revoke_tokens(db, user.id)


def awaits_activation(user: User | None, now: datetime) -> bool:
    """Whether a first password may still be set: an active account with no password and
    an unexpired code. Checked again when the password is chosen, since a leaver may be
    deactivated, or the code expire, after the code was typed."""
    return (user is not None and user.active and user.password_hash is None
            and user.activation_expires_at is not None and user.activation_expires_at > now)


def activate(db: Session, passwords: Passwords, user: User, new_password: str,
             ip: str | None = None) -> None:
    """Set the first password after the activation code (audited); PasswordRejected if it
    breaks a rule."""
    set_password(db, passwords, user, new_password)
    audit.record(db, "account_activated", actor_id=user.id, ip=ip)


def sign_out(db: Session, user: User, ip: str | None = None) -> None:
    """Sign out everywhere (audited): bumping the session version voids every copy of the
    session cookie."""
    user.session_version += 1
    audit.record(db, "logout", actor_id=user.id, ip=ip)


def new_activation_code() -> str:
    """A one-time activation code: 10 characters from an unambiguous alphabet (~50 bits)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def hash_token(token: str) -> str:
    """SHA-256 of an API token: tokens are long random strings, so no slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Session, user: User, ttl: timedelta) -> tuple[str, datetime]:
    """A new bearer token (256 random bits) and its expiry; only the hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + ttl
    db.add(ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=expires))
    return token, expires


def user_for_token(db: Session, token: str) -> User | None:
    """The active user owning an unexpired, unrevoked token (`live_token`; user, its unit and
    the token in one query; only the user is built as an ORM object)."""
    digest = hash_token(token)
    row = db.execute(_TOKEN_USER, {"token_hash": digest, "now": utcnow()}).first()
    if row is None:
        return None
    user, token_hash = row
    if not hmac.compare_digest(token_hash, digest):  # the index found it; compare anyway
        return None
    return user


def live_token(user, digest, now) -> tuple:
    """SQL conditions: `digest` (a value or bind) is the SHA-256 of an unrevoked token of
    `user` (the `User` entity or an alias) unexpired at `now`, and the user is active. THE
    token rule: `user_for_token` and the hot reads that check a token inside their one
    statement (`lessonview.read_for_token`) share it. `now` is the wall clock that issued
    the token (`models.utcnow`), not the lessons' clock."""
    return (ApiToken.user_id == user.id, ApiToken.token_hash == digest,
            ApiToken.revoked_at.is_(None), ApiToken.expires_at > now, user.active.is_(True))


class Principal(NamedTuple):
    """What the navigation and the policy checks read of a signed-in user, when a hot read
    has checked the session in its own statement (`lessonview.read_for_user`)."""

    id: int
    name: str
    active: bool
    is_officer: bool
    is_trainer: bool
    is_supervisor: bool
    is_admin: bool


PRINCIPAL_COLUMNS = Principal._fields


def live_session(user, version) -> tuple:
    """SQL conditions: a session naming `user` (the `User` entity or an alias) at session
    `version` (a value or bind) is still signed in: the version is the user's current one
    (signing out, a password change or a reset raises it) and the user is active. THE
    session rule: `session_is_live` is the same rule for a loaded user."""
    return (user.session_version == version, user.active.is_(True))


def session_is_live(user: User | None, version: int) -> bool:
    """`live_session` for a loaded user (or None: no such user)."""
    return user is not None and bool(user.active) and user.session_version == version


# built once (User.unit is a joined eager load, so the unit comes along)
_TOKEN_USER = (select(User, ApiToken.token_hash)
               .join(ApiToken, ApiToken.user_id == User.id)
               .where(*live_token(User, bindparam("token_hash"), bindparam("now"))))


def revoke_tokens(db: Session, user_id: int) -> None:
    """Revoke every live token of a user (password change, deactivation)."""
    db.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=utcnow()))


def deactivate(db: Session, user: User, now: datetime | None = None) -> None:
    """Deactivate an account: its sessions and tokens stop working at once, and from `now`
    it owes no lesson (`directory.deactivate` is the audited entry point)."""
    user.active = False
    user.session_version += 1
    revoke_tokens(db, user.id)
    units = membership.record(db, [user.id], now or utcnow())
    unitstats.rebuild(db, unit_ids=units)
