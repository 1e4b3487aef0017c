"""Chinese first, English on request (Flask-Babel).

The msgids are the Chinese UI text, so Chinese never depends on a catalogue; English comes
from lms/translations/en/LC_MESSAGES/messages.po. If `test_every_msgid_has_an_english_translation`
fails, you added or changed a UI string: run `make messages` (extracts
lms/translations/messages.pot and updates the `en` catalogue), translate the new or fuzzy
entries in messages.po (no fuzzy flags, keep every %(name)s placeholder), then
`make translations` to compile.
"""
import re
from html import unescape
from pathlib import Path

import flask_babel
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "lms" / "translations"
POT = TRANSLATIONS / "messages.pot"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = EN_PO.with_suffix(".mo")

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sd]|%%")
# Never translated: the other language's name on the switch, the brand mark in the logo.
ALWAYS_CHINESE = ("中文", "魂")
# Known gap: period labels (2026年第48周, 2026年第4季度, 2026年) come from
# lms.domain.reports.periods.Period.label, a domain module without Flask-Babel.
PERIOD_LABEL = re.compile(r"\d{4}年(?:第\d{1,2}(?:周|季度))?")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """The .mo as `make translations` builds it, in case pytest runs without make."""
    if not EN_MO.exists() or EN_MO.stat().st_mtime < EN_PO.stat().st_mtime:
        with EN_PO.open("rb") as po:
            catalog = read_po(po, locale="en")
        with EN_MO.open("wb") as mo:
            write_mo(mo, catalog)


def read_catalog(path: Path, locale=None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def visible_text(html: str) -> str:
    """The page's text, without tags, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def headings(html: str) -> list[str]:
    """The text of the <title>, <h1> and <h2> elements."""
    return [visible_text(m) for m in re.findall(r"<(?:title|h1|h2)\b[^>]*>(.*?)</(?:title|h1|h2)>",
                                                html, flags=re.S)]


def chinese_left(html: str, data=()) -> list[str]:
    """Runs of Chinese text on the page that are neither data (names of units, people...)
    nor the fixed exceptions."""
    text = PERIOD_LABEL.sub(" ", visible_text(html))
    for keep in (*data, *ALWAYS_CHINESE):
        text = text.replace(keep, " ")
    return re.findall(r"\S*[\u3400-\u9fff]\S*", text)


def switch(client, lang: str, **kwargs):
    """Switch the UI language through the footer's form.

    Flask-Babel caches the locale in `g`; test requests reuse the test's app context (and so
    its `g`), unlike real requests, each of which gets its own: forget the cached locale."""
    response = client.post(f"/language/{lang}", **kwargs)
    flask_babel.refresh()
    return response


def english(client):
    assert switch(client, "en").status_code == 302


def test_default_language_is_chinese(client):
    html = client.get("/login").text
    assert '<html lang="zh-CN">' in html
    assert "登录铸魂学堂" in html and "警号" in html and "Sign in" not in html
    assert ">English</button>" in html


def test_login_page_in_english(client):
    english(client)
    html = client.get("/login").text
    assert '<html lang="en">' in html
    assert "Sign in to Zhuhun LMS" in html and "Police No." in html
    assert "Password or activation code" in html
    assert all(not CJK.search(h) for h in headings(html)), headings(html)
    assert chinese_left(html) == []


def test_failed_sign_in_message_in_english(client, make, login):
    user = make.user()
    english(client)
    response = login(user.police_no, "wrong password entirely")
    assert response.status_code == 401
    assert "Incorrect police number or password." in response.text


def test_officer_pages_in_english(client, make, login):
    unit = make.unit("一所党支部")
    user = make.user(unit, name="Chen Jing")
    lesson = make.lesson(title="Branches on the front line", summary="Read this first.")
    category = make.category(name="Party history")
    make.courseware(title="The Gutian meeting", category=category, summary="Why it matters.")
    login(user.police_no)
    english(client)

    home = client.get("/").text
    assert "Hello, Chen Jing" in home
    assert "This week's micro-lesson" in home and f"Issue {lesson.issue_no}" in home
    assert "Micro-lessons" in home and "Learning record" in home and "Sign out" in home
    assert all(not CJK.search(h) for h in headings(home)), headings(home)
    assert chinese_left(home, data=[unit.name]) == []

    lessons = client.get("/lessons").text
    assert "Political Training Micro-lesson" in lessons and "Branches on the front line" in lessons
    assert all(not CJK.search(h) for h in headings(lessons)), headings(lessons)
    assert chinese_left(lessons) == []

    catalogue = client.get("/courseware").text
    assert "Courseware categories" in catalogue and "Search courseware" in catalogue
    assert "The Gutian meeting" in catalogue
    assert all(not CJK.search(h) for h in headings(catalogue)), headings(catalogue)
    assert chinese_left(catalogue) == []


def test_supervise_dashboard_in_english(client, make, login):
    units = make.tree()
    boss = make.user(units["city"], roles=("officer", "supervisor"), name="Wang Qiang")
    make.user(units["branch_a"], name="Li Ming")
    make.lesson(title="Branches on the front line")
    login(boss.police_no)
    english(client)
    html = client.get("/supervise/").text
    assert "Completion" in html and "Completion rate by unit" in html
    assert "Subordinate units" in html and "Weekly completion trend" in html
    data = [u.name for u in units.values()]
    assert all(not CJK.search(PERIOD_LABEL.sub("", h)) for h in headings(html)
               if not any(n in h for n in data)), headings(html)
    assert "Officers at this level" in html and "Wang Qiang" in html
    assert chinese_left(html, data=sorted(data, key=len, reverse=True)) == []


def test_switching_back_to_chinese(client, make, login):
    user = make.user()
    login(user.police_no)
    english(client)
    assert "Sign out" in client.get("/").text
    response = switch(client, "zh_Hans_CN", data={"next": "/lessons"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/lessons")
    html = client.get("/").text
    assert '<html lang="zh-CN">' in html and "退出" in html and "Sign out" not in html


def test_unknown_language_is_404(client):
    assert client.post("/language/fr").status_code == 404


def test_error_page_in_english(client):
    english(client)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_every_msgid_has_an_english_translation():
    """Every msgid of messages.pot has a non-fuzzy, non-empty English translation with the
    same placeholders. On failure: `make messages`, translate messages.po, `make translations`."""
    template = read_catalog(POT)
    catalogue = read_catalog(EN_PO, locale="en")
    problems = []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, message.context)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if entry is None:
            problems.append(f"not in en/messages.po (run `make messages`): {key}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(s and s.strip() for s in strings):
            problems.append(f"untranslated or fuzzy: {key}")
            continue
        for s in strings:
            if sorted(PLACEHOLDER.findall(key)) != sorted(PLACEHOLDER.findall(s)):
                problems.append(f"placeholders differ: {key} -> {s}")
            if CJK.search(s.replace("“", "").replace("”", "")):
                problems.append(f"Chinese left in the English text: {key} -> {s}")
    assert problems == [], "\n".join(problems)
