"""The navigation per role; features appear once their endpoint exists."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .domain.org import policy
from .domain.reminders import inbox
from .web import db_session, state


@dataclass(frozen=True)
class NavItem:
    """A navigation entry shown to users for whom `visible(user)` holds."""

    endpoint: str
    label: str
    hint: str
    visible: Callable


NAV = (
    NavItem("lms.lessons.index", _l("微课堂"), _l("每周政治练兵小课堂"), lambda u: u.is_officer),
    NavItem("lms.catalog.index", _l("课件"), _l("三类精品课件"), lambda u: True),
    NavItem("lms.classrooms.index", _l("课堂"), _l("五大课堂"), lambda u: True),
    NavItem("lms.profile.index", _l("学习档案"), _l("我的学习记录与积分"), lambda u: u.is_officer),
    # Officers reach it from their profile (学习档案); lecturers without one from here.
    NavItem("lms.claims.index", _l("积分申报"), _l("活动积分申报"),
            lambda u: u.is_trainer and not u.is_officer),
    NavItem("lms.claims.review", _l("积分审批"), _l("审批支部积分申报"),
            lambda u: u.is_supervisor),
    NavItem("lms.mistakes.index", _l("错题本"), _l("复习答错的题"), lambda u: u.is_officer),
    NavItem("lms.notifications.index", _l("消息"), _l("提醒与通知"), lambda u: True),
    NavItem("lms.studio.index", _l("课件编写"), _l("编写、送审、发布"), policy.can_author),
    NavItem("lms.supervise.dashboard", _l("完成情况"), _l("本单位学习完成率"),
            policy.can_supervise),
    NavItem("lms.admin.units", _l("组织机构"), _l("单位树"), policy.can_administer),
    NavItem("lms.admin.users", _l("用户"), _l("账号与角色"), policy.can_administer),
    NavItem("lms.admin.roster", _l("名单导入"), _l("上传花名册，预览后导入"),
            policy.can_administer),
    NavItem("lms.admin.audit_log", _l("审计日志"), _l("安全事件"), policy.can_administer),
)


NAV_ENDPOINTS = frozenset(item.endpoint for item in NAV)
INBOX = "lms.notifications.index"
# The phone's bottom tab bar: 首页, the first two of these the user has, 消息, then 更多.
TAB_PREFERENCE = ("lms.lessons.index", "lms.supervise.dashboard", "lms.profile.index",
                  "lms.studio.index", "lms.admin.users", "lms.catalog.index",
                  "lms.classrooms.index")


class Shown(NamedTuple):
    """A navigation entry as one page shows it: plain values, so a page's entries can key
    their rendered markup (`fragments.once`)."""

    endpoint: str
    url: str
    label: str
    hint: str
    active: bool
    badge: int


class Tabs(NamedTuple):
    """The phone's tab bar: `main` (at most three entries besides 首页) and `more`."""

    main: tuple[Shown, ...]
    more: tuple[Shown, ...]
    more_active: bool
    more_badge: int


def lms_nav() -> tuple[Shown, ...]:
    """The entries the current user may use; 消息 carries the unread count as `badge`
    (computed once per request: both the desktop bar and the phone tabs show it)."""
    if not current_user.is_authenticated:
        return ()
    # Kept on the request, not on g: an app context (so g) may outlive one request.
    environ = request.environ
    cached = environ.get("lms.nav")
    if cached is None:
        # The signed-in user's roles; a view that checked the session in its own
        # statement has them without loading the `User` (`auth.session.SessionUser`).
        user, endpoint = current_user._get_current_object(), request.endpoint
        cached = environ["lms.nav"] = tuple(
            Shown(e, url, label, hint, endpoint == e, _unread(user.id) if e == INBOX else 0)
            for e, url, label, hint in _entries(tuple(item.visible(user) for item in NAV)))
    return cached


def _entries(visible: tuple[bool, ...]) -> tuple[tuple[str, str, str, str], ...]:
    """(endpoint, url, label, hint) of the entries a user with these `visible` flags has, in
    the request's language: the same for every such request under one script root and
    language, so kept beside the URLs (`_nav_urls`) when those are."""
    urls, kept = _nav_urls()
    key = (str(get_locale()), visible)
    entries = kept.get(key) if kept is not None else None
    if entries is None:
        views = current_app.view_functions
        entries = tuple((item.endpoint, urls[item.endpoint], str(item.label), str(item.hint))
                        for item, shown in zip(NAV, visible, strict=True)
                        if shown and item.endpoint in views)
        if kept is not None:
            kept[key] = entries
    return entries


UNREAD_KEY = "lms.unread"  # request.environ: a view that read the count already puts it here


def _unread(user_id: int) -> int:
    """The unread count, unless the view read it with its own statement."""
    known = request.environ.get(UNREAD_KEY)
    return inbox.unread_count(db_session(), user_id) if known is None else known


NAV_URL_ROOTS = 4  # script roots whose URLs are kept; a deployment has one or two


def _nav_urls() -> tuple[dict[str, str], dict | None]:
    """The entries' URLs, and a dict to keep what is built from them (None: keep nothing):
    the same for every request under one script root, so built once (url_for costs several
    microseconds each, and a page shows up to fourteen entries). Built per request instead
    when the app has URL defaults, which may vary them, and past NAV_URL_ROOTS script roots:
    behind a proxy that passes the client's X-Forwarded-Prefix on, the script root is the
    client's to choose, and the cache must not grow with it."""
    built = state().extras.setdefault("nav_urls", {})
    hit = None if current_app.url_default_functions else built.get(request.script_root)
    if hit is None:
        hit = ({e: url_for(e) for e in current_app.view_functions if e in NAV_ENDPOINTS}, {})
        if current_app.url_default_functions or len(built) >= NAV_URL_ROOTS:
            return hit[0], None
        built[request.script_root] = hit
    return hit


def lms_tabs() -> Tabs:
    """The phone's tab bar: 首页, the first two of TAB_PREFERENCE the user has, 消息, and
    the rest under 更多."""
    items = lms_nav()
    by_endpoint = {item.endpoint: item for item in items}
    chosen = [e for e in TAB_PREFERENCE if e in by_endpoint][:2]
    if INBOX in by_endpoint:
        chosen.append(INBOX)
    more = tuple(item for item in items if item.endpoint not in chosen)
    return Tabs(tuple(by_endpoint[e] for e in chosen), more, any(item.active for item in more),
                sum(item.badge for item in more))


def init_app(app) -> None:
    """Expose lms_nav() and lms_tabs() to templates."""
    app.context_processor(lambda: {"lms_nav": lms_nav, "lms_tabs": lms_tabs})
