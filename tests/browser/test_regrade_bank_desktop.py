"""Correcting a bank question's key at desktop size in real Chromium: from the bank's
statistics the trainer opens 更正答案; the preview covers both lessons that drew it."""
import re

from factories import Factory
from test_regrade_bank import MATRIX, answer, drawn_lesson, make_bank

DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_correcting_a_bank_key_across_two_lessons_on_desktop(page, server_url, sign_in, shot,
                                                             db, make):
    make_bank(db)
    lessons = {"a": drawn_lesson(db, make, 60), "b": drawn_lesson(db, make, 50)}
    trainer = make.user(roles=("trainer",), name="王建华")
    names = {"o1": "张伟", "o2": "李娜", "o3": "王强", "o4": "刘洋"}
    for key, (which, one, two) in MATRIX.items():
        answer(db, make.user(name=names[key]), lessons[which], {"b1": one, "b2": two},
               lessons["a"].publish_at)

    page.set_viewport_size(DESKTOP)
    sign_in(trainer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/banks/zz/stats")
    page.locator(".st-question").first.locator("text=更正答案").click()
    page.wait_for_url(re.compile(r".*/studio/questions/\d+/regrade$"))
    page.check("input[name=answer][value=C]")
    page.click("button[value=preview]")
    assert page.locator(".rg-affected strong").inner_text() == "4 份作答受影响"
    assert page.locator(".rg-table tbody tr").count() == 4
    assert page.locator(".rg-table tr.rg-pass_to_fail").count() == 2  # 张伟, 刘洋
    assert page.locator(".rg-table tr.rg-fail_to_pass").count() == 1  # 王强
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("regrade-bank-preview-desktop")
    page.click("button[value=confirm]")
    page.wait_for_url(re.compile(r".*/studio/banks/zz/stats$"))
    assert "已更正答案并重新评分：4 份作答的成绩有变化。" in page.locator(".flash").inner_text()
