"""Plain domain logic shared by the views, the JSON API and the CLI (no Flask here)."""
from .reports import unitstats  # noqa: F401  (registers the summary's ORM flush hook)
