"""The officer's home in English on a phone, switched through the footer, in Chromium."""
from factories import Factory

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_officer_home_in_english_on_a_phone(page, server_url, make, sign_in, shot):
    page.set_viewport_size(PHONE)
    officer = make.user(name="李娜", unit=make.unit("平江派出所党支部"))
    make.lesson(title="临时党支部的组建与运行", issue_no=14)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    page.locator("footer button", has_text="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Hello, 李娜"
    assert "This week's micro-lesson" in page.locator("main").inner_text()
    assert page.locator("footer button").inner_text() == "中文"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("home-en-phone")
