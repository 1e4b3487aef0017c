"""Flask-Babel: Chinese first (msgids are the Chinese UI text), English available."""
from flask import current_app, has_request_context, request, session
from flask_babel import Babel, get_translations

from .paths import PACKAGE_DIR


def select_locale() -> str:
    """The session's chosen language, else the default (Chinese)."""
    chosen = session.get("lms_lang")
    if chosen in current_app.config["LMS_LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Every user sees the bureau's time zone."""
    return current_app.config["LMS_TIMEZONE"]


def init_babel(app) -> None:
    """Register Flask-Babel with our catalogue folder."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PACKAGE_DIR / "translations"))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["LMS_TIMEZONE"])
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Flask-Babel's template callables resolve context, domain and catalogue on every `_()`
    # (~40 per page); resolve the catalogue once per request instead.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def _translations():
    """The request's catalogue, looked up once per request (outside one, every time)."""
    if not has_request_context():
        return get_translations()
    translations = request.environ.get("lms.translations")
    if translations is None:
        translations = request.environ["lms.translations"] = get_translations()
    return translations


def is_english() -> bool:
    """Whether the current request renders in English."""
    return select_locale() == "en" if request else False
