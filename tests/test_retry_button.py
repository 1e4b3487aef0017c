"""After a failed quiz: 重新测验 while attempts remain, never "开始学习 · 最高 0 分"."""
import re

ALL_WRONG = ("q1", "q2", "q3", "q4", "q5")


def _card(html: str) -> str:
    return html.split('class="card this-week')[1].split("</section>")[0]


def test_the_home_card_before_any_attempt_says_start(make, login, client):
    officer = make.user()
    make.lesson(title="第7期 本周")
    login(officer.police_no)
    card = _card(client.get("/").text)
    assert "开始学习" in card and "最高" not in card and "重新测验" not in card


def test_a_failed_attempt_offers_retry_until_the_attempts_run_out(make, login, client):
    officer = make.user()
    lesson = make.lesson(title="第8期 本周", quiz=make.quiz(attempts_allowed=2))
    first = make.attempt(officer, lesson, wrong=ALL_WRONG)
    login(officer.police_no)

    card = _card(client.get("/").text)
    assert "未通过，最高 0 分" in card
    assert "开始学习" not in card
    assert re.search(rf'href="/lessons/{lesson.id}#quiz">重新测验', card)
    result = client.get(f"/attempts/{first.attempt_id}").text
    assert re.search(r'class="btn primary" href="[^"]+#quiz">重新测验', result)

    second = make.attempt(officer, lesson, wrong=ALL_WRONG, key="second")
    card = _card(client.get("/").text)
    assert "重新测验" not in card and "本测验的作答次数已用完。" in card
    result = client.get(f"/attempts/{second.attempt_id}").text
    assert "重新测验" not in result and "再做一次" not in result
    assert "本测验的作答次数已用完。" in result


def test_a_passed_lesson_offers_to_study_again(make, login, client):
    officer = make.user()
    lesson = make.lesson(title="第9期 本周")
    passed = make.attempt(officer, lesson)
    login(officer.police_no)
    card = _card(client.get("/").text)
    assert "再学一遍" in card and "最高 100 分" in card and "未通过" not in card
    result = client.get(f"/attempts/{passed.attempt_id}").text
    assert "再做一次" in result and "重新测验" not in result
