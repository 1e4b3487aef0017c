"""Small request-parsing pieces shared by the HTML views and the API."""
from flask import request
from werkzeug.routing import IntegerConverter

# The databases' INTEGER: a larger id cannot exist, and passing it on makes SQLite raise
# OverflowError and PostgreSQL a DataError — a 500 for what is a client's typo.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """`<lms_id:name>`: a positive integer that fits a database id, else the route 404s."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def page_arg(name: str = "page") -> int:
    """The 1-based page number of a listing, clamped to a sane range."""
    return min(max(1, request.args.get(name, 1, type=int)), MAX_PAGE)
