"""Every supervision table sorts by its columns and filters by unit through the query string
(links in the headers, `aria-sort` on the sorted column; no JavaScript needed)."""
import re
from datetime import datetime

import pytest

pytestmark = pytest.mark.usefixtures("frozen_clock")

# Tuesday of ISO week 49, 10:00 in Shanghai: the lesson due on 29 November is overdue.
NOW = datetime(2026, 12, 1, 2, 0)


@pytest.fixture
def county(make):
    """The city with two counties; county A has three branches doing well, badly, half."""
    t = make.tree()
    boss = make.user(t["city"], roles=("supervisor",))
    lesson = make.lesson_due(datetime(2026, 11, 29, 23, 59))
    extra = [make.unit(f"A{n}党支部", "branch", t["station_a"], code=f"BA{n}") for n in (2, 3)]
    people = {}
    for branch, done in ((t["branch_a"], 2), (extra[0], 0), (extra[1], 1)):
        officers = [make.user(branch, name=f"{branch.code}民警{i}", police_no=f"9{branch.code}{i}")
                    for i in range(2)]
        for officer in officers[:done]:
            make.completion(officer, lesson, datetime(2026, 11, 28))
        people[branch.code] = officers
    make.user(t["branch_b"], name="B民警", police_no="9BB0")
    return t, boss, people


def cells(html: str, column: int) -> list[str]:
    """The text of one column of the first table's body rows."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr.*?</tr>", body, re.S)
    return [re.sub(r"<[^>]+>", "", re.findall(r"<td.*?</td>", row, re.S)[column]).strip()
            for row in rows]


def test_the_dashboard_sorts_its_units_by_completion_rate(county, client, login):
    t, boss, _ = county
    login(boss.police_no)
    base = "/supervise/?unit=SA&period=2026-W48"
    worst = client.get(f"{base}&sort=rate&dir=asc").text
    assert cells(worst, 0) == ["A2党支部", "A3党支部", "A派出所党支部"]
    best = client.get(f"{base}&sort=rate&dir=desc").text
    assert cells(best, 0) == ["A派出所党支部", "A3党支部", "A2党支部"]
    header = re.search(r'<th[^>]*aria-sort="descending"[^>]*>.*?</th>', best, re.S).group(0)
    assert "完成率" in header
    # the header links to the other direction and keeps the unit and period
    link = re.search(r'href="([^"]*sort=rate[^"]*)"', header).group(1).replace("&amp;", "&")
    assert "dir=asc" in link and "unit=SA" in link and "period=2026-W48" in link


def test_the_dashboard_keeps_the_tree_order_without_a_sort_and_ignores_unknown_ones(
        county, client, login):
    _, boss, _ = county
    login(boss.police_no)
    plain = client.get("/supervise/?unit=SA&period=2026-W48").text
    odd = client.get("/supervise/?unit=SA&period=2026-W48&sort=nonsense&dir=sideways")
    assert odd.status_code == 200 and "aria-sort" not in plain
    assert cells(odd.text, 0) == cells(plain, 0)


def test_the_dashboard_filters_by_unit_with_a_select(county, client, login):
    _, boss, _ = county
    login(boss.police_no)
    html = client.get("/supervise/?period=2026-W48").text
    select = re.search(r'<select name="unit">.*?</select>', html, re.S).group(0)
    assert 'value="CA"' in select and 'value="CB"' in select


def test_the_units_own_officers_sort_apart_from_the_units(county, client, login):
    _, boss, _ = county
    login(boss.police_no)
    html = client.get("/supervise/?unit=BA2&period=2026-W48&osort=name&odir=desc").text
    officers = html.split('id="officers"', 1)[1]
    assert cells(officers, 1) == ["BA2民警1", "BA2民警0"]
    assert 'aria-sort="descending"' in officers


def test_the_tongbao_ranking_sorts_and_filters_by_unit(county, client, login):
    _, boss, _ = county
    login(boss.police_no)
    ranked = client.get("/supervise/tongbao?period=2026Q4&sort=rate&dir=asc").text
    names = [re.sub(r"\s*后进$", "", n) for n in cells(ranked, 1)]
    assert names[:2] == ["A2党支部", "B派出所党支部"] or names[:2] == ["B派出所党支部", "A2党支部"]
    assert names[-1] == "A派出所党支部"
    only_a = client.get("/supervise/tongbao?period=2026Q4&unit=CA&sort=unit&dir=desc").text
    assert [re.sub(r"\s*后进$", "", n) for n in cells(only_a, 1)] == [
        "A3党支部", "A2党支部", "A派出所党支部"]
    assert re.search(r'<select name="unit">.*value="SA".*</select>', only_a, re.S)


def test_the_tongbao_named_list_sorts_by_its_own_columns(county, client, login):
    _, boss, _ = county
    login(boss.police_no)
    html = client.get("/supervise/tongbao?period=2026Q4&unit=CA&names=1&nsort=police_no"
                      "&ndir=asc").text
    named = html.split("附：逾期未学人员名单", 1)[1]
    numbers = cells(named, 1)
    assert numbers == sorted(numbers) and len(numbers) >= 2
    assert 'aria-sort="ascending"' in named


def test_the_not_yet_done_list_by_lesson_sorts_by_name_and_pages_keep_the_sort(
        county, client, login):
    _, boss, _ = county
    login(boss.police_no)
    html = client.get("/supervise/pending?unit=CA&period=2026-W48&view=lessons"
                      "&sort=name&dir=desc").text
    names = cells(html, 1)
    assert names == sorted(names, reverse=True) and len(names) == 3
    header = re.search(r'<th[^>]*aria-sort="descending"[^>]*>.*?</th>', html, re.S).group(0)
    assert "姓名" in header and "view=lessons" in header


def test_the_not_yet_done_list_by_lesson_puts_those_never_signed_in_last(
        county, client, login, db):
    _, boss, people = county
    people["BA2"][1].last_login_at = datetime(2026, 11, 30, 1, 0)
    db.commit()
    login(boss.police_no)
    html = client.get("/supervise/pending?unit=CA&period=2026-W48&view=lessons"
                      "&sort=login&dir=desc").text
    assert cells(html, 1)[0] == "BA2民警1"
    assert cells(html, 7)[1:] == ["从未登录", "从未登录"]
