"""The navigation per role; features appear once their endpoint exists."""
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, url_for
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


def lms_nav() -> list[dict]:
    """The entries the current user may use; 消息 carries the unread count as `badge`
    (computed once per request: both the desktop bar and the phone tabs show it)."""
    if not current_user.is_authenticated:
        return []
    # Kept on the request, not on g: an app context (so g) may outlive one request.
    cached = request.environ.get("lms.nav")
    if cached is None:
        user = current_user.user
        views = current_app.view_functions
        urls = _nav_urls()
        cached = request.environ["lms.nav"] = [
            {"endpoint": item.endpoint, "url": urls[item.endpoint], "label": item.label,
             "hint": item.hint, "active": request.endpoint == item.endpoint,
             "badge": (_unread(user.id) if item.endpoint == INBOX else 0)}
            for item in NAV if item.endpoint in views and item.visible(user)]
    return cached


UNREAD_KEY = "lms.unread"  # request.environ: a view that read the count already puts it here


def _unread(user_id: int) -> int:
    """The unread count, unless the view read it with its own statement."""
    known = request.environ.get(UNREAD_KEY)
    return inbox.unread_count(db_session(), user_id) if known is None else known


NAV_URL_ROOTS = 4  # script roots whose URLs are kept; a deployment has one or two


def _nav_urls() -> dict[str, str]:
    """The entries' URLs: the same for every request under one script root, so built once
    (url_for costs several microseconds each, and a page shows up to fourteen entries).
    Built per request instead when the app has URL defaults, which may vary them, and past
    NAV_URL_ROOTS script roots: behind a proxy that passes the client's X-Forwarded-Prefix
    on, the script root is the client's to choose, and the cache must not grow with it."""
    built = state().extras.setdefault("nav_urls", {})
    urls = None if current_app.url_default_functions else built.get(request.script_root)
    if urls is None:
        urls = {e: url_for(e) for e in current_app.view_functions if e in NAV_ENDPOINTS}
        if not current_app.url_default_functions and len(built) < NAV_URL_ROOTS:
            built[request.script_root] = urls
    return urls


def lms_tabs() -> dict:
    """The phone's tab bar: `main` (at most three entries besides 首页) and `more`."""
    items = lms_nav()
    by_endpoint = {item["endpoint"]: item for item in items}
    chosen = [e for e in TAB_PREFERENCE if e in by_endpoint][:2]
    if INBOX in by_endpoint:
        chosen.append(INBOX)
    main = [by_endpoint[e] for e in chosen]
    more = [item for item in items if item["endpoint"] not in chosen]
    return {"main": main, "more": more,
            "more_active": any(item["active"] for item in more),
            "more_badge": sum(item["badge"] for item in more)}


def init_app(app) -> None:
    """Expose lms_nav() and lms_tabs() to templates."""
    app.context_processor(lambda: {"lms_nav": lms_nav, "lms_tabs": lms_tabs})
