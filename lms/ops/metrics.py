"""Prometheus metrics of the LMS, in a registry of its own (never the host's global one).

Under gunicorn every worker counts for itself; set PROMETHEUS_MULTIPROC_DIR (prometheus-client's
multiprocess mode) to have `/metrics` sum all workers."""
import os
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# Endpoints whose successful answers are a submitted attempt (the HTML form and the API).
ATTEMPT_ENDPOINTS = frozenset({"lms.api.submit_attempt", "lms.lessons.submit",
                               "lms.quiz.submit_courseware_quiz"})


@dataclass
class Metrics:
    """The LMS's collectors; the `lms_state` figures are read from the database when scraped."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self):
        self.latency = Histogram(
            "lms_request_duration_seconds", "Time to answer a request, per endpoint.",
            ["endpoint", "method"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.attempts = Counter(
            "lms_attempts_submitted", "Quiz attempts answered successfully (replays included).",
            registry=self.registry)
        self.scraped = Gauge(
            "lms_state", "Figures read from the database when scraped.", ["name"],
            registry=self.registry, multiprocess_mode="max")
        # The histogram's child per (endpoint, method): `labels()` validates the values and
        # takes the registry's lock on every call; the children themselves never change.
        self._latency_of: dict[tuple, Histogram] = {}

    def observe(self, endpoint: str | None, method: str, status: int, seconds: float) -> None:
        """Record one answered request."""
        key = (endpoint, method)
        latency = self._latency_of.get(key)
        if latency is None:
            latency = self._latency_of[key] = self.latency.labels(endpoint or "unmatched",
                                                                  method)
        latency.observe(seconds)
        if endpoint in ATTEMPT_ENDPOINTS and status < 400:
            self.attempts.inc()

    def exposition(self, figures: dict[str, float]) -> bytes:
        """The text format, with the scrape-time `figures` set first."""
        for name, value in figures.items():
            self.scraped.labels(name).set(value)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def clock() -> float:
    """A monotonic clock for request timing."""
    return time.perf_counter()
