"""Logging for the standalone app: one line per record, JSON in production, each with the
request id. A host app that mounts the LMS keeps its own logging; only the request-id
filter on `app.logger` is added there."""
import json
import logging
import sys
from datetime import UTC, datetime

from .requests import RequestIdFilter


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC), level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure(log_format: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr, as JSON or as text, with request ids."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else
                         logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
