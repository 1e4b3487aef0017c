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


QUOTE_WIDTH = """e => {  // width of the first “ in e's text, over the font size
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf('\\u201c');
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + 1);
    return range.getBoundingClientRect().width / parseFloat(getComputedStyle(e).fontSize);
  }
  return null;
}"""


def test_english_quotes_are_not_full_width(page, server_url, make, sign_in):
    """The CJK fonts draw “ ” full-width: English text takes them from a Latin font, Chinese
    text keeps them full-width (the organisation page's hint quotes 编辑 / Edit)."""
    page.set_viewport_size({"width": 1366, "height": 900})
    admin = make.user(roles=("officer", "admin"), name="王强")
    sign_in(admin.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/admin/units")
    hint = page.locator("main p.muted").first
    assert "“编辑”" in hint.inner_text()
    assert hint.evaluate(QUOTE_WIDTH) > 0.8  # full-width in Chinese

    page.locator("footer button", has_text="English").click()
    page.wait_for_load_state()
    hint = page.locator("main p.muted").first
    assert "“Edit”" in hint.inner_text()
    assert hint.evaluate(QUOTE_WIDTH) < 0.6
