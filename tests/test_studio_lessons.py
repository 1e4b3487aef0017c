"""Weekly lessons made in the studio: the next free issue number and next week's Shanghai
times proposed, times stored as UTC, the review workflow (author ≠ reviewer), and a
published lesson visible exactly at its publish time — by list, URL, API and counts."""
from datetime import datetime, timedelta

import pytest
from clients import PersonClient
from factories import Factory, bearer
from sqlalchemy import select
from test_studio_questions import question

from lms.domain.org import policy
from lms.domain.reports import assignments, rollup
from lms.models import AuditEvent, LessonAudience, MicroLesson

NOW = datetime(2026, 11, 18, 2, 0)  # Wednesday 10:00 in Shanghai
PUBLISH_UTC = datetime(2026, 11, 23, 0, 0)  # Monday 08:00 in Shanghai
DUE_UTC = datetime(2026, 11, 29, 15, 59)  # Sunday 23:59 in Shanghai

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def people(make):
    t = make.tree()
    return {"author": make.user(t["city"], roles=("trainer",), name="王讲师"),
            "reviewer": make.user(t["city"], roles=("trainer",), name="李讲师"),
            "supervisor": make.user(t["city"], roles=("supervisor",), name="赵书记"),
            "officer": make.user(t["branch_a"], name="陈民警"), "tree": t}


def lesson_form(**overrides) -> dict:
    data = {"issue_no": "15", "title": "第15期 新时代“枫桥经验”", "summary": "",
            "body_md": "## 学习要点\n\n坚持和发展新时代“枫桥经验”。",
            "publish_at": "2026-11-23T08:00", "due_at": "2026-11-29T23:59",
            "estimated_minutes": "8", "min_read_seconds": "120", "note": "",
            "quiz-mode": "form", "quiz-n": "1", "quiz-pass_score": "60", "quiz-shuffle": "1",
            "quiz-review": "after_pass", "save": "保存草稿",
            **question(0, stem="“枫桥经验”起源于哪个省？", options=("浙江", "江苏"), correct=(0,))}
    data.update(overrides)
    return data


def compose(client, **overrides):
    return client.post("/studio/lessons/new", data=lesson_form(**overrides))


def the_lesson(db) -> MicroLesson:
    db.expire_all()
    return db.scalar(select(MicroLesson).where(MicroLesson.issue_no == 15))


def test_the_new_lesson_form_proposes_the_next_issue_and_next_week(make, people, as_user):
    make.lesson(issue_no=3)
    make.lesson(issue_no=7)
    page = as_user(people["author"]).get("/studio/lessons/new").get_data(as_text=True)
    assert 'name="issue_no" required type="number" value="8"' in page
    # Next Monday 08:00 and the Sunday after, 23:59, in the bureau's time.
    assert 'value="2026-11-23T08:00"' in page and 'value="2026-11-29T23:59"' in page


def test_the_next_issue_is_counted_in_this_season_not_after_last_seasons(make, people,
                                                                        as_user):
    make.lesson(issue_no=14)
    make.lesson(issue_no=202552)  # 2025年度第52期, as the demo stores the previous season
    page = as_user(people["author"]).get("/studio/lessons/new").get_data(as_text=True)
    assert 'name="issue_no" required type="number" value="15"' in page


def test_a_composed_lesson_is_a_draft_with_shanghai_times_stored_as_utc(db, people, as_user):
    t = people["tree"]
    response = compose(as_user(people["author"]), audience=[str(t["county_a"].id)])
    assert response.status_code == 302
    row = the_lesson(db)
    assert row.status == "draft" and row.slug == "issue-15"
    assert (row.publish_at, row.due_at) == (PUBLISH_UTC, DUE_UTC)
    assert [a.unit_id for a in row.audience] == [t["county_a"].id]
    assert row.summary == "坚持和发展新时代“枫桥经验”。"  # not typed: the first paragraph
    assert [(q.key, q.answer) for q in row.quiz.questions] == [("q1", "A")]
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.target == "lesson:15:issue-15")) \
        == "lesson_created"


def test_no_audience_means_the_whole_bureau(db, people, as_user):
    compose(as_user(people["author"]))
    assert db.scalars(select(LessonAudience)).all() == []


def test_lesson_problems_are_in_chinese_beside_their_fields(db, make, people, as_user):
    make.lesson(issue_no=15, title="已有的第15期")
    page = compose(as_user(people["author"]), title="", due_at="2026-11-22T08:00",
                   **{"quiz-n": "0"}).get_data(as_text=True)
    assert "第15期已存在，建议使用第16期" in page
    assert "标题不能为空" in page and "截止时间必须晚于发布时间" in page
    assert "请至少添加一道题" in page
    assert db.scalar(select(MicroLesson).where(MicroLesson.title == "")) is None


def test_the_author_cannot_approve_and_the_reviewer_schedules(db, people, as_user):
    author, reviewer = as_user(people["author"]), as_user(people["reviewer"])
    compose(author)
    lesson_id = the_lesson(db).id
    author.post(f"/studio/lessons/{lesson_id}/status", data={"action": "submit"})
    refused = author.post(f"/studio/lessons/{lesson_id}/status", data={"action": "approve"},
                          follow_redirects=True)
    assert "不能审核自己编写或提交的微课堂" in refused.get_data(as_text=True)
    assert the_lesson(db).status == "in_review"
    # The reviewer moves it a day later, then approves.
    reviewer.post(f"/studio/lessons/{lesson_id}",
                  data={"publish_at": "2026-11-24T08:00", "due_at": "2026-11-30T23:59"})
    done = reviewer.post(f"/studio/lessons/{lesson_id}/status", data={"action": "approve"},
                         follow_redirects=True)
    assert "将于 2026-11-24 08:00 准时发布" in done.get_data(as_text=True)
    row = the_lesson(db)
    assert row.status == "published" and row.publish_at == PUBLISH_UTC + timedelta(days=1)


def test_a_draft_cannot_be_edited_once_submitted(db, people, as_user):
    author = as_user(people["author"])
    compose(author)
    lesson_id = the_lesson(db).id
    author.post(f"/studio/lessons/{lesson_id}/status", data={"action": "submit"})
    response = author.post(f"/studio/lessons/{lesson_id}/edit", data=lesson_form(title="改"))
    assert response.status_code == 302 and the_lesson(db).title.startswith("第15期")


def publish(db, people, as_user) -> MicroLesson:
    """Composed by one trainer, approved by another: out at PUBLISH_UTC."""
    author, reviewer = as_user(people["author"]), as_user(people["reviewer"])
    compose(author)
    lesson_id = the_lesson(db).id
    author.post(f"/studio/lessons/{lesson_id}/status", data={"action": "submit"})
    reviewer.post(f"/studio/lessons/{lesson_id}/status", data={"action": "approve"})
    row = the_lesson(db)
    assert row.status == "published"
    return row


def sightings(db, app, people, lesson) -> dict[str, bool]:
    """Where the officer and a supervisor can see the lesson right now."""
    officer = PersonClient(app, app.response_class, use_cookies=True)
    officer.post("/login", data={"police_no": people["officer"].police_no,
                                 "password": Factory.PASSWORD})
    supervisor = PersonClient(app, app.response_class, use_cookies=True)
    supervisor.post("/login", data={"police_no": people["supervisor"].police_no,
                                    "password": Factory.PASSWORD})
    api = bearer(app.test_client(), people["officer"])
    mine = app.test_client().get("/api/v1/me/lessons", headers=api).get_json()["lessons"]
    from lms.domain import clock
    now = clock.utcnow()
    return {
        "list": "新时代“枫桥经验”" in officer.get("/lessons").get_data(as_text=True),
        "home": "新时代“枫桥经验”" in officer.get("/").get_data(as_text=True),
        "url": officer.get(f"/lessons/{lesson.id}").status_code == 200,
        "api list": any(row["id"] == lesson.id for row in mine),
        "api": app.test_client().get(f"/api/v1/lessons/{lesson.id}",
                                     headers=api).status_code == 200,
        "supervisor url": supervisor.get(f"/supervise/?lesson={lesson.id}").status_code == 200,
        "owed count": bool(assignments.due_lessons(db, now, lesson_id=lesson.id)),
        "lookup": rollup.find_lesson(db, lesson.id, now) is not None,
        "released": db.scalar(select(MicroLesson.id).where(
            MicroLesson.id == lesson.id, policy.lesson_released(now))) is not None,
    }


def test_a_scheduled_lesson_is_nowhere_a_second_before_its_publish_time(
        db, app, people, as_user, frozen_clock):
    lesson = publish(db, people, as_user)
    frozen_clock.set(PUBLISH_UTC - timedelta(seconds=1))
    seen = sightings(db, app, people, lesson)
    assert not any(seen.values()), seen


def test_a_scheduled_lesson_is_everywhere_at_its_publish_time(db, app, people, as_user,
                                                              frozen_clock):
    lesson = publish(db, people, as_user)
    frozen_clock.set(PUBLISH_UTC)
    seen = sightings(db, app, people, lesson)
    assert all(seen.values()), seen


def test_a_draft_stays_hidden_after_its_publish_time(db, app, people, as_user, frozen_clock):
    compose(as_user(people["author"]))
    frozen_clock.set(PUBLISH_UTC + timedelta(hours=1))
    seen = sightings(db, app, people, the_lesson(db))
    assert not any(seen.values()), seen


def test_withdraw_only_before_the_publish_time(db, people, as_user, frozen_clock):
    lesson = publish(db, people, as_user)
    frozen_clock.set(PUBLISH_UTC)
    reviewer = as_user(people["reviewer"])  # signed in anew: days have passed
    late = reviewer.post(f"/studio/lessons/{lesson.id}/status", data={"action": "withdraw"},
                         follow_redirects=True)
    assert "不能撤回为草稿" in late.get_data(as_text=True)
    assert the_lesson(db).status == "published"
    frozen_clock.set(PUBLISH_UTC - timedelta(minutes=1))
    reviewer = as_user(people["reviewer"])
    reviewer.post(f"/studio/lessons/{lesson.id}/status", data={"action": "withdraw"})
    assert the_lesson(db).status == "draft"


def test_the_studio_list_puts_current_and_next_first(db, make, people, as_user):
    make.lesson(issue_no=1, title="往期一", publish_at=NOW - timedelta(days=20),
                due_at=NOW - timedelta(days=14))
    make.lesson(issue_no=2, title="本期", publish_at=NOW - timedelta(days=2),
                due_at=NOW + timedelta(days=4))
    compose(as_user(people["author"]))
    page = as_user(people["author"]).get("/studio/lessons").get_data(as_text=True)
    assert page.index("本期") < page.index("新时代“枫桥经验”") < page.index("往期一")
    assert "草稿" in page and "新建微课堂" in page


def test_the_preview_shows_the_officer_view_and_the_key_on_request(db, people, as_user):
    author = as_user(people["author"])
    compose(author)
    lesson_id = the_lesson(db).id
    page = author.get(f"/studio/lessons/{lesson_id}/preview?key=1").get_data(as_text=True)
    assert "坚持和发展新时代“枫桥经验”" in page and "“枫桥经验”起源于哪个省？" in page
    assert 'class="st-keytoggle" checked' in page
    assert 'class="st-keytoggle">' in author.get(
        f"/studio/lessons/{lesson_id}/preview").get_data(as_text=True)
    officer = as_user(people["officer"])
    assert officer.get(f"/studio/lessons/{lesson_id}/preview").status_code == 403
