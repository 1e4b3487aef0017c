"""The studio's side of regrading and withdrawing (issue 12, items 6 and 7): a trainer sees
"N 份作答受影响" and whose record changes before anything is written, confirms the preview
seen (a stale one is refused), and a published lesson comes down only with a reason and
only before its due time."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.domain.learning import points
from lms.domain.quiz import attempts, quizview, regrade
from lms.domain.studio import authoring, review, withdrawal
from lms.models import AuditEvent, Courseware, MicroLesson, Question, utcnow

RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2, "courseware_quiz": 2}
QUESTIONS = ({"key": "q1", "kind": "single", "stem": "“三会”不包括哪一项？", "answer": "B",
              "options": [["A", "支部党员大会"], ["B", "民主生活会"], ["C", "党小组会"]]},
             {"key": "q2", "kind": "true_false", "stem": "党课每季度至少一次。", "options": [],
              "answer": True})






@pytest.fixture
def answered(db, make, app):
    """A lesson whose q1 three officers answered A, B, B (B is the key)."""
    app.config["LMS_POINTS"] = RULES
    unit = make.unit("城区派出所党支部")
    trainer = make.user(unit, roles=("trainer",), name="王讲师")
    quiz = make.quiz(QUESTIONS)
    lesson = make.lesson(quiz=quiz, title="第7期 三会一课")
    q1, q2 = (db.scalar(select(Question).where(Question.quiz_id == quiz.id, Question.key == k))
              for k in ("q1", "q2"))
    officers = []
    for n, choice in enumerate("ABB"):
        officer = make.user(unit, name=f"民警{n}")
        attempts.submit(db, officer.id, quizview.lesson_item(lesson),
                        {str(q1.id): choice, str(q2.id): True}, f"k{n}", utcnow(), RULES)
        db.commit()
        officers.append(officer)
    return {"trainer": trainer, "lesson": lesson, "q1": q1, "officers": officers}


def key_of(db, question):
    db.expire_all()
    return db.get(Question, question.id).answer


def test_the_regrade_page_previews_then_applies_the_confirmed_preview(db, answered, as_user):
    client = as_user(answered["trainer"])
    url = f"/studio/questions/{answered['q1'].id}/regrade"
    page = client.get(url).get_data(as_text=True)
    assert "已提交的作答：3 份" in page
    page = client.post(url, data={"answer": "A", "action": "preview"}).get_data(as_text=True)
    assert "3 份作答受影响" in page
    assert "民警0" in page and "未通过 → 通过" in page and "通过 → 未通过" in page
    assert key_of(db, answered["q1"]) == "B"  # a preview writes nothing
    token = page.split('name="token" value="')[1].split('"')[0]
    response = client.post(url, data={"answer": "A", "action": "confirm", "token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/studio/lessons/{answered['lesson'].id}/stats")
    assert key_of(db, answered["q1"]) == "A"
    officer = answered["officers"][0]
    assert points.total(db, officer.id) == RULES["lesson_on_time"] + RULES["lesson_perfect"]
    assert db.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "quiz_regraded")) \
        == answered["trainer"].id


def test_a_stale_preview_is_refused_on_the_page(db, answered, as_user, make):
    client = as_user(answered["trainer"])
    url = f"/studio/questions/{answered['q1'].id}/regrade"
    page = client.post(url, data={"answer": "A", "action": "preview"}).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    late = make.user(name="迟到民警")
    attempts.submit(db, late.id, quizview.lesson_item(answered["lesson"]),
                    {str(answered["q1"].id): "A", str(answered["q1"].id + 1): True}, "kl",
                    utcnow(), RULES)
    db.commit()
    page = client.post(url, data={"answer": "A", "action": "confirm", "token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "预览之后答案或作答已有变化" in page
    assert "4 份作答受影响" in page  # the current preview, the late officer included
    assert key_of(db, answered["q1"]) == "B"


def test_a_key_that_is_not_an_option_is_refused_next_to_the_field(db, answered, as_user):
    client = as_user(answered["trainer"])
    page = client.post(f"/studio/questions/{answered['q1'].id}/regrade",
                       data={"answer": "Z", "action": "preview"}).get_data(as_text=True)
    assert "请选择一个正确选项" in page and "份作答受影响" not in page


def test_officers_cannot_open_the_regrade_page(answered, as_user):
    client = as_user(answered["officers"][0])
    assert client.get(f"/studio/questions/{answered['q1'].id}/regrade").status_code == 403


def test_the_stats_page_links_each_question_to_its_correction(answered, as_user):
    client = as_user(answered["trainer"])
    page = client.get(f"/studio/lessons/{answered['lesson'].id}/stats").get_data(as_text=True)
    assert f"/studio/questions/{answered['q1'].id}/regrade" in page


def test_saving_a_changed_answered_key_in_the_editor_waits_for_a_confirm(db, make, as_user):
    trainer = make.user(roles=("trainer",))
    officer = make.user()
    item = make.courseware(quiz=True, summary="简介", slug="keyed")  # true/false, key True
    question = item.quiz.questions[0]
    attempts.submit(db, officer.id, quizview.courseware_item(db, "keyed"),
                    {str(question.id): False}, "k", utcnow(), RULES)
    db.commit()
    item.status = "draft"  # withdrawn to correct it
    db.commit()
    data = {"title": item.title, "category": item.category.key, "summary": "简介",
            "estimated_minutes": "5", "min_read_seconds": "60", "body_md": "正文。",
            "quiz_yaml": authoring.quiz_text(item.quiz).replace("answer: true",
                                                                "answer: false"),
            "note": "更正答案", "save": "保存"}
    client = as_user(trainer)
    page = client.post("/studio/courseware/keyed", data=data).get_data(as_text=True)
    assert "1 份作答受影响" in page and "确认重新评分并保存" in page
    assert key_of(db, question) is True
    token = page.split('name="regrade_token" value="')[1].split('"')[0]
    response = client.post("/studio/courseware/keyed", data={**data, "regrade_token": token})
    assert response.status_code == 302
    assert key_of(db, question) is False
    db.expire_all()
    assert db.scalar(select(Courseware.title).where(Courseware.slug == "keyed")) == item.title
    assert points.total(db, officer.id) == RULES["courseware_quiz"]


# --- withdrawing (下架) -------------------------------------------------------------------

def test_withdrawing_a_lesson_needs_a_reason(db, make, as_user):
    trainer = make.user(roles=("trainer",))
    lesson = make.lesson()
    client = as_user(trainer)
    page = client.post(f"/studio/lessons/{lesson.id}/withdraw", data={"reason": "  "},
                       follow_redirects=True).get_data(as_text=True)
    assert "下架时请写明原因" in page
    db.expire_all()
    assert db.get(MicroLesson, lesson.id).status == "published"
    client.post(f"/studio/lessons/{lesson.id}/withdraw", data={"reason": "内容需要更新"})
    db.expire_all()
    assert db.get(MicroLesson, lesson.id).status == "retired"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "lesson_withdrawn"))
    assert event.detail["reason"] == "内容需要更新" and event.actor_id == trainer.id


def test_a_lesson_past_its_due_time_cannot_be_withdrawn(db, make):
    trainer = make.user(roles=("trainer",))
    now = utcnow()
    lesson = make.lesson(publish_at=now - timedelta(days=8), due_at=now - timedelta(days=1))
    with pytest.raises(authoring.AuthoringError) as refused:
        withdrawal.withdraw_lesson(db, trainer, lesson, "发错了", now)
    assert "已过截止时间" in refused.value.message and "重新评分" in refused.value.message
    db.rollback()
    assert db.get(MicroLesson, lesson.id).status == "published"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "lesson_withdrawn")) is None


def test_the_lesson_page_says_why_a_past_lesson_has_no_withdraw_button(make, as_user):
    now = utcnow()
    lesson = make.lesson(publish_at=now - timedelta(days=8), due_at=now - timedelta(days=1))
    page = as_user(make.user(roles=("trainer",))).get(f"/studio/lessons/{lesson.id}")
    text = page.get_data(as_text=True)
    assert "不能下架" in text and f"/studio/lessons/{lesson.id}/withdraw" not in text


@pytest.mark.parametrize("step", ["retire", "withdraw"])
def test_taking_courseware_down_needs_a_reason_in_the_audit_log(db, make, step):
    trainer = make.user(roles=("trainer",))
    item = make.courseware(status="published")
    with pytest.raises(authoring.Invalid):
        review.transition(db, trainer, item, step, "")
    db.rollback()
    review.transition(db, trainer, item, step, "政策已更新")
    db.commit()
    event = db.scalar(select(AuditEvent).where(AuditEvent.target == f"courseware:{item.slug}"))
    assert event.detail["reason"] == "政策已更新"


def test_the_officer_sees_a_regrade_adjustment_named_in_the_points_history(db, answered,
                                                                          as_user):
    q1 = answered["q1"]
    plan = regrade.plan(db, q1.quiz_id, {q1.id: "A"})
    regrade.apply(db, answered["trainer"], q1.quiz_id, {q1.id: "A"}, plan.token, utcnow(),
                  RULES)
    db.commit()
    page = as_user(answered["officers"][1]).get("/profile?all=1").get_data(as_text=True)
    assert "成绩更正调整" in page and "regrade:" not in page
