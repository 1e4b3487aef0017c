"""Template filters shared by every page."""
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .domain import text
from .domain.clock import to_local
from .domain.learning import issues


def lms_datetime(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC datetime in the bureau's time zone."""
    if moment is None:
        return ""
    return to_local(moment, current_app.config["LMS_TIMEZONE"]).strftime(fmt)


def lms_date(moment) -> str:
    """Date part only, in the bureau's time zone."""
    return lms_datetime(moment, "%Y-%m-%d")


def ui_language() -> str:
    """'en' or 'zh' for the current request."""
    return "en" if str(get_locale()) == "en" else "zh"


def issue_name(issue_no: int) -> str:
    """"第N期", or "2025年度第52期" for an earlier season's issue (`domain.learning.issues`)."""
    year, n = issues.split(issue_no)
    return _("第%(n)s期", n=n) if year is None else _("%(year)s年度第%(n)s期", year=year, n=n)


def lesson_label(issue_no: int, title: str) -> str:
    """"第N期 title", unless the title already begins with its issue (most real ones do)."""
    issue = issue_name(issue_no)
    # The title's own prefix is Chinese: in English "Issue 16 第16期 …" would name it twice.
    named = title.startswith((issue, issues.issue_name(issue_no)))
    return title if named else f"{issue} {title}"


def period_name(period) -> str:
    """A report period (`domain.reports.periods.Period`) in the page's language: 2026年第48周."""
    year, _sep, rest = period.key.partition("Q" if period.kind == "quarter" else "-W")
    if period.kind == "year":
        return _("%(y)s年", y=period.key)
    if period.kind == "quarter":
        return _("%(y)s年第%(q)s季度", y=year, q=rest)
    return _("%(y)s年第%(w)s周", y=year, w=int(rest))


def shown_output(value):
    """Every `{{ value }}` of a page: a lone surrogate or NUL stored before the boundary
    refused them (JSON columns can hold one) is shown as U+FFFD, rather than failing the
    whole page when Werkzeug encodes it as UTF-8."""
    if isinstance(value, str) and not text.is_valid_text(value):
        return Markup(text.shown(value)) if isinstance(value, Markup) else text.shown(value)
    return value


def init_app(app) -> None:
    """Register the filters and globals."""
    app.add_template_filter(lms_datetime)
    app.add_template_filter(lms_date)
    app.add_template_global(ui_language)
    app.add_template_global(lesson_label)
    app.add_template_global(issue_name)
    app.add_template_global(period_name)
    if app.jinja_env.finalize is None:  # a host's own finalize is left alone
        app.jinja_env.finalize = shown_output
