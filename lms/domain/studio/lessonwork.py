"""Weekly micro-lessons written in the studio: the next issue's defaults, and saving a draft
(reading, quiz, schedule, audience) through the sync's own writer; no Flask. The review
workflow is `lessonreview`'s. Nothing here commits: the caller does, once per request.

Who wrote a lesson is kept in the audit log (`lesson_created`, `lesson_saved`), which the
review workflow reads to keep the author from approving their own round.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...models import MicroLesson, Unit, User
from .. import audit, clock
from ..coursefiles import syncapply
from ..coursefiles.specs import LessonSpec
from ..learning import issues
from ..org import policy
from ..reports import unitstats
from . import questions
from .authoring import (
    EDITABLE,
    MINUTES,
    NOTE_MAX,
    READ_SECONDS,
    TEXT_MAX,
    AuthoringError,
    Invalid,
    draw_problems,
    lead_of,
    read_quiz_input,
)
from .authoring import _normal_text as normal_text

ISSUE_MAX = 9999
PUBLISH_AT = time(8, 0)  # Monday morning, as the column has always gone out
DUE_AT = time(23, 59)  # the Sunday after


@dataclass(frozen=True)
class LessonInput:
    """What the lesson form sends; times are local to the bureau, audience unit ids
    (none: the whole bureau)."""

    issue_no: int | None
    title: str
    summary: str
    body_md: str
    publish_at: datetime | None
    due_at: datetime | None
    audience: tuple[int, ...] = ()
    estimated_minutes: int | None = 8
    min_read_seconds: int | None = 120
    quiz_yaml: str = ""
    quiz_draft: questions.QuizDraft | None = None
    note: str = ""


def next_issue_no(db: Session) -> int:
    """The next free issue number: one past the highest ever used (retired ones keep theirs)."""
    # Season-coded back issues (year * 100 + n, lms/domain/learning/issues.py) are not
    # this season's numbering: the next free number is counted among this season's.
    return (db.scalar(select(func.max(MicroLesson.issue_no))
                      .where(MicroLesson.issue_no < issues.SEASON_CODED)) or 0) + 1


def default_times(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """(publish, due) as local times: next Monday 08:00 and the Sunday after it, 23:59."""
    today = clock.to_local(now, tz).date()
    monday = today + timedelta(days=7 - today.weekday())
    return (datetime.combine(monday, PUBLISH_AT),
            datetime.combine(monday + timedelta(days=6), DUE_AT))


def audience_choices(db: Session) -> list[Unit]:
    """Units a trainer picks an audience from: the root, the units right below it, and the
    counties (`policy.is_county`) — the same under a bureau root, bureaus and their counties
    under a province."""
    return list(db.scalars(select(Unit).where(or_(Unit.depth <= 1, policy.is_county()))
                           .order_by(Unit.path)))


def lesson_target(lesson: MicroLesson) -> str:
    """How the audit log names a lesson."""
    return f"lesson:{lesson.issue_no}:{lesson.slug}"


def save_lesson(db: Session, author: User, data: LessonInput, tz: str,
                lesson: MicroLesson | None = None, ip: str | None = None) -> MicroLesson:
    """Create a draft lesson (``lesson=None``) or update a draft; validated whole first.
    Raises Invalid (nothing written) or AuthoringError."""
    policy.require_author(author)
    if lesson is not None and lesson.status != EDITABLE:
        raise AuthoringError("只有草稿可以修改；请先退回或撤回为草稿")
    problems = _check(db, data, lesson)
    quiz, quiz_problems = read_quiz_input(data.quiz_yaml, data.quiz_draft, required=True)
    for name, messages in quiz_problems.items():
        problems.setdefault(name, []).extend(messages)
    for name, messages in draw_problems(db, quiz, data.quiz_draft is not None).items():
        problems.setdefault(name, []).extend(messages)
    if problems:
        raise Invalid(problems)
    codes = dict(db.execute(select(Unit.id, Unit.code).where(Unit.id.in_(data.audience))).all())
    issue_no = lesson.issue_no if lesson is not None else data.issue_no
    spec = LessonSpec(
        issue_no=issue_no, slug=lesson.slug if lesson is not None else _free_slug(db, issue_no),
        title=data.title.strip(),
        summary=data.summary.strip() or lead_of(data.body_md) or data.title.strip(),
        estimated_minutes=data.estimated_minutes, min_read_seconds=data.min_read_seconds,
        publish_at=clock.to_utc(data.publish_at, tz), due_at=clock.to_utc(data.due_at, tz),
        audience=tuple(sorted(codes.values())), body_md=normal_text(data.body_md), quiz=quiz,
        source_path=lesson.source_path if lesson is not None else None,
        source_hash=lesson.source_hash if lesson is not None else None)
    row = lesson or MicroLesson(slug=spec.slug)
    before = syncapply.owing_fields(row) if lesson is not None else None
    if lesson is None:
        db.add(row)
    # The sync's writer: fields, body rendered and sanitized once, quiz by question id.
    syncapply.write_lesson(row, spec, {code: id_ for id_, code in codes.items()})
    row.status = EDITABLE  # the writer marks a file's lesson live; this one is a draft
    db.flush()
    if syncapply.owing_fields(row) != before:  # who owes it (drafts too), on-time counts
        unitstats.rebuild(db, lesson_ids=[row.id])
    audit.record(db, "lesson_saved" if lesson is not None else "lesson_created",
                 actor_id=author.id, target=lesson_target(row), ip=ip,
                 detail={"note": data.note.strip()} if data.note.strip() else None)
    return row


def _check(db: Session, data: LessonInput, lesson: MicroLesson | None) -> dict[str, list[str]]:
    """The lesson file's rules for the fields around the quiz, in Chinese."""
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if lesson is None:
        if data.issue_no is None or not 1 <= data.issue_no <= ISSUE_MAX:
            add("issue_no", f"期号请填写 1 到 {ISSUE_MAX} 之间的整数")
        elif db.scalar(select(MicroLesson.id).where(MicroLesson.issue_no == data.issue_no)):
            add("issue_no", f"第{data.issue_no}期已存在，建议使用第{next_issue_no(db)}期")
    title = data.title.strip()
    if not title:
        add("title", "标题不能为空")
    elif len(title) > TEXT_MAX:
        add("title", f"标题最多 {TEXT_MAX} 个字")
    if not normal_text(data.body_md):
        add("body_md", "正文不能为空")
    if len(data.note.strip()) > NOTE_MAX:
        add("note", f"修改说明最多 {NOTE_MAX} 个字")
    for name, (low, high) in (("estimated_minutes", MINUTES),
                              ("min_read_seconds", READ_SECONDS)):
        value = getattr(data, name)
        if value is None or not low <= value <= high:
            add(name, f"请填写 {low} 到 {high} 之间的整数")
    for name, problem in schedule_problems(data.publish_at, data.due_at).items():
        problems.setdefault(name, []).extend(problem)
    known = set(db.scalars(select(Unit.id).where(Unit.id.in_(data.audience))))
    if set(data.audience) - known:
        add("audience", "所选单位不存在，请重新选择")
    return problems


def schedule_problems(publish_at: datetime | None, due_at: datetime | None
                      ) -> dict[str, list[str]]:
    """Publish and due times (local) that cannot be stored, by field."""
    problems: dict[str, list[str]] = {}
    if publish_at is None:
        problems["publish_at"] = ["请填写发布时间"]
    if due_at is None:
        problems["due_at"] = ["请填写截止时间"]
    elif publish_at is not None and due_at <= publish_at:
        problems["due_at"] = ["截止时间必须晚于发布时间"]
    for name, moment in (("publish_at", publish_at), ("due_at", due_at)):
        if moment is not None and not clock.plausible(moment):
            problems[name] = ["时间须在 1900 年至 2999 年之间"]
    return problems


def _free_slug(db: Session, issue_no: int) -> str:
    """``issue-NN``, the lesson's stable file name, made unique if a file already took it."""
    base = f"issue-{issue_no:02d}"
    taken = set(db.scalars(select(MicroLesson.slug).where(MicroLesson.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug if re.fullmatch(r"[a-z0-9-]+", slug) else f"issue-{n}"
