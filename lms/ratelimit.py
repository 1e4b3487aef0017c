"""The counters behind the LMS's own throttles (sign-in, check-in), on `limits` directly.

The LMS declares no per-route limits, so it needs a shared storage and a strategy, not a
Flask extension: nothing here hooks into the requests of the app it is mounted on.

When the shared storage (Redis) does not answer, sign-in must not fail with it: the counts
move to a per-process memory fallback, loudly logged, and back to the shared storage once
it answers again (tried at most every RETRY_SECONDS). Meanwhile each worker counts for
itself, so limits are looser by the number of workers; /readyz reports Redis as failed.
"""
import logging
import time

from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger("lms.ratelimit")
RETRY_SECONDS = 30


class Throttles:
    """Fixed-window counts in the storage named by RATELIMIT_STORAGE_URI (Redis in
    production, so every worker sees the same counts): `hit`, `test`, `clear`."""

    def __init__(self, storage_uri: str):
        self.uri = storage_uri
        self._shared = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self._local = FixedWindowRateLimiter(MemoryStorage())
        self._failed_at: float | None = None  # when the shared storage last failed

    def hit(self, limit, *keys: str) -> bool:
        """Count one hit; False when the limit was already reached."""
        return self._call("hit", limit, *keys)

    def test(self, limit, *keys: str) -> bool:
        """Whether one more hit would be allowed, counting nothing."""
        return self._call("test", limit, *keys)

    def clear(self, limit, *keys: str) -> None:
        """Forget the count of these keys."""
        self._call("clear", limit, *keys)

    def reset(self) -> None:
        """Forget every count."""
        self._shared.storage.reset()
        self._local.storage.reset()

    @property
    def degraded(self) -> bool:
        """Whether counts are in the per-process fallback right now."""
        return self._failed_at is not None

    def _call(self, method: str, limit, *keys: str):
        if self._failed_at is None or time.monotonic() - self._failed_at > RETRY_SECONDS:
            try:
                answer = getattr(self._shared, method)(limit, *keys)
            except Exception as error:  # the client's own errors differ per storage backend
                if self._failed_at is None:
                    log.error("Rate-limit storage %s is unreachable (%s): counting sign-in "
                              "limits per process until it answers again", self._redacted(),
                              type(error).__name__)
                self._failed_at = time.monotonic()
            else:
                if self._failed_at is not None:
                    log.warning("Rate-limit storage %s answers again", self._redacted())
                    self._failed_at = None
                return answer
        return getattr(self._local, method)(limit, *keys)

    def _redacted(self) -> str:
        return self.uri.split("@")[-1]  # never log a password from the URI
