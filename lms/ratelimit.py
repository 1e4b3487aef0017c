"""The counters behind the LMS's own throttles (sign-in, check-in), on `limits` directly.

The LMS declares no per-route limits, so it needs a shared storage and a strategy, not a
Flask extension: nothing here hooks into the requests of the app it is mounted on.
"""
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter


class Throttles(FixedWindowRateLimiter):
    """Fixed-window counts in the storage named by RATELIMIT_STORAGE_URI (Redis in
    production, so every worker sees the same counts): `hit`, `test`, `clear`."""

    def __init__(self, storage_uri: str):
        super().__init__(storage_from_string(storage_uri))

    def reset(self) -> None:
        """Forget every count."""
        self.storage.reset()
