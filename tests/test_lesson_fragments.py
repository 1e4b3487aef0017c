"""The lesson page's markup remembered per worker (issue 15, `lms.fragments`): what is the
same for every officer is rendered once; what is one officer's (the CSRF token, their name,
their attempt and its option order, their standing) never enters what is remembered; an
edit or another language is a new page at once. Both databases: the fragments are keyed by
the values they show, not by the lesson's row version."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from lms import fragments
from lms.models import Attempt, MicroLesson, Question
from lms.web import db_session

NOW = datetime(2026, 11, 18, 2, 0)

pytestmark = pytest.mark.usefixtures("frozen_clock")

EXPLANATIONS = ("越是战时越要从严管理。", "临时党支部一般不发展党员、不收党费。",
                "按发展党员的标准和程序培养考察。")


def lesson(make, quiz=None, **kwargs):
    return make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=3),
                       quiz=quiz, **kwargs)


def view(browser, url: str):
    """One request in an app context of its own, as each request has in production: the
    test's context (the factories') would give every request of the test one `g`, and with
    it one signed-in user and one CSRF token."""
    with browser.application.app_context():
        return browser.get(url)


def remembered(app) -> str:
    """Every fragment the worker keeps, as one text."""
    return "".join(app.extensions["lms"].extras.get("fragments", {}).values())


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


def masked(page: str) -> str:
    """The page without its CSRF tokens (signed with the second they were made in)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


def option_order(page: str, question_id: int) -> list[str]:
    return re.findall(rf'name="q{question_id}" value="([^"]+)"', page)


def test_two_officers_never_see_each_others_token_name_or_attempt(app, make, browser_for):
    item = lesson(make, quiz=make.quiz(shuffle=True))
    first, second = make.user(name="甲某某"), make.user(name="乙某某")
    a, b = browser_for(first), browser_for(second)
    page_a = view(a, f"/lessons/{item.id}").text
    page_b = view(b, f"/lessons/{item.id}").text
    again_a = view(a, f"/lessons/{item.id}").text
    for mine, theirs, name in ((page_a, page_b, "甲某某"), (page_b, again_a, "乙某某")):
        assert name in mine and name not in theirs
        for field in ("csrf_token", "idempotency_key"):
            assert hidden(mine, field) not in theirs
    kept = remembered(app)
    assert kept  # the article, the questions and the navigation were remembered
    for page in (page_a, page_b):
        assert hidden(page, "csrf_token") not in kept
        assert hidden(page, "idempotency_key") not in kept
    assert "甲某某" not in kept and "乙某某" not in kept


def test_each_officer_gets_their_own_option_order(make, browser_for):
    item = lesson(make, quiz=make.quiz(shuffle=True))
    orders = set()
    for n in range(6):
        officer = make.user(name=f"序{n}")
        page = view(browser_for(officer), f"/lessons/{item.id}").text
        attempt = db_session().scalar(select(Attempt).where(Attempt.user_id == officer.id))
        for question_id, keys in attempt.option_order.items():
            assert option_order(page, int(question_id)) == keys
        orders.add(tuple(tuple(keys) for keys in attempt.option_order.values()))
    assert len(orders) > 1  # six attempts, four options each: not all in one order


def test_an_edit_is_on_the_page_at_once(make, browser_for):
    item = lesson(make, body_md="旧的正文。")
    browser = browser_for(make.user())
    page = view(browser, f"/lessons/{item.id}").text
    assert "旧的正文" in page
    question = db_session().scalar(select(Question).where(Question.quiz_id == item.quiz.id,
                                                          Question.kind == "single"))
    first_option = question.options[0][1]
    db = db_session()
    db.execute(update(MicroLesson).where(MicroLesson.id == item.id)
               .values(title="改过的标题", body_html="<p>新的正文。</p>"))
    db.execute(update(Question).where(Question.id == question.id).values(
        stem="改过的题干？", options=[[k, f"新{text}"] for k, text in question.options]))
    db.commit()
    page = view(browser, f"/lessons/{item.id}").text
    assert "改过的标题" in page and "新的正文" in page and "旧的正文" not in page
    assert "改过的题干？" in page and f"新{first_option}" in page


def test_each_language_gets_its_own_page(make, browser_for):
    item = lesson(make)
    browser = browser_for(make.user())
    assert "课后测验" in view(browser, f"/lessons/{item.id}").text
    with browser.session_transaction() as session:
        session["lms_lang"] = "en"
    english = view(browser, f"/lessons/{item.id}").text
    assert "课后测验" not in english and "Sign out" in english and "单选题" not in english
    with browser.session_transaction() as session:
        session["lms_lang"] = "zh_Hans_CN"
    assert "课后测验" in view(browser, f"/lessons/{item.id}").text


def _states(make):
    """(name, officer, lesson) for the page's states."""
    plain = lesson(make)
    timed = lesson(make, quiz=make.quiz(time_limit_seconds=600))
    once = lesson(make, quiz=make.quiz(attempts_allowed=1, review="never"))
    passed, failed, spent = make.user(name="过了"), make.user(name="没过"), make.user(name="用完")
    make.attempt(passed, plain, key="p")
    make.attempt(failed, plain, wrong=("q1", "q2", "q3"), key="f")
    make.attempt(spent, once, wrong=("q1", "q2", "q3"), key="s")
    return [("not started", make.user(name="新人"), plain), ("passed", passed, plain),
            ("failed", failed, plain), ("no attempt left", spent, once),
            ("timed", make.user(name="限时"), timed)]


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_a_remembered_page_is_the_page_rendered_afresh(app, make, browser_for, language):
    """For every state, the page built from remembered fragments (warmed by another
    officer) is the page rendered with none remembered."""
    states = _states(make)
    for name, officer, item in states:
        browser = browser_for(officer)
        with browser.session_transaction() as session:
            session["lms_lang"] = language
        view(browser, f"/lessons/{item.id}")  # opens the attempt, if any
        fragments.clear()
        fresh = view(browser, f"/lessons/{item.id}")
        for _name, other, other_item in states:  # every other state, remembered
            if other is not officer:
                view(browser_for(other), f"/lessons/{other_item.id}")
        kept = view(browser, f"/lessons/{item.id}")
        assert kept.status_code == fresh.status_code == 200, name
        assert masked(kept.text) == masked(fresh.text), name


def test_the_states_read_as_before(make, browser_for):
    pages = {name: view(browser_for(officer), f"/lessons/{item.id}").text
             for name, officer, item in _states(make)}
    assert "待完成" in pages["not started"] and "最高得分" not in pages["not started"]
    assert "已完成" in pages["passed"] and "您的最高得分：100 分" in pages["passed"]
    assert "待完成" in pages["failed"] and "最高得分" in pages["failed"]
    assert "本测验的作答次数已用完" in pages["no attempt left"]
    assert "idempotency_key" not in pages["no attempt left"]
    assert "限时 10 分钟" in pages["timed"]
    for page in pages.values():
        assert not any(text in page for text in EXPLANATIONS)  # no key before it is earned


def test_an_unreleased_lesson_is_not_served_from_what_was_remembered(make, browser_for):
    item = lesson(make)
    browser = browser_for(make.user())
    assert view(browser, f"/lessons/{item.id}").status_code == 200
    db = db_session()
    db.execute(update(MicroLesson).where(MicroLesson.id == item.id)
               .values(publish_at=NOW + timedelta(days=2)))
    db.commit()
    assert view(browser, f"/lessons/{item.id}").status_code == 404


def test_no_answer_key_is_remembered(app, make, browser_for):
    item = lesson(make, quiz=make.quiz(shuffle=True))
    for n in range(3):
        view(browser_for(make.user(name=f"键{n}")), f"/lessons/{item.id}")
    kept = remembered(app)
    assert "fieldset" in kept
    assert not any(text in kept for text in EXPLANATIONS)
