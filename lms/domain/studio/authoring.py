"""Writing content in the browser (the studio): courseware with revisions, a quiz edited as
YAML under the course-file rules, and export back to the file format of docs/CONTENT.md; no
Flask. The review workflow is `review`'s, lesson schedules are `scheduling`'s.

Saving goes through the sync's own writer (`syncapply`) and a quiz through the course
files' own validator (`quizfile`), so an item written here and one loaded from a file
obey the same rules and are stored the same way. Nothing here commits: the caller does,
once per request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ...models import Category, Courseware, CoursewareRevision, Quiz, User
from .. import audit
from ..coursefiles import dbspecs, export, markup, quizfile, syncapply, yamldump
from ..coursefiles import yamlmarks as ym
from ..coursefiles.markup import render_markdown
from ..coursefiles.specs import CoursewareSpec, QuizSpec
from ..org import policy
from ..problems import Refusal
from . import drawform, questions, yamlzh

# The field rules of a course file (docs/CONTENT.md, reader._common), for the form.
TEXT_MAX = ym.TEXT_MAX
SLUG_MAX = 120
MINUTES = (1, 120)
READ_SECONDS = (0, 3600)
NOTE_MAX = 255
EDITABLE = "draft"  # content is edited as a draft; in review and published it is frozen
_SLUG = re.compile(r"[a-z0-9-]+")


class AuthoringError(Refusal):
    """A request the workflow refuses; `message` is for people."""


class Invalid(AuthoringError):
    """Input that breaks the content rules; `problems` maps a form field to its messages."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(m for ms in problems.values() for m in ms))
        self.problems = problems


@dataclass(frozen=True)
class CoursewareInput:
    """What the edit form sends: plain values, Markdown body, quiz as YAML text."""

    title: str
    category: str
    summary: str
    estimated_minutes: int | None
    min_read_seconds: int | None
    featured: bool
    lecturer: str | None
    body_md: str
    quiz_yaml: str = ""
    note: str = ""
    quiz_draft: questions.QuizDraft | None = None  # the form editor's quiz, else quiz_yaml


@dataclass(frozen=True)
class RevisionLine:
    """A saved revision as the history lists it."""

    id: int
    created_at: datetime
    author: str | None
    title: str
    note: str


@dataclass
class _Problems:
    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)


# --- courseware: reading ------------------------------------------------------------------

def courseware_list(db: Session, status: str | None = None,
                    category: str | None = None) -> list[Courseware]:
    """Every courseware item in any status, newest change first, optionally filtered."""
    query = (select(Courseware).order_by(Courseware.updated_at.desc(), Courseware.id.desc())
             .options(selectinload(Courseware.quiz).selectinload(Quiz.questions)))
    if status:
        query = query.where(Courseware.status == status)
    if category:
        query = query.join(Category).where(Category.key == category)
    return list(db.scalars(query))


def status_counts(db: Session, category: str | None = None) -> dict[str, int]:
    """How many items are in each status (within a category if given)."""
    query = select(Courseware.status, func.count()).group_by(Courseware.status)
    if category:
        query = query.join(Category).where(Category.key == category)
    return dict(db.execute(query).all())


def courseware_by_slug(db: Session, slug: str) -> Courseware | None:
    """One courseware item, whatever its status."""
    return db.scalar(select(Courseware).where(Courseware.slug == slug))


def revisions(db: Session, item: Courseware) -> list[RevisionLine]:
    """The item's saved revisions, newest first, with their authors' names."""
    rows = db.execute(select(CoursewareRevision, User.name)
                      .outerjoin(User, User.id == CoursewareRevision.author_id)
                      .where(CoursewareRevision.courseware_id == item.id)
                      .order_by(CoursewareRevision.id.desc()))
    return [RevisionLine(r.id, r.created_at, name, r.title, r.note) for r, name in rows]


def preview(body_md: str) -> str:
    """The body as readers would get it: rendered and sanitized, nothing stored ("" when it
    cannot be rendered; the form's check says why)."""
    try:
        return render_markdown(_normal_text(body_md))
    except markup.NestedTooDeep:
        return ""


def quiz_text(quiz: Quiz | None) -> str:
    """A stored quiz as the YAML the edit form shows: the ``quiz:`` block of a course file."""
    if quiz is None:
        return ""
    # The course files' own writer, so the form shows exactly what a file would hold.
    return yamldump.dump_yaml({"quiz": quizfile.quiz_mapping(quiz_spec(quiz))})


def quiz_spec(quiz: Quiz) -> QuizSpec:
    """A stored quiz as the spec the file format writes; retired questions stay out."""
    return dbspecs.quiz_spec(quiz)


def parse_quiz(text: str) -> tuple[QuizSpec | None, list[str]]:
    """(quiz or None for no quiz, problems as ``line N: message``) from the form's YAML.

    The text is the ``quiz:`` block of a front matter, or the bare mapping of a sidecar
    ``.quiz.yml``; either way it is checked by the very code that checks course files.
    """
    text = _normal_text(text)
    if not text.strip():
        return None, []
    found: list = []
    rep = ym.Report("quiz", found)
    ok, data = ym.parse_yaml(text, 1, rep)
    quiz = None
    if ok and data is None:
        return None, []  # nothing but comments
    if ok and isinstance(data, ym.MarkedMap) and "quiz" in data:
        ym.check_fields(data, {"quiz"}, set(), rep, "quiz text")
        data = data["quiz"]
        if data is None and not found:
            return None, []  # `quiz: null` means no quiz, as in a file
    if ok:
        mapping = ym.as_mapping(data, getattr(data, "line", 1), rep, "quiz")
        if mapping is not None:
            # The same validator sync runs on a file's quiz.
            ok, quiz = quizfile.read_quiz(mapping, rep)
    return (quiz if not found else None), [yamlzh.at_line(p.line, p.message) for p in found]


def read_quiz_input(quiz_yaml: str, draft: questions.QuizDraft | None, required: bool = False
                    ) -> tuple[QuizSpec | None, dict[str, list[str]]]:
    """(quiz, problems by field) from the form editor's draft, or from the advanced tab's
    YAML when there is no draft; a draft goes through the YAML path's validator too."""
    if draft is None:
        quiz, found = parse_quiz(quiz_yaml)
        if required and quiz is None and not found:
            found = ["请填写测验题目"]
        return quiz, {"quiz_yaml": found} if found else {}
    problems = questions.validate(draft, required=required)
    if problems or not (draft.questions or draft.is_drawn):
        return None, problems
    quiz, found = parse_quiz(questions.to_yaml(draft))
    return quiz, {"questions": found} if found else {}


def draw_problems(db: Session, quiz: QuizSpec | None, from_form: bool) -> dict[str, list[str]]:
    """What the banks say about a quiz's draw rules, beside the form's rows (``d0-tag``)
    or, for the YAML tab, under it naming the rule."""
    problems: dict[str, list[str]] = {}
    for index, name, message in drawform.bank_problems(db, quiz.draw if quiz else ()):
        if not from_form:
            name = "quiz_yaml"
            message = f"抽题规则 {index + 1}：{message}" if index >= 0 else message
        elif index >= 0:
            name = f"d{index}-{name}"
        problems.setdefault(name, []).append(message)
    return problems


# --- courseware: writing ------------------------------------------------------------------

def save_courseware(db: Session, author: User, data: CoursewareInput, slug: str,
                    create: bool = False, ip: str | None = None) -> Courseware:
    """Create (``create=True``) or update a draft; a revision is kept and the body rendered
    once. Raises Invalid (nothing written) or AuthoringError."""
    policy.require_author(author)
    row = courseware_by_slug(db, slug)
    if not create and row is None:
        raise AuthoringError("课件不存在")
    if row is not None and not create and row.status != EDITABLE:
        raise AuthoringError("只有草稿可以修改；请先退回或撤回为草稿")
    problems = _check_courseware(db, data, slug, create)
    quiz, quiz_problems = read_quiz_input(data.quiz_yaml, data.quiz_draft)
    for name, messages in quiz_problems.items():
        for message in messages:
            problems.add(name, message)
    for name, messages in draw_problems(db, quiz, data.quiz_draft is not None).items():
        for message in messages:
            problems.add(name, message)
    if problems.by_field:
        raise Invalid(problems.by_field)
    category = db.scalar(select(Category).where(Category.key == data.category))
    spec = CoursewareSpec(
        slug=slug, title=data.title.strip(), category=category.key,
        summary=data.summary.strip() or lead_of(data.body_md) or data.title.strip(),
        estimated_minutes=data.estimated_minutes,
        min_read_seconds=data.min_read_seconds, featured=data.featured,
        lecturer=(data.lecturer or "").strip() or None,
        status=row.status if row is not None else EDITABLE,
        body_md=_normal_text(data.body_md), quiz=quiz,
        # A file's item keeps its path and hash: sync rewrites it only when the file changes.
        source_path=row.source_path if row is not None else None,
        source_hash=row.source_hash if row is not None else None)
    # The sync's writer: fields, body rendered and sanitized once, quiz by question id.
    syncapply.write_courseware(db, spec, category.id)
    db.flush()
    row = courseware_by_slug(db, slug)
    db.add(CoursewareRevision(courseware_id=row.id, author_id=author.id, title=row.title,
                              body_md=row.body_md, note=data.note.strip()))
    if create:
        audit.record(db, "courseware_created", actor_id=author.id, target=audit_target(row),
                     ip=ip)
    db.flush()
    return row


def export_courseware(db: Session, item: Courseware) -> tuple[str, str]:
    """(file name, file text) of the item in the course-file format (the folder export's)."""
    return export.item_file(db, item, "Asia/Shanghai")


# --- helpers ------------------------------------------------------------------------------

LEAD_MAX = 80


def lead_of(body_md: str) -> str:
    """A summary for an item saved without one: the body's first paragraph as plain text,
    cut at LEAD_MAX characters (course files require a summary; trainers need not write one)."""
    for line in _normal_text(body_md).split("\n"):
        text = re.sub(r"[*_`>#|]|!?\[([^\]]*)\]\([^)]*\)", r"\1", line).strip(" -+\t")
        if text and not line.lstrip().startswith("#"):
            return text if len(text) <= LEAD_MAX else text[:LEAD_MAX - 1] + "…"
    return ""


def audit_target(item: Courseware) -> str:
    """How the audit log names a courseware item."""
    return f"courseware:{item.slug}"


def _normal_text(text: str) -> str:
    """Browsers send CRLF from a textarea; files and the renderer expect LF."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_courseware(db: Session, data: CoursewareInput, slug: str,
                      create: bool) -> _Problems:
    """The course-file rules for the fields around the quiz (CONTENT.md, "Rules")."""
    problems = _Problems()
    if create:
        if not _SLUG.fullmatch(slug or "") or len(slug) > SLUG_MAX:
            problems.add("slug", f"只能用小写字母、数字和连字符（a-z0-9-），最多 {SLUG_MAX} 个")
        elif courseware_by_slug(db, slug) is not None:
            problems.add("slug", "这个标识已被其他课件使用")
    for name, label, required, limit in (("title", "标题", True, TEXT_MAX),
                                         ("summary", "简介", False, None),
                                         ("lecturer", "主讲", False, TEXT_MAX),
                                         ("note", "修改说明", False, NOTE_MAX)):
        value = (getattr(data, name) or "").strip()
        if required and not value:
            problems.add(name, f"{label}不能为空")
        elif limit is not None and len(value) > limit:
            problems.add(name, f"{label}最多 {limit} 个字")
    if not _normal_text(data.body_md):
        problems.add("body_md", "正文不能为空")
    elif markup.nesting_depth(data.body_md) > markup.NESTING_MAX:
        problems.add("body_md", f"列表或引用嵌套超过 {markup.NESTING_MAX} 层，请减少嵌套")
    for name, (low, high) in (("estimated_minutes", MINUTES),
                              ("min_read_seconds", READ_SECONDS)):
        value = getattr(data, name)
        if value is None or not low <= value <= high:
            problems.add(name, f"请填写 {low} 到 {high} 之间的整数")
    if db.scalar(select(Category.id).where(Category.key == data.category)) is None:
        problems.add("category", "请选择类别")
    return problems
