"""Write plain specs back as course files (docs/CONTENT.md): front matter, then the body;
no Flask. `reader` reads what this writes back into equal specs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from . import yamldump
from .quizfile import quiz_mapping
from .reader import DATE_FORMAT, normal_body
from .specs import CoursewareSpec, LessonSpec


def dump_courseware(spec: CoursewareSpec) -> str:
    """The file text for a courseware item (quiz in the front matter)."""
    front = {"slug": spec.slug, "title": spec.title, "category": spec.category,
             "summary": spec.summary, "estimated_minutes": spec.estimated_minutes,
             "min_read_seconds": spec.min_read_seconds, "featured": spec.featured}
    if spec.lecturer is not None:
        front["lecturer"] = spec.lecturer
    front["status"] = spec.status
    if spec.quiz is not None:
        front["quiz"] = quiz_mapping(spec.quiz)
    return _document(front, spec.body_md)


def dump_lesson(spec: LessonSpec, tz: str = "Asia/Shanghai") -> str:
    """The file text for a micro-lesson, times written as local ``YYYY-MM-DD HH:MM``."""
    zone = ZoneInfo(tz)

    def local(moment: datetime) -> str:
        return moment.replace(tzinfo=UTC).astimezone(zone).strftime(DATE_FORMAT)

    front = {"issue_no": spec.issue_no, "slug": spec.slug, "title": spec.title,
             "summary": spec.summary, "estimated_minutes": spec.estimated_minutes,
             "min_read_seconds": spec.min_read_seconds,
             "publish_at": local(spec.publish_at), "due_at": local(spec.due_at)}
    if spec.audience:
        front["audience"] = list(spec.audience)
    front["quiz"] = quiz_mapping(spec.quiz)
    return _document(front, spec.body_md)


def _document(front: dict, body_md: str) -> str:
    """Front matter between ``---`` lines, a blank line, then the body."""
    return f"---\n{yamldump.dump_yaml(front)}---\n\n{normal_body(body_md)}\n"

