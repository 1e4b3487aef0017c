"""A lesson named in supervision and studio pages: "第N期 title", never "第16期 第16期 …"."""
import flask_babel

from lms.templating import lesson_label


def test_the_issue_is_prefixed_only_when_the_title_lacks_it(app):
    with app.test_request_context():
        assert lesson_label(16, "第16期 守好警营意识形态阵地") == "第16期 守好警营意识形态阵地"
        assert lesson_label(1036, "往期 · 主题党日怎么开") == "第1036期 往期 · 主题党日怎么开"


def test_the_studio_stats_page_names_the_lesson_once(make, client, login):
    trainer = make.user(roles=("officer", "trainer"))
    lesson = make.lesson(title="第16期 守好警营意识形态阵地", issue_no=16)
    login(trainer.police_no)
    page = client.get(f"/studio/lessons/{lesson.id}/stats").text
    assert "第16期 守好警营意识形态阵地" in page and "第16期 第16期" not in page


def test_in_english_a_title_that_names_its_issue_is_not_prefixed_again(app):
    with app.test_request_context():
        from flask import session
        session["lms_lang"] = "en"
        assert lesson_label(16, "第16期 守好警营意识形态阵地") == "第16期 守好警营意识形态阵地"
        assert lesson_label(202552, "2025年度第52期 主题党日") == "2025年度第52期 主题党日"
        assert lesson_label(16, "守好警营意识形态阵地") == "Issue 16 守好警营意识形态阵地"


def test_the_stats_page_marks_the_right_option_correct_not_true_in_english(make, client, login):
    trainer = make.user(roles=("officer", "trainer"))
    lesson = make.lesson(title="第16期 守好警营意识形态阵地", issue_no=16)
    login(trainer.police_no)
    assert '<span class="badge ok">正确</span>' in client.get(
        f"/studio/lessons/{lesson.id}/stats").text
    client.post("/language/en")
    flask_babel.refresh()  # the test's app context caches the locale (see test_i18n.switch)
    page = client.get(f"/studio/lessons/{lesson.id}/stats").text
    assert '<span class="badge ok">Correct</span>' in page
    assert '<span class="badge ok">True</span>' not in page
