"""Time: stored as naive UTC, shown and reasoned about in the bureau's zone; no Flask."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def to_local(moment: datetime, tz: str) -> datetime:
    """A stored naive-UTC datetime as an aware datetime in `tz`."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def to_utc(local: datetime, tz: str) -> datetime:
    """A naive local datetime in `tz` as naive UTC for storage."""
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def plausible(moment: datetime) -> bool:
    """Whether a time someone typed lies in 1900-2999: near year 1 or 9999 the conversion
    to UTC, or a day added later, overflows datetime (a 500 instead of a form error)."""
    return 1900 <= moment.year <= 2999


def utcnow() -> datetime:
    """Naive UTC now, the one clock request handlers read (tests replace it to freeze time)."""
    return datetime.now(UTC).replace(tzinfo=None)


def epoch_seconds() -> float:
    """utcnow() as seconds since the epoch, for the sign-in times kept in the session."""
    return utcnow().replace(tzinfo=UTC).timestamp()
