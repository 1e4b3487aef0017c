"""Flask-Babel: Chinese first (msgids are the Chinese UI text), English available."""
from flask import current_app, request, session
from flask_babel import Babel

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


def is_english() -> bool:
    """Whether the current request renders in English."""
    return select_locale() == "en" if request else False
