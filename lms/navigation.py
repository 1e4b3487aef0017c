"""The navigation per role; features appear once their endpoint exists."""
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .domain.org import policy


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
    NavItem("lms.mistakes.index", _l("错题本"), _l("复习答错的题"), lambda u: u.is_officer),
    NavItem("lms.notifications.index", _l("消息"), _l("提醒与通知"), lambda u: True),
    NavItem("lms.studio.index", _l("课件编写"), _l("编写、送审、发布"), policy.can_author),
    NavItem("lms.supervise.dashboard", _l("完成情况"), _l("本单位学习完成率"),
            policy.can_supervise),
    NavItem("lms.admin.units", _l("组织机构"), _l("单位树"), policy.can_administer),
    NavItem("lms.admin.users", _l("用户"), _l("账号与角色"), policy.can_administer),
    NavItem("lms.admin.audit_log", _l("审计日志"), _l("安全事件"), policy.can_administer),
)


def lms_nav() -> list[dict]:
    """The entries the current user may use."""
    if not current_user.is_authenticated:
        return []
    user = current_user.user
    views = current_app.view_functions
    return [{"url": url_for(item.endpoint), "label": item.label, "hint": item.hint,
             "active": request.endpoint == item.endpoint}
            for item in NAV if item.endpoint in views and item.visible(user)]


def init_app(app) -> None:
    """Expose lms_nav() to templates."""
    app.context_processor(lambda: {"lms_nav": lms_nav})
