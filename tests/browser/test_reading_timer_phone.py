"""The reading page on a phone, without JavaScript: the time left and when 我已读完 counts,
and a task list drawn as boxes."""
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

BODY = "## 学习清单\n\n- [x] 通读党章总纲\n- [ ] 对照检查个人问题\n- [ ] 写出整改措施\n\n正文。"


def test_reading_timer_and_task_list_without_javascript(phone_without_js, server_url, make):
    officer = make.user(name="李娜")
    item = make.courseware(title="党章学习清单", body_md=BODY, min_read_seconds=180)
    page = phone_without_js(officer)
    page.goto(f"{server_url}/courseware/{item.slug}")
    timer = page.locator(".reading-timer")
    assert "还需阅读 3 分钟" in timer.inner_text()
    assert "后点击“我已读完”即可计入。" in timer.inner_text()
    boxes = page.locator(".prose .task-box")
    assert boxes.all_inner_texts() == ["☑", "☐", "☐"]
    assert "[ ]" not in page.locator(".prose").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "reading-timer-phone.png"), full_page=True)
