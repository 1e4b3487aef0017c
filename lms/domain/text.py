"""Which text the LMS accepts where it enters, and making stored text safe to show; no Flask.

Refused: NUL (PostgreSQL cannot store it) and lone surrogates U+D800–U+DFFF (not Unicode
characters: JSON's "\\ud800" escape decodes to one in Python, and no UTF-8 encoder will write
it, so a page, a file or a database row holding one fails as a whole). Bytes that are not
UTF-8 are refused before they become text at all.
"""
import re
from urllib.parse import unquote_to_bytes

_REFUSED = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def is_valid_text(text: str) -> bool:
    """Whether the text holds neither NUL nor a lone surrogate."""
    if "\x00" in text:
        return False
    # Encoding fails exactly on a surrogate, ~3x faster than a regular expression: every
    # value a page shows passes here (templating.shown_output).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def utf8_text(data: bytes) -> str | None:
    """The bytes as text when they are valid UTF-8 without NUL, else None."""
    try:
        text = data.decode("utf-8")  # strict: also refuses UTF-8-encoded surrogates
    except UnicodeDecodeError:
        return None
    return text if is_valid_text(text) else None


def is_valid_urlencoded(raw: bytes) -> bool:
    """Whether a query string or form body percent-decodes to valid text (`+` is a space)."""
    return utf8_text(unquote_to_bytes(raw.replace(b"+", b" "))) is not None


def first_invalid_line(text: str) -> int | None:
    """The 1-based line of the first refused character, or None when the text is valid."""
    found = _REFUSED.search(text)
    return None if found is None else text.count("\n", 0, found.start()) + 1


def shown(text: str) -> str:
    """Stored text as it can be shown or written: each refused character becomes U+FFFD."""
    return _REFUSED.sub(REPLACEMENT, text) if isinstance(text, str) else text
