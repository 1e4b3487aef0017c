"""Test data factories: small, explicit, one call per thing a test needs."""
import itertools
from datetime import datetime, timedelta

from lms.domain.org import membership
from lms.domain.org.passwords import Passwords
from lms.domain.reports import unitstats
from lms.models import Unit, User

LONG_AGO = datetime(2020, 1, 1)  # the default joining time: before every test's lessons
_counter = itertools.count(1)
_hasher = Passwords(time_cost=1, memory_cost=8, parallelism=1)
RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2}  # points per rule


ONE_QUESTION_QUIZ = """\
quiz:
  questions:
    - id: q1
      kind: true_false
      stem: 对党忠诚是第一位的政治要求。
      answer: true
"""


def lesson_source(publish_at: str, due_at: str, audience: tuple[str, ...] = ()) -> str:
    """A one-question lesson file as trainers write it (docs/CONTENT.md); an `audience`'s
    lines come after `due_at`, from line 10 on."""
    lines = ["---", "issue_no: 1", "slug: zhongcheng", "title: 对党忠诚", "summary: 简介。",
             "estimated_minutes: 6", "min_read_seconds: 60", f"publish_at: {publish_at}",
             f"due_at: {due_at}"]
    if audience:
        lines += ["audience:", *(f"  - {code}" for code in audience)]
    return "\n".join(lines) + "\n" + ONE_QUESTION_QUIZ + "---\n正文。\n"


def bearer(client, user) -> dict:
    """The Authorization header of a new API token for `user` (Factory.PASSWORD)."""
    response = client.post("/api/v1/auth/token", json={
        "police_no": user.police_no, "password": Factory.PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


class Factory:
    """Builds and commits rows; every object gets unique codes by default."""

    PASSWORD = "correct horse battery staple"
    _password_hash = None

    def __init__(self, db):
        self.db = db

    def unit(self, name: str | None = None, kind: str = "branch", parent: Unit | None = None,
             code: str | None = None) -> Unit:
        """A unit under `parent` with its materialized path."""
        n = next(_counter)
        unit = Unit(code=code or f"U{n:04d}", name=name or f"单位{n}", kind=kind,
                    parent_id=parent.id if parent else None,
                    depth=parent.depth + 1 if parent else 0)
        self.db.add(unit)
        self.db.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        self.db.commit()
        return unit

    def tree(self) -> dict[str, Unit]:
        """A small bureau: city → two counties → a station each → a branch each."""
        city = self.unit("市公安局", "bureau", code="SZ")
        units = {"city": city}
        for label in ("a", "b"):
            county = self.unit(f"{label.upper()}县公安局", "county", city, code=f"C{label.upper()}")
            station = self.unit(f"{label.upper()}派出所", "station", county,
                                code=f"S{label.upper()}")
            branch = self.unit(f"{label.upper()}派出所党支部", "branch", station,
                               code=f"B{label.upper()}")
            units.update({f"county_{label}": county, f"station_{label}": station,
                          f"branch_{label}": branch})
        return units

    def province(self) -> dict[str, Unit]:
        """A small province: 省厅 → bureaus x, y → counties 1, 2 each → a station → a branch
        (keys `bureau_x`, `county_x1`, `station_x1`, `branch_x1`, ...)."""
        province = self.unit("省公安厅", "province", code="GA")
        units = {"province": province}
        for b in ("x", "y"):
            bureau = self.unit(f"{b.upper()}市公安局", "bureau", province, code=b.upper())
            units[f"bureau_{b}"] = bureau
            for c in ("1", "2"):
                tag = f"{b.upper()}{c}"
                county = self.unit(f"{tag}县公安局", "county", bureau, code=f"C{tag}")
                station = self.unit(f"{tag}派出所", "station", county, code=f"S{tag}")
                branch = self.unit(f"{tag}派出所党支部", "branch", station, code=f"B{tag}")
                units.update({f"county_{b}{c}": county, f"station_{b}{c}": station,
                              f"branch_{b}{c}": branch})
        return units

    def user(self, unit: Unit | None = None, roles=("officer",), police_no: str | None = None,
             name: str | None = None, password: str | None = PASSWORD, active: bool = True,
             party_member: bool = True, joined_at: datetime = LONG_AGO) -> User:
        """A user with a password (the same cheap hash for all, computed once); by default
        a member since long before any lesson, so they owe every lesson of their unit."""
        if unit is None:
            unit = self.unit()
        n = next(_counter)
        if Factory._password_hash is None:
            Factory._password_hash = _hasher.hash(self.PASSWORD)
        pw_hash = None if password is None else (
            Factory._password_hash if password == self.PASSWORD else _hasher.hash(password))
        user = User(police_no=police_no or f"{100000 + n}", name=name or f"民警{n}",
                    unit_id=unit.id, party_member=party_member, active=active,
                    password_hash=pw_hash, **{f"is_{r}": True for r in roles},
                    **membership.joining(joined_at, timedelta(days=7)))
        if "officer" not in roles:
            user.is_officer = False
        self.db.add(user)
        self.db.flush()
        membership.start(self.db, [user.id])
        unitstats.rebuild(self.db, unit_ids=[unit.id])  # written past the roster import
        self.db.commit()
        return user

    def category(self, name: str | None = None, key: str | None = None, description: str = "",
                 position: int = 0):
        """A courseware category."""
        from lms.models import Category

        n = next(_counter)
        category = Category(key=key or f"cat{n}", name=name or f"类别{n}",
                            description=description, position=position)
        self.db.add(category)
        self.db.commit()
        return category

    def courseware(self, title: str | None = None, category=None, body_md: str = "正文。",
                   slug: str | None = None, summary: str = "", status: str = "published",
                   featured: bool = False, estimated_minutes: int = 5, min_read_seconds: int = 60,
                   lecturer: str | None = None, quiz: bool = False):
        """A courseware item, its body rendered and sanitized as the importer does; with
        `quiz=True` it gets a one-question quiz."""
        from lms.domain.coursefiles.markup import plain_text, render_markdown
        from lms.models import Courseware, Question, Quiz

        n = next(_counter)
        item = Courseware(
            slug=slug or f"cw-{n}", title=title or f"课件{n}",
            category_id=(category or self.category()).id, summary=summary, body_md=body_md,
            body_html=render_markdown(body_md), search_text=plain_text(body_md),
            estimated_minutes=estimated_minutes, min_read_seconds=min_read_seconds,
            featured=featured, lecturer=lecturer, status=status)
        if quiz:
            item.quiz = Quiz(questions=[Question(
                key="q1", kind="true_false", stem="是否读完?", options=[], answer=True)])
        self.db.add(item)
        self.db.commit()
        return item

    def classroom_type(self, name: str | None = None, key: str | None = None,
                       description: str = "", position: int = 0):
        """A classroom type (五大课堂)."""
        from lms.models import ClassroomType

        n = next(_counter)
        kind = ClassroomType(key=key or f"type{n}", name=name or f"课堂类型{n}",
                             description=description, position=position)
        self.db.add(kind)
        self.db.commit()
        return kind

    def classroom(self, title: str | None = None, type=None, unit: Unit | None = None,
                  description: str = "", slug: str | None = None, status: str = "accepted"):
        """A classroom of `type`, optionally run by `unit`."""
        from lms.models import Classroom

        n = next(_counter)
        room = Classroom(slug=slug or f"room-{n}", title=title or f"课堂{n}",
                         type_id=(type or self.classroom_type()).id,
                         unit_id=unit.id if unit else None, description=description,
                         status=status)
        self.db.add(room)
        self.db.commit()
        return room

    # Five questions covering every kind, from the 第14期 lesson; keys q1..q5.
    QUESTIONS = (
        {"key": "q1", "kind": "single", "stem": "临时党支部的书记、副书记和委员如何产生?",
         "options": [["A", "党员大会选举"], ["B", "由批准其成立的党组织指定"],
                     ["C", "由指挥长兼任"], ["D", "党员自荐"]],
         "answer": "B", "explanation": "由批准其成立的党组织指定。"},
        {"key": "q2", "kind": "multiple", "stem": "战时党建工作机制包括哪些?",
         "options": [["A", "先锋引领"], ["B", "关心关爱"], ["C", "正风肃纪"],
                     ["D", "以战代管"]],
         "answer": ["A", "B", "C"], "explanation": "越是战时越要从严管理。"},
        {"key": "q3", "kind": "true_false", "stem": "临时党支部一般不发展党员。",
         "options": [], "answer": True, "explanation": "临时党支部一般不发展党员、不收党费。"},
        {"key": "q4", "kind": "fill_blank", "stem": "三湾改编确立了“支部建在____上”的原则。",
         "options": [], "answer": ["连"], "explanation": "支部建在连上。"},
        {"key": "q5", "kind": "single", "stem": "青年民警在一线递交入党申请书,正确的做法是?",
         "options": [["A", "当场批准"], ["B", "简化程序"], ["C", "反馈所在单位党组织培养考察"],
                     ["D", "不必记录"]],
         "answer": "C", "explanation": "按发展党员的标准和程序培养考察。"},
    )

    def quiz(self, questions=None, pass_score: int = 60, attempts_allowed: int | None = None,
             shuffle: bool = False, partial_credit: bool = False,
             time_limit_seconds: int | None = None, review: str = "after_pass"):
        """A quiz; `questions` are dicts like QUESTIONS (the default: five, every kind)."""
        from lms.models import Question, Quiz

        quiz = Quiz(pass_score=pass_score, attempts_allowed=attempts_allowed, shuffle=shuffle,
                    partial_credit=partial_credit, time_limit_seconds=time_limit_seconds,
                    review=review, questions=[Question(position=i, **{"explanation": "", **q})
                               for i, q in enumerate(questions or self.QUESTIONS)])
        self.db.add(quiz)
        self.db.commit()
        return quiz

    def lesson(self, title: str | None = None, issue_no: int | None = None, quiz=None,
               publish_at=None, due_at=None, status: str = "published", audience=(),
               body_md: str = "## 学习要点\n\n支部建在连上。", summary: str = "本期导读。"):
        """A micro-lesson published yesterday and due in six days (real time) unless given;
        `audience` units (none: everyone)."""
        from datetime import timedelta

        from lms.domain.coursefiles.markup import render_markdown
        from lms.models import LessonAudience, MicroLesson, utcnow

        n = next(_counter)
        now = utcnow()
        lesson = MicroLesson(
            issue_no=issue_no or n, slug=f"lesson-{n}", title=title or f"第{n}期 微课",
            summary=summary, body_md=body_md, body_html=render_markdown(body_md),
            publish_at=publish_at or now - timedelta(days=1),
            due_at=due_at or now + timedelta(days=6), status=status,
            quiz_id=(quiz or self.quiz()).id,
            audience=[LessonAudience(unit_id=unit.id) for unit in audience])
        self.db.add(lesson)
        self.db.flush()
        unitstats.rebuild(self.db, lesson_ids=[lesson.id])  # written past the sync
        self.db.commit()
        return lesson

    def answers(self, quiz, wrong=()) -> dict[str, object]:
        """Answers to every question of `quiz` as an API client sends them: right, except the
        questions whose keys (q1...) are in `wrong`."""
        from sqlalchemy import select

        from lms.models import Question

        result = {}
        for q in self.db.scalars(select(Question).where(Question.quiz_id == quiz.id)):
            answer = q.answer[0] if q.kind == "fill_blank" else q.answer
            if q.key in wrong and q.kind == "single":
                answer = next(k for k, _ in q.options if k != q.answer)
            elif q.key in wrong and q.kind == "multiple":
                answer = [q.options[0][0]]  # one key never equals a multiple answer
            elif q.key in wrong:
                answer = {"true_false": not q.answer, "fill_blank": "排"}[q.kind]
            result[str(q.id)] = answer
        return result

    def lesson_due(self, due_local, audience=(), publish_local=None, status: str = "published",
                   title: str | None = None, tz: str = "Asia/Shanghai"):
        """A lesson due at a wall-clock time in `tz`, published six days earlier unless given,
        for the `audience` unit subtrees (none: everyone); its quiz has no questions."""
        from datetime import timedelta

        from lms.domain.clock import to_utc
        from lms.models import LessonAudience, MicroLesson, Quiz

        n = next(_counter)
        lesson = MicroLesson(
            issue_no=n, slug=f"report-lesson-{n}", title=title or f"第{n}期 微课", quiz=Quiz(),
            publish_at=to_utc(publish_local or due_local - timedelta(days=6), tz),
            due_at=to_utc(due_local, tz), status=status,
            audience=[LessonAudience(unit_id=unit.id) for unit in audience])
        self.db.add(lesson)
        self.db.flush()
        unitstats.rebuild(self.db, lesson_ids=[lesson.id])  # written past the sync
        self.db.commit()
        return lesson

    def completion(self, user: User, lesson, at, score: int | None = 80,
                   status: str = "completed"):
        """A lesson's completion row as the attempt flow leaves it (`at` is naive UTC)."""
        from lms.models import Completion

        row = Completion(user_id=user.id, item_type="lesson", item_id=lesson.id, status=status,
                         first_completed_at=at if status == "completed" else None,
                         best_score=score, first_score=score, attempts=1, last_activity_at=at)
        self.db.add(row)
        # written past record_completion
        unitstats.rebuild(self.db, lesson_ids=[lesson.id], officer_ids=[user.id])
        self.db.commit()
        return row

    def attempt(self, user: User, lesson, wrong=(), key: str = "k", at=None, rules=RULES):
        """`user` submits `lesson`'s quiz through the domain, right except the questions in
        `wrong`, at `at` (default: the server clock); returns the SubmitResult."""
        from lms.domain import clock
        from lms.domain.quiz import attempts, quizview

        result = attempts.submit(self.db, user.id, quizview.lesson_item(lesson),
                                 self.answers(lesson.quiz, wrong=wrong), key,
                                 at or clock.utcnow(), rules)
        self.db.commit()
        return result
