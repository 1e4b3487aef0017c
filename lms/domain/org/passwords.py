"""Password hashing (argon2id) and the password rules; no Flask."""
import hashlib
import hmac
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
# argon2 has no 72-byte limit like bcrypt; the cap only bounds hashing work per request.
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The vendored list of common passwords (lower-cased)."""
    text = resources.files("lms").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problems(password: str, police_no: str = "") -> list[str]:
    """Why `password` is not acceptable (empty when it is); messages are Chinese UI text."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码不能超过 {MAX_LENGTH} 个字符")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) <= 2:
        problems.append("这个密码太常见，容易被猜中，请换一个")
    if police_no and police_no.lower() in lowered:
        problems.append("密码不能包含警号")
    return problems


class Passwords:
    """An argon2id hasher with the configured cost, and a keyed hash for activation codes."""

    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4,
                 pepper: str = ""):
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                      parallelism=parallelism, type=Type.ID)
        self._pepper = pepper.encode()

    def hash_code(self, code: str) -> str:
        """HMAC-SHA256 of a one-time activation code.

        Codes are random (~50 bits) and short-lived, so a keyed fast hash is enough; argon2
        for each of 30,000 imported accounts would take half an hour.
        """
        return "hmac$" + hmac.new(self._pepper, code.strip().upper().encode(),
                                  hashlib.sha256).hexdigest()

    def verify_code(self, stored: str | None, code: str) -> bool:
        """Whether `code` matches a stored activation-code hash."""
        return bool(stored) and hmac.compare_digest(stored, self.hash_code(code))

    def hash(self, secret: str) -> str:
        """A new argon2id hash of `secret`."""
        return self._hasher.hash(secret)

    def verify(self, stored: str | None, secret: str) -> bool:
        """Whether `secret` matches `stored`; False for a missing or malformed hash."""
        if not stored:
            return False
        try:
            return self._hasher.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether `stored` was made with weaker parameters than the current ones."""
        return self._hasher.check_needs_rehash(stored)
