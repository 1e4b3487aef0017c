"""How long an item takes: its text at about 400 characters a minute plus its quiz.

`estimated_minutes` in course files is set from this (tools/set_minutes.py) and a test keeps
the shipped files in step; sync reads the number as written, so an author can still override
it for a file that is not in `courses/`.
"""

from __future__ import annotations

import math
import re

CHARS_PER_MINUTE = 400
MINUTES_PER_QUESTION = 0.5  # read the stem and options, choose, check
_MARKUP = re.compile(r"[\s#*|>`_\[\]-]+")


def reading_chars(body_md: str) -> int:
    """Characters a reader reads: the body without whitespace and Markdown markup."""
    return len(_MARKUP.sub("", body_md))


def estimate_minutes(body_md: str, questions: int) -> int:
    """Whole minutes, rounded up, to read ``body_md`` and answer ``questions`` questions."""
    minutes = reading_chars(body_md) / CHARS_PER_MINUTE + questions * MINUTES_PER_QUESTION
    return max(1, math.ceil(minutes))
