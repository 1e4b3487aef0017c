"""Notifiers: how stored notifications leave the LMS (docs/NOTIFICATIONS.md).

A notifier's `send(message)` delivers one `outbox.Message` and raises to fail the try
(`outbox.PermanentFailure` when retrying cannot help); the outbox retries and records.
An older notifier with only `deliver(notifications)` is still called, one at a time.
"""
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from importlib import import_module
from typing import Protocol

from .config import webhook_settings
from .domain.reminders.outbox import DeliveryFailed, Message, PermanentFailure

SIGNATURE_HEADER = "X-LMS-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Answers that no retry can change: the payload or the recipient is wrong. 401/403 are
# left to retry: a wrong secret is fixed by the operator within the retry window.
PERMANENT_STATUSES = {400, 404, 410, 413, 415, 422}
ALIASES = {"webhook": "lms.notify:WebhookNotifier", "store": "lms.notify:StoreOnlyNotifier"}


class Notifier(Protocol):
    """Delivers one notification to the messaging platform; raises when it did not."""

    def send(self, message: Message) -> None: ...


class StoreOnlyNotifier:
    """The default: notifications live in the app's inbox only (no outbox rows at all)."""

    stores_only = True

    def send(self, message: Message) -> None:
        """Nothing to push."""


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would come back as a GET somewhere else: count it as a failure."""

    def redirect_request(self, *args, **kwargs):
        return None


class WebhookNotifier:
    """POSTs each notification as signed JSON to the messaging platform's gateway."""

    def __init__(self, url: str, secret: str, timeout: float = 10.0, public_url: str = "",
                 clock=time.time):
        self.url, self.secret, self.timeout = url, secret, timeout
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        # No proxies from the environment (only lms.config reads it) and no redirects.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   _NoRedirects)

    @classmethod
    def from_config(cls, config) -> "WebhookNotifier":
        """Built from LMS_WEBHOOK_* (checked by lms.config)."""
        return cls(**webhook_settings(config))

    def payload(self, message: Message) -> bytes:
        """The JSON body; `timestamp` (Unix seconds of this try) is inside what is signed."""
        link = message.link
        return json.dumps({
            "id": message.idempotency_key,
            "notification_id": message.id,
            "attempt": message.attempt,
            "timestamp": int(self.clock()),
            "recipient": {"police_no": message.police_no, "name": message.name},
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
            "link": link,
            "url": f"{self.public_url}{link}" if link and self.public_url else None,
            "created_at": message.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    def send(self, message: Message) -> None:
        """One POST; a 2xx answer is delivery, anything else raises."""
        body = self.payload(message)
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: message.idempotency_key,
            SIGNATURE_HEADER: sign(self.secret, body),
            "User-Agent": "zhuhun-lms-notifier/1",
        })
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(4096)
        except urllib.error.HTTPError as error:
            failure = PermanentFailure if error.code in PERMANENT_STATUSES else DeliveryFailed
            raise failure(f"HTTP {error.code} from the gateway: {_snippet(error)}") from None
        except TimeoutError:
            raise DeliveryFailed(f"no answer from the gateway within {self.timeout:g} s") \
                from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise DeliveryFailed(
                    f"no answer from the gateway within {self.timeout:g} s") from None
            raise DeliveryFailed(f"cannot reach the gateway: {error.reason}") from None
        except OSError as error:  # reset or closed while reading the answer
            raise DeliveryFailed(f"connection to the gateway failed: {error}") from None


def _snippet(error: urllib.error.HTTPError) -> str:
    """The start of an error answer's body, on one line."""
    try:
        text = error.read(300).decode("utf-8", "replace")
    except OSError:
        text = ""
    return " ".join(text.split()) or error.reason or ""


def load_notifier(dotted: str, config=None) -> Notifier:
    """Instantiate `module:Class` (or `webhook`, `store`) from configuration; a class with
    `from_config` is given the app's config."""
    module_name, _, class_name = ALIASES.get(dotted, dotted).partition(":")
    cls = getattr(import_module(module_name), class_name)
    if config is not None and hasattr(cls, "from_config"):
        return cls.from_config(config)
    return cls()
