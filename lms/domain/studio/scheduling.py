"""The weekly micro-lessons in the studio: the list, rescheduling (audited) and export to a
lesson file of docs/CONTENT.md; no Flask. Nothing here commits: the caller does."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import MicroLesson, User
from .. import audit, clock
from ..coursefiles import export
from ..org import policy
from ..reports import unitstats
from . import lessonwork
from .authoring import Invalid


def lesson_groups(db: Session, now: datetime) -> list[tuple[str, list[MicroLesson]]]:
    """Every micro-lesson in what a trainer looks for first: `now` (the lessons running and
    the next to publish), `upcoming` (soonest first), `past` (due or retired, newest first);
    an empty group is left out. Issue numbers of imported back-catalogues say nothing of time."""
    everything = db.scalars(select(MicroLesson).order_by(MicroLesson.due_at, MicroLesson.id))
    running, upcoming, past = [], [], []
    for lesson in everything:
        if lesson.status == "retired" or lesson.due_at <= now:
            past.append(lesson)
        elif lesson.publish_at > now:
            upcoming.append(lesson)
        else:
            running.append(lesson)
    upcoming.sort(key=lambda lesson: (lesson.publish_at, lesson.due_at, lesson.id))
    running += upcoming[:1]
    groups = [("now", running), ("upcoming", upcoming[1:]), ("past", past[::-1])]
    return [(key, lessons) for key, lessons in groups if lessons]


def reschedule(db: Session, actor: User, lesson: MicroLesson, publish_at: datetime | None,
               due_at: datetime | None, tz: str, ip: str | None = None) -> bool:
    """Set a lesson's publish and due times, given as local times in ``tz`` (audited);
    True if they changed. Raises Invalid unless publish_at is before due_at."""
    policy.require_author(actor)
    problems = lessonwork.schedule_problems(publish_at, due_at)
    if problems:
        raise Invalid(problems)
    new = (clock.to_utc(publish_at, tz), clock.to_utc(due_at, tz))
    old = (lesson.publish_at, lesson.due_at)
    now = clock.utcnow()
    if lesson.status == "published" and old[0] <= now < new[0]:
        # Out is out: hiding it again would also let it be withdrawn and edited as a draft
        # under the officers' attempts, which `lessonreview` refuses once it is out.
        raise Invalid({"publish_at": ["本期已经发布，民警已能看到，发布时间不能改到以后"]})
    if new == old:
        return False
    lesson.publish_at, lesson.due_at = new
    if new[1] != old[1]:  # on-time counts follow the due time
        unitstats.rebuild(db, lesson_ids=[lesson.id])
    audit.record(db, "lesson_rescheduled", actor_id=actor.id,
                 target=lessonwork.lesson_target(lesson), ip=ip,
                 detail={"publish_at": [old[0].isoformat(), new[0].isoformat()],
                         "due_at": [old[1].isoformat(), new[1].isoformat()]})
    return True


def export_lesson(db: Session, lesson: MicroLesson, tz: str) -> tuple[str, str]:
    """(file name ``NN-slug.md``, file text) of a lesson, as the folder export writes it."""
    return export.item_file(db, lesson, tz)
