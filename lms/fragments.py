"""Markup rendered once per worker: template macros whose output is a function of their
arguments, the language, the time zone and the script root only (a lesson's article, its
blank questions, the navigation), kept under exactly those values.

A change of content, of language or of what a user is shown is a new key, so nothing here
needs invalidating. What is of one session never goes in: a macro called through `once`
is imported without the request's context (no `current_user`, `request`, `session`), and
its callers pass no CSRF token, name or attempt key (tests/test_lesson_fragments.py).
"""
from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup

LIMIT = 4096  # entries per worker; past it the cache starts again (a year is 52 lessons)


def once(template: str, macro: str, *args) -> Markup:
    """`macro` of `template` called with `args` (hashable plain values), rendered the first
    time these values are seen in this worker and remembered."""
    app = current_app
    if app.url_default_functions:  # a host's URL defaults may vary url_for per request
        return Markup(getattr(app.jinja_env.get_template(template).module, macro)(*args))
    extras = app.extensions["lms"].extras
    cache = extras.get("fragments")
    if cache is None:
        cache = extras["fragments"] = {}
    key = (template, macro, args, _scope())
    markup = cache.get(key)
    if markup is None:
        markup = Markup(getattr(app.jinja_env.get_template(template).module, macro)(*args))
        if len(cache) >= LIMIT:
            cache.clear()
        cache[key] = markup
    return markup


def once_each(template: str, macro: str, items, separator: str = "") -> Markup:
    """`once(template, macro, item, position)` for each of `items` (position from 1), joined
    by `separator`: a list's entries remembered one by one, so two lists that share entries
    (a quiz's questions, each in its own option order) share their markup."""
    return Markup(separator).join(once(template, macro, item, position)
                                  for position, item in enumerate(items, 1))


def _scope() -> tuple:
    """What besides its arguments a fragment depends on: the request's language, the time
    zone and the script root (its URLs), found once per request."""
    environ = request.environ
    scope = environ.get("lms.fragment_scope")
    if scope is None:
        scope = environ["lms.fragment_scope"] = (
            str(get_locale()), current_app.config["LMS_TIMEZONE"], request.script_root)
    return scope


def clear() -> None:
    """Forget every remembered fragment (tests; never needed for correctness)."""
    current_app.extensions["lms"].extras.pop("fragments", None)


def init_app(app) -> None:
    """Expose `once` and `once_each` to templates as `lms_once` and `lms_once_each`."""
    app.add_template_global(once, "lms_once")
    app.add_template_global(once_each, "lms_once_each")
