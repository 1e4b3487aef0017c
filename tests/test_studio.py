"""The studio (课件编写): writing courseware with revisions, the review workflow, export back
to files, lesson schedules and per-question statistics — for trainers and admins only."""
import re
from datetime import datetime

import pytest
from clients import PersonClient
from factories import Factory
from sqlalchemy import func, select

from lms.domain.coursefiles.reader import load_course_tree
from lms.domain.quiz import attempts, quizview
from lms.domain.quiz.quizstats import quiz_stats
from lms.domain.studio import authoring
from lms.models import Attempt, AuditEvent, Courseware, CoursewareRevision, MicroLesson

QUIZ = """\
quiz:
  pass_score: 80
  questions:
    - id: q1
      kind: single
      stem: “三会”不包括下列哪一项?
      options: {A: 支部党员大会, B: 民主生活会}
      answer: B
      explanation: 三会指支部党员大会、支部委员会和党小组会。
      tags: [三会一课]
    - id: q2
      kind: multiple
      stem: 哪些属于“一课”的形式?
      options: {A: 党课, B: 专题讲座, C: 文艺演出}
      answer: [A, B]
    - id: q3
      kind: true_false
      stem: 党课每季度至少一次。
      answer: true
    - id: q4
      kind: fill_blank
      stem: 支部建在____上。
      answer: [连, 连队]
"""

BROKEN_QUIZ = """\
quiz:
  questions:
    - id: q1
      kind: single
      stem: 三会不包括哪一项?
      options: {A: 支部党员大会, B: 民主生活会}
      answer: E
"""


@pytest.fixture
def practice(make):
    return make.category("党建实务培训", key="practice")


@pytest.fixture
def people(make):
    unit = make.unit("市局政治部", "department")
    return {"author": make.user(unit, roles=("trainer",), name="王讲师"),
            "reviewer": make.user(unit, roles=("trainer",), name="李讲师"),
            "admin": make.user(unit, roles=("admin",), name="管理员"),
            "officer": make.user(unit, name="陈民警")}






def form(**overrides):
    data = {"slug": "sanhui-yike", "title": "如何规范开展“三会一课”", "category": "practice",
            "summary": "三会一课的基本要求。", "estimated_minutes": "8",
            "min_read_seconds": "120", "featured": "y", "lecturer": "市局政治部",
            "body_md": "## 一、为什么\r\n\r\n三会一课是基本制度。\r\n", "quiz_yaml": QUIZ,
            "note": "初稿", "save": "保存"}
    data.update(overrides)
    return data


def create(client, **overrides):
    return client.post("/studio/courseware/new", data=form(**overrides))


def step(client, action, note="", slug="sanhui-yike"):
    return client.post(f"/studio/courseware/{slug}/status", data={"action": action, "note": note})


def item(db, slug="sanhui-yike"):
    db.expire_all()
    return db.scalar(select(Courseware).where(Courseware.slug == slug))


def audit_actions(db, prefix):
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith(prefix))
                           .order_by(AuditEvent.id)))


def test_create_saves_a_revision_and_sanitized_html(db, practice, people, as_user):
    client = as_user(people["author"])
    body = "## 要点\n\n正文<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>"
    response = create(client, body_md=body)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/studio/courseware/sanhui-yike")
    row = item(db)
    assert row.status == "draft" and row.source_path is None and row.featured
    assert "<script" not in row.body_html and "alert" not in row.body_html
    assert "onerror" not in row.body_html and "<h2" in row.body_html
    assert [q.key for q in row.quiz.questions] == ["q1", "q2", "q3", "q4"]
    assert row.quiz.pass_score == 80
    revision = db.scalar(select(CoursewareRevision))
    assert (revision.author_id, revision.note, revision.title) == (
        people["author"].id, "初稿", row.title)
    assert audit_actions(db, "courseware_") == ["courseware_created"]


def test_every_save_adds_a_revision_and_renders_again(db, practice, people, as_user):
    client = as_user(people["author"])
    create(client)
    response = client.post("/studio/courseware/sanhui-yike",
                           data=form(body_md="## 改过的正文", note="第二稿"))
    assert response.status_code == 302
    row = item(db)
    assert "改过的正文" in row.body_html and row.body_md == "## 改过的正文"
    notes = db.scalars(select(CoursewareRevision.note).order_by(CoursewareRevision.id)).all()
    assert notes == ["初稿", "第二稿"]


def test_invalid_quiz_yaml_shows_line_numbers_and_saves_nothing(db, practice, people, as_user):
    client = as_user(people["author"])
    response = create(client, quiz_yaml=BROKEN_QUIZ)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The course files' rule, in Chinese, pointing at the line (the YAML tab is kept open).
    assert "第 7 行：答案 &#39;E&#39; 不在选项 A, B 之中" in page
    assert '<textarea id="quiz_yaml"' in page
    assert db.scalar(select(func.count()).select_from(Courseware)) == 0
    assert db.scalar(select(func.count()).select_from(CoursewareRevision)) == 0

    syntax = create(client, quiz_yaml="quiz:\n  questions:\n    - id: q1\n   kind: [")
    assert re.search(r"第 \d+ 行：YAML 格式错误", syntax.get_data(as_text=True))
    assert db.scalar(select(func.count()).select_from(Courseware)) == 0


def test_a_broken_quiz_leaves_the_saved_item_as_it_was(db, practice, people, as_user):
    client = as_user(people["author"])
    create(client)
    before = item(db).body_html
    client.post("/studio/courseware/sanhui-yike",
                data=form(body_md="不会保存", quiz_yaml=BROKEN_QUIZ))
    assert item(db).body_html == before
    assert db.scalar(select(func.count()).select_from(CoursewareRevision)) == 1


def test_preview_renders_sanitized_without_saving(db, practice, people, as_user):
    client = as_user(people["author"])
    create(client)
    response = client.post("/studio/courseware/sanhui-yike",
                           data={**form(body_md="**预览**<script>bad()</script>"),
                                 "save": "", "preview": "预览"})
    page = response.get_data(as_text=True)
    assert "<strong>预览</strong>" in page and "bad()</script>" not in page
    assert "预览" not in item(db).body_md


def test_the_author_cannot_approve_their_own_item(db, practice, people, as_user):
    client = as_user(people["author"])
    create(client)
    step(client, "submit")
    assert item(db).status == "in_review"
    response = step(client, "approve")
    assert response.status_code == 302
    assert item(db).status == "in_review"
    assert "courseware_published" not in audit_actions(db, "courseware_")
    page = client.get("/studio/courseware/sanhui-yike").get_data(as_text=True)
    assert "不能审核自己编写或提交的课件" in page
    assert 'value="approve"' not in page


def test_whoever_edited_this_round_cannot_approve_either(db, practice, people, as_user):
    author, reviewer = as_user(people["author"]), as_user(people["reviewer"])
    create(author)
    reviewer.post("/studio/courseware/sanhui-yike", data=form(note="改了一个字"))
    step(author, "submit")
    step(reviewer, "approve")
    assert item(db).status == "in_review"
    step(as_user(people["admin"]), "approve")
    assert item(db).status == "published"


def test_review_publishes_and_the_catalogue_shows_it(db, practice, people, as_user):
    author, reviewer = as_user(people["author"]), as_user(people["reviewer"])
    officer = as_user(people["officer"])
    create(author)
    step(author, "submit")
    assert "三会一课" not in officer.get("/courseware").get_data(as_text=True)
    step(reviewer, "approve", note="同意发布")
    assert item(db).status == "published"
    assert "如何规范开展“三会一课”" in officer.get("/courseware").get_data(as_text=True)
    assert officer.get("/courseware/sanhui-yike").status_code == 200
    step(reviewer, "retire", note="内容已过时")
    assert item(db).status == "retired"
    assert officer.get("/courseware/sanhui-yike").status_code == 404
    assert audit_actions(db, "courseware_") == [
        "courseware_created", "courseware_submitted", "courseware_published",
        "courseware_retired"]
    published = db.scalar(select(AuditEvent).where(AuditEvent.action == "courseware_published"))
    assert published.actor_id == people["reviewer"].id
    assert published.detail["note"] == "同意发布"
    assert published.target == "courseware:sanhui-yike"


def test_sending_back_needs_a_note_and_reopens_the_draft(db, practice, people, as_user):
    author, reviewer = as_user(people["author"]), as_user(people["reviewer"])
    create(author)
    step(author, "submit")
    step(reviewer, "send_back")
    assert item(db).status == "in_review"
    step(reviewer, "send_back", note="第二部分缺少案例")
    assert item(db).status == "draft"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "courseware_sent_back"))
    assert event.detail == {"from": "in_review", "to": "draft", "note": "第二部分缺少案例"}


def test_only_drafts_can_be_edited(db, practice, people, as_user):
    author = as_user(people["author"])
    create(author)
    step(author, "submit")
    response = author.post("/studio/courseware/sanhui-yike", data=form(body_md="偷偷修改"))
    assert response.status_code == 200
    assert "只有草稿可以修改" in response.get_data(as_text=True)
    assert "偷偷修改" not in item(db).body_md
    page = author.get("/studio/courseware/sanhui-yike").get_data(as_text=True)
    assert '<fieldset class="st-fields" disabled>' in page


def test_export_round_trips_through_the_file_loader(db, practice, people, as_user, tmp_path):
    client = as_user(people["author"])
    create(client)
    response = client.get("/studio/courseware/sanhui-yike/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="sanhui-yike.md"'
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    folder = tmp_path / "courseware" / "practice"
    folder.mkdir(parents=True)
    (folder / "sanhui-yike.md").write_bytes(response.data)
    (tmp_path / "catalog.yml").write_text(
        "categories:\n  - key: practice\n    name: 党建实务培训\nclassroom_types: []\n",
        encoding="utf-8")
    tree, problems = load_course_tree(tmp_path)
    assert problems == []
    (spec,) = tree.courseware
    row = item(db)
    assert (spec.slug, spec.title, spec.category, spec.summary, spec.estimated_minutes,
            spec.min_read_seconds, spec.featured, spec.lecturer, spec.status, spec.body_md) == (
        row.slug, row.title, "practice", row.summary, 8, 120, True, "市局政治部", "draft",
        row.body_md)
    expected, _ = authoring.parse_quiz(QUIZ)
    assert spec.quiz == expected


def test_file_items_warn_about_the_next_sync(db, make, practice, people, as_user):
    row = make.courseware("党费收缴", practice, slug="dangfei")
    row.source_path = "courseware/practice/dangfei.md"
    db.commit()
    page = as_user(people["author"]).get("/studio/courseware/dangfei").get_data(as_text=True)
    assert "courseware/practice/dangfei.md" in page and "sync-courses" in page
    assert 'href="/studio/courseware/dangfei/export"' in page


def test_lesson_export_round_trips(db, make, people, as_user, tmp_path):
    tree_units = make.tree()
    lesson = make.lesson(issue_no=7, audience=[tree_units["county_a"]],
                         publish_at=datetime(2026, 8, 17, 0, 0),
                         due_at=datetime(2026, 8, 23, 15, 59))
    response = as_user(people["author"]).get(f"/studio/lessons/{lesson.id}/export")
    name = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"])[1]
    assert name == f"07-{lesson.slug}.md"
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / name).write_bytes(response.data)
    (tmp_path / "catalog.yml").write_text("categories: []\nclassroom_types: []\n")
    assert "publish_at: 2026-08-17 08:00" in response.get_data(as_text=True)
    tree, problems = load_course_tree(tmp_path)
    assert problems == []
    (spec,) = tree.lessons
    assert (spec.issue_no, spec.publish_at, spec.due_at, spec.audience) == (
        7, lesson.publish_at, lesson.due_at, ("CA",))
    assert [q.key for q in spec.quiz.questions] == ["q1", "q2", "q3", "q4", "q5"]


def test_rescheduling_is_audited_in_shanghai_time(db, make, people, as_user):
    lesson = make.lesson(issue_no=3)
    client = as_user(people["author"])
    response = client.post(f"/studio/lessons/{lesson.id}",
                           data={"publish_at": "2026-09-07T08:00", "due_at": "2026-09-13T23:59"})
    assert response.status_code == 302
    db.expire_all()
    row = db.get(MicroLesson, lesson.id)
    assert (row.publish_at, row.due_at) == (datetime(2026, 9, 7, 0, 0),
                                            datetime(2026, 9, 13, 15, 59))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "lesson_rescheduled"))
    assert event.actor_id == people["author"].id
    assert event.detail["publish_at"][1] == "2026-09-07T00:00:00"
    page = client.get(f"/studio/lessons/{lesson.id}").get_data(as_text=True)
    assert 'value="2026-09-07T08:00"' in page
    assert "2026-09-13 23:59" in client.get("/studio/lessons").get_data(as_text=True)


@pytest.mark.parametrize("due", ["2026-09-07T08:00", "2026-09-06T20:00"])
def test_a_due_time_not_after_publishing_is_refused(db, make, people, as_user, due):
    lesson = make.lesson(issue_no=4)
    before = (lesson.publish_at, lesson.due_at)
    response = as_user(people["author"]).post(
        f"/studio/lessons/{lesson.id}", data={"publish_at": "2026-09-07T08:00", "due_at": due})
    assert response.status_code == 200
    assert "截止时间必须晚于发布时间" in response.get_data(as_text=True)
    db.expire_all()
    row = db.get(MicroLesson, lesson.id)
    assert (row.publish_at, row.due_at) == before
    assert audit_actions(db, "lesson_") == []


def test_statistics_count_submitted_attempts_per_question(db, make, people, as_user):
    lesson = make.lesson(issue_no=5)
    item = quizview.lesson_item(lesson)
    ids = {q.key: q.id for q in lesson.quiz.questions}
    now = datetime(2026, 9, 1)
    answers = [  # q1 B right; q2 [A,B,C] right; q3 True right; q4 连 right; q5 C right
        {"q1": "B", "q2": ["A", "B", "C"], "q3": True, "q4": "连", "q5": "C"},
        {"q1": "A", "q2": ["A", "B"], "q3": False, "q4": "排", "q5": "C"},
        {"q1": "A", "q2": ["A", "D"], "q3": True, "q4": "排", "q5": "B"},
        {"q1": "B", "q2": ["A", "B", "C"], "q3": True, "q4": "营", "q5": "A"},
    ]
    for n, given in enumerate(answers):
        officer = make.user()
        attempts.submit(db, officer, item, {str(ids[k]): v for k, v in given.items()},
                        f"key-{n}", now, {})
    db.add(Attempt(user_id=make.user().id, quiz_id=lesson.quiz_id, item_type="lesson",
                   item_id=lesson.id, idempotency_key="open", status="open",
                   answers={str(ids["q1"]): "D"}, results=[{"question_id": ids["q1"],
                                                              "correct": False, "given": "D"}]))
    db.commit()

    stats = quiz_stats(db, "lesson", lesson.id, lesson.quiz_id)
    assert stats.attempts == 4
    by_key = {q.key: q for q in stats.questions}
    assert [(k, by_key[k].answered, by_key[k].correct) for k in ("q1", "q2", "q3", "q4", "q5")] \
        == [("q1", 4, 2), ("q2", 4, 2), ("q3", 4, 3), ("q4", 4, 1), ("q5", 4, 2)]
    assert {o.key: o.count for o in by_key["q1"].options} == {"A": 2, "B": 2, "C": 0, "D": 0}
    assert {o.key: o.count for o in by_key["q2"].options} == {"A": 4, "B": 3, "C": 2, "D": 1}
    assert by_key["q2"].options[0].share == 1.0
    assert by_key["q4"].wrong_answers == (("排", 2), ("营", 1))
    assert by_key["q3"].options == () and by_key["q5"].correct_rate == 2 / 4

    page = as_user(people["author"]).get(f"/studio/lessons/{lesson.id}/stats")
    text = page.get_data(as_text=True)
    assert "已提交的作答:4 次" in text.replace("：", ":") and "排" in text


def test_statistics_of_a_courseware_quiz(db, practice, people, as_user):
    client = as_user(people["author"])
    create(client)
    row = item(db)
    given = {str(q.id): q.answer[0] if q.kind == "fill_blank" else q.answer
             for q in row.quiz.questions}  # every question answered, all right
    attempts.submit(db, people["officer"], quizview.QuizItem("courseware", row.id, row.title,
                                                             row.quiz),
                    given, "k1", datetime(2026, 9, 1), {})
    db.commit()
    page = client.get("/studio/courseware/sanhui-yike/stats").get_data(as_text=True)
    assert "民主生活会" in page and "100%" in page


def studio_urls(app, slug, lesson_id):
    """Every studio route with sample arguments, and its methods."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("lms.studio."):
            url = (rule.rule.replace("<slug>", slug).replace("<key>", "default")
                   .replace("<lms_id:lesson_id>", str(lesson_id))
                   .replace("<lms_id:question_id>", "1"))  # refused before any lookup
            assert "<" not in url, url
            yield url, sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_officers_and_supervisors_get_403_on_every_studio_url(app, db, make, practice, people,
                                                              as_user):
    make.courseware("课件", practice, slug="cw", quiz=True)
    lesson = make.lesson()
    urls = list(studio_urls(app, "cw", lesson.id))
    assert len(urls) >= 10
    supervisor = make.user(roles=("officer", "supervisor"))
    for person in (people["officer"], supervisor):
        client = as_user(person)
        for url, methods in urls:
            for method in methods:
                response = client.open(url, method=method, data={"action": "approve"})
                assert response.status_code == 403, (person, method, url)
    anonymous = PersonClient(app, app.response_class, use_cookies=True)
    for url, methods in urls:
        response = anonymous.get(url) if "GET" in methods else anonymous.post(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_trainers_and_admins_reach_the_studio(db, make, practice, people, as_user):
    make.courseware("已发布的课件", practice, slug="cw")
    make.courseware("草稿课件", practice, slug="draft-cw", status="draft")
    for person in (people["author"], people["admin"]):
        client = as_user(person)
        page = client.get("/studio/").get_data(as_text=True)
        assert "已发布的课件" in page and "草稿课件" in page
        assert 'href="/studio/"' in client.get("/").get_data(as_text=True)
    client = as_user(people["author"])
    drafts = client.get("/studio/?status=draft").get_data(as_text=True)
    assert "草稿课件" in drafts and "已发布的课件" not in drafts
    other = make.category("党内法规解读", key="rules")
    make.courseware("法规课件", other, slug="rules-cw")
    only_rules = client.get("/studio/?category=rules").get_data(as_text=True)
    assert "法规课件" in only_rules and "草稿课件" not in only_rules


def test_every_studio_form_carries_a_csrf_token(app, db, make, practice, people, as_user,
                                                csrf_on):
    lesson = make.lesson()
    make.courseware("课件", practice, slug="cw", status="draft")
    client = as_user_with_csrf(app, people["author"])
    for url in ("/studio/courseware/new", "/studio/courseware/cw",
                f"/studio/lessons/{lesson.id}"):
        page = client.get(url).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", page, re.S)
        assert forms and all('name="csrf_token"' in f for f in forms), url
    refused = client.post("/studio/courseware/cw/status", data={"action": "submit"})
    assert refused.status_code == 400
    refused = client.post(f"/studio/lessons/{lesson.id}",
                          data={"publish_at": "2026-09-07T08:00", "due_at": "2026-09-13T23:59"})
    assert refused.status_code == 400
    assert item(db, "cw").status == "draft"


def as_user_with_csrf(app, user):
    """Sign in through the real form, token included, while CSRF protection is on."""
    client = PersonClient(app, app.response_class, use_cookies=True)
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    response = client.post("/login", data={"police_no": user.police_no,
                                           "password": Factory.PASSWORD,
                                           "csrf_token": token[1]})
    assert response.status_code == 302
    return client


def test_absurdly_nested_markdown_is_a_form_error_not_a_crash(db, practice, people, as_user):
    client = as_user(people["author"])
    body = "".join("  " * depth + "- 层\n" for depth in range(500))
    preview = client.post("/studio/courseware/new", data=form(body_md=body, save=None,
                                                             preview="预览"))
    assert preview.status_code == 200
    response = create(client, body_md=body)
    assert response.status_code == 200 and "嵌套超过 64 层" in response.text
    assert item(db) is None


def test_lesson_list_puts_the_running_and_next_lessons_first(db, make, people, as_user,
                                                             frozen_clock):
    # NOW (frozen) is Wednesday 2026-11-18 10:00 in Shanghai.
    old = [make.lesson_due(datetime(2026, 11, d, 23, 59), title=f"往期{d:02d}") for d in (1, 8, 15)]
    running = make.lesson_due(datetime(2026, 11, 22, 23, 59), title="本期微课")
    later = make.lesson_due(datetime(2026, 12, 6, 23, 59), title="两周后微课")
    upcoming = make.lesson_due(datetime(2026, 11, 29, 23, 59), title="下期微课")
    retired = make.lesson_due(datetime(2026, 12, 13, 23, 59), title="下架微课", status="retired")
    html = as_user(people["author"]).get("/studio/lessons").get_data(as_text=True)
    order = [lesson.title for lesson in (running, upcoming, later, retired, *reversed(old))]
    assert sorted(order, key=html.index) == order
    assert html.index("本期与下期") < html.index("本期微课") < html.index("下期微课")
    assert html.index("下期微课") < html.index("待发布") < html.index("两周后微课")
    assert html.index("往期（新的在前）") < html.index("下架微课")
