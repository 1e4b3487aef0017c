"""Notifications: stored in the app; delivery elsewhere (the messaging app) is pluggable."""
from importlib import import_module
from typing import Protocol

from .models import Notification


class Notifier(Protocol):
    """Delivers notifications that have been stored; implementations must not raise."""

    def deliver(self, notifications: list[Notification]) -> None: ...


class StoreOnlyNotifier:
    """The default: notifications live in the app's inbox only."""

    def deliver(self, notifications: list[Notification]) -> None:
        """Nothing to push."""


def load_notifier(dotted: str) -> Notifier:
    """Instantiate `module:Class` from configuration."""
    module_name, _, class_name = dotted.partition(":")
    return getattr(import_module(module_name), class_name)()
