"""The catalogue, the reading page and its server-side reading timer, and the classrooms."""
import re
from datetime import datetime, timedelta

import pytest

from lms.domain.clock import to_local
from lms.domain.coursefiles.markup import render_markdown
from lms.domain.learning import completion, points

NOW = datetime(2026, 12, 1, 8, 0, 0)


@pytest.fixture
def officer(make, login):
    """A signed-in officer."""
    user = make.user(name="陈静")
    login(user.police_no)
    return user


def card_titles(html: str) -> list[str]:
    """The courseware titles on a catalogue page, in order."""
    return re.findall(r'<h2 class="cw-title"><a href="[^"]+">([^<]+)</a>', html)


def row(db, user, item):
    db.expire_all()
    return completion.get(db, user.id, "courseware", item.id)


def test_catalogue_needs_sign_in(client):
    response = client.get("/courseware")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_listing_by_category(make, client, officer):
    practice = make.category("党建实务培训", key="practice")
    rules = make.category("党内法规解读", key="regulations")
    make.courseware("党费收缴规范", practice)
    make.courseware("纪律处分条例解读", rules)
    page = client.get("/courseware?category=practice").get_data(as_text=True)
    assert card_titles(page) == ["党费收缴规范"]
    assert 'href="/courseware?category=regulations"' in page
    everything = client.get("/courseware").get_data(as_text=True)
    assert sorted(card_titles(everything)) == sorted(["党费收缴规范", "纪律处分条例解读"])


def test_unknown_category_is_404(make, client, officer):
    assert client.get("/courseware?category=nope").status_code == 404


def test_featured_first_with_a_badge(make, client, officer):
    practice = make.category(key="practice")
    make.courseware("A 普通课件", practice)
    make.courseware("B 精品课件", practice, featured=True)
    make.courseware("C 普通课件", practice)
    page = client.get("/courseware?category=practice").get_data(as_text=True)
    assert card_titles(page) == ["B 精品课件", "A 普通课件", "C 普通课件"]
    assert page.count('<span class="badge">精品</span>') == 1


def test_chinese_substring_search(make, client, officer):
    category = make.category()
    make.courseware("如何规范开展“三会一课”", category)
    make.courseware("主题党日策划", category, summary="围绕月度主题开展“三会”之外的活动")
    make.courseware("谈心谈话", category, body_md="## 要点\n\n支部书记每年与党员**谈心**。")
    make.courseware("党费收缴", category)
    found = card_titles(client.get("/courseware?q=三会").get_data(as_text=True))
    assert sorted(found) == sorted(["如何规范开展“三会一课”", "主题党日策划"])
    assert card_titles(client.get("/courseware?q=书记每年").get_data(as_text=True)) == ["谈心谈话"]
    assert card_titles(client.get("/courseware?q=不存在的词").get_data(as_text=True)) == []


def test_search_treats_like_wildcards_literally(make, client, officer):
    category = make.category()
    make.courseware("完成率 100% 的支部", category)
    make.courseware("完成率九成的支部", category)
    make.courseware("snake_case 写法", category)
    make.courseware("snakeXcase 写法", category)
    assert card_titles(client.get("/courseware?q=%25").get_data(as_text=True)) == [
        "完成率 100% 的支部"]
    assert card_titles(client.get("/courseware?q=e_c").get_data(as_text=True)) == [
        "snake_case 写法"]


def test_search_stays_inside_the_chosen_category(make, client, officer):
    practice, rules = make.category(key="practice"), make.category(key="regulations")
    make.courseware("三会一课实务", practice)
    make.courseware("三会一课的条例依据", rules)
    page = client.get("/courseware?category=regulations&q=三会").get_data(as_text=True)
    assert card_titles(page) == ["三会一课的条例依据"]


def test_drafts_in_review_and_retired_are_invisible(make, client, officer):
    category = make.category(key="practice")
    make.courseware("已发布", category)
    for status in ("draft", "in_review", "retired"):
        make.courseware(f"隐藏-{status}", category, slug=f"hidden-{status}", status=status)
    page = client.get("/courseware?category=practice&q=隐藏").get_data(as_text=True)
    assert card_titles(page) == []
    assert card_titles(client.get("/courseware").get_data(as_text=True)) == ["已发布"]
    for status in ("draft", "in_review", "retired"):
        assert client.get(f"/courseware/hidden-{status}").status_code == 404
        assert client.post(f"/courseware/hidden-{status}/done").status_code == 404


def test_paging_after_thirty(make, client, officer):
    category = make.category()
    for n in range(31):
        make.courseware(f"课件{n:02d}", category)
    first = client.get("/courseware").get_data(as_text=True)
    assert len(card_titles(first)) == 30 and "第 1 / 2 页" in first
    assert 'href="/courseware?page=2"' in first
    second = client.get("/courseware?page=2").get_data(as_text=True)
    assert card_titles(second) == ["课件30"]
    assert card_titles(client.get("/courseware?page=99999999999999999999").get_data(
        as_text=True)) == ["课件30"]


def test_learned_marker_comes_from_the_officers_completion(db, make, client, officer):
    category = make.category()
    done = make.courseware("A 已经学完", category)
    make.courseware("B 还没学", category)
    other = make.user()
    completion.mark_completed(db, officer.id, "courseware", done.id, NOW)
    db.commit()
    page = client.get("/courseware").get_data(as_text=True)
    assert re.search(r"A 已经学完.*?已学</span>.*?B 还没学.*?未学</span>", page, re.S)
    client.post("/logout")
    client.post("/login", data={"police_no": other.police_no, "password": make.PASSWORD})
    assert "已学</span>" not in client.get("/courseware").get_data(as_text=True)


def test_reading_page(make, client, officer):
    item = make.courseware("如何规范开展“三会一课”", make.category("党建实务培训"),
                           lecturer="市局机关党委", estimated_minutes=12,
                           body_md="## 一、是什么\n\n| 名称 | 频次 |\n|---|---|\n| 党课 | 每年 |")
    page = client.get(f"/courseware/{item.slug}").get_data(as_text=True)
    assert "<h1>如何规范开展“三会一课”</h1>" in page
    assert "党建实务培训" in page and "主讲：市局机关党委" in page and "约 12 分钟" in page
    assert '<h2 id="一是什么">一、是什么</h2>' in page and "<td>党课</td>" in page
    assert f'action="/courseware/{item.slug}/done"' in page and "我已读完" in page


def test_titles_and_summaries_are_escaped(make, client, officer):
    make.courseware("<script>alert(1)</script>", summary="<img src=x onerror=alert(1)>")
    page = client.get("/courseware").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_opening_starts_the_timer_on_the_server(db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=60)
    client.get(f"/courseware/{item.slug}")
    assert row(db, officer, item).opened_at == NOW


def test_done_too_early_does_not_complete(db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=60)
    client.get(f"/courseware/{item.slug}")
    frozen_clock.set(NOW + timedelta(seconds=25))
    # Whatever the page claims about time is ignored: only the server clock counts.
    response = client.post(f"/courseware/{item.slug}/done", data={"seconds": "3600"},
                           follow_redirects=True)
    assert "请再阅读 35 秒后确认" in response.get_data(as_text=True)
    record = row(db, officer, item)
    assert record.status == "in_progress" and record.time_spent_seconds == 25


def test_done_after_the_minimum_completes(db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=60)
    client.get(f"/courseware/{item.slug}")
    frozen_clock.set(NOW + timedelta(seconds=40))
    client.post(f"/courseware/{item.slug}/done")
    # The redirect reopens the page; the second visit's time adds to the first.
    client.get(f"/courseware/{item.slug}")
    frozen_clock.set(NOW + timedelta(seconds=65))
    response = client.post(f"/courseware/{item.slug}/done", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已完成本课件的学习" in page and "我已读完" not in page
    record = row(db, officer, item)
    assert record.status == "completed" and record.first_completed_at == frozen_clock.now
    assert record.time_spent_seconds == 65


def test_reading_to_the_end_pays_its_points_once(app, db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=60)
    messages = []
    for _ in range(2):
        client.get(f"/courseware/{item.slug}")
        frozen_clock.advance(seconds=90)
        page = client.post(f"/courseware/{item.slug}/done", follow_redirects=True)
        messages += re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>',
                               page.get_data(as_text=True))
    assert messages == ["已完成本课件的学习，积分 +1。", "已完成本课件的学习。"]
    assert points.total(db, officer.id) == app.config["LMS_POINTS"]["courseware_read"] == 1
    lines = points.history(db, officer.id)
    assert [(p.rule, p.source_type, p.source_id) for p in lines] == [
        ("courseware_read", "courseware", item.id)]


def test_a_visit_counts_once_and_at_most_an_hour(db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=7200)
    client.get(f"/courseware/{item.slug}")
    frozen_clock.set(NOW + timedelta(hours=5))  # left open all afternoon
    client.post(f"/courseware/{item.slug}/done")
    frozen_clock.set(NOW + timedelta(hours=5, seconds=30))
    client.post(f"/courseware/{item.slug}/done")  # the same visit, confirmed again
    record = row(db, officer, item)
    assert (record.time_spent_seconds, record.opened_at) == (3600, None)


def test_done_without_opening_does_not_complete(db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=60)
    client.post(f"/courseware/{item.slug}/done")
    assert row(db, officer, item) is None


def test_done_needs_a_csrf_token(make, client, officer, csrf_on, frozen_clock):
    item = make.courseware(min_read_seconds=0)
    assert client.post(f"/courseware/{item.slug}/done").status_code == 400


def test_an_item_with_a_quiz_is_not_completed_by_reading(db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=10, quiz=True)
    client.get(f"/courseware/{item.slug}")
    frozen_clock.set(NOW + timedelta(seconds=4))
    early = client.post(f"/courseware/{item.slug}/done", follow_redirects=True)
    assert "请再阅读 6 秒后确认" in early.get_data(as_text=True)
    frozen_clock.set(NOW + timedelta(seconds=4 + 296))
    response = client.post(f"/courseware/{item.slug}/done", follow_redirects=True)
    assert "通过测验后计为已学" in response.get_data(as_text=True)
    record = row(db, officer, item)
    assert record.status == "in_progress" and record.time_spent_seconds == 300


def test_the_reading_page_links_to_its_quiz(make, client, officer):
    item = make.courseware(quiz=True)
    plain = make.courseware()
    page = client.get(f"/courseware/{item.slug}").get_data(as_text=True)
    assert f'href="/courseware/{item.slug}/quiz">参加测验</a>' in page
    assert "参加测验" not in client.get(f"/courseware/{plain.slug}").get_data(as_text=True)


def test_classrooms_by_type(make, client, officer):
    model = make.classroom_type("组织生活“样板课堂”", key="model", position=1,
                                description="把组织生活开成可观摩、可复制的样板。")
    onsite = make.classroom_type("党员教育“实境课堂”", key="onsite", position=2)
    unit = make.unit("平江派出所党支部")
    make.classroom("“三会一课”规范化示范观摩", model, unit, description="完整展示流程。")
    make.classroom("英烈纪念设施现场教学", onsite)
    make.classroom("已撤销的课堂", onsite, status="retired")
    page = client.get("/classrooms").get_data(as_text=True)
    assert page.index("组织生活“样板课堂”") < page.index("党员教育“实境课堂”")
    assert "把组织生活开成可观摩、可复制的样板。" in page
    assert re.search(r"“三会一课”规范化示范观摩.*?平江派出所党支部.*?完整展示流程。", page, re.S)
    assert "英烈纪念设施现场教学" in page and "已撤销的课堂" not in page


def test_navigation_lists_courseware_and_classrooms(client, officer):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/courseware"' in page and 'href="/classrooms"' in page


def test_the_reading_page_says_how_long_is_left_on_the_server_clock(
        db, make, client, officer, frozen_clock):
    item = make.courseware(min_read_seconds=150)
    page = client.get(f"/courseware/{item.slug}").get_data(as_text=True)
    unlock = to_local(NOW + timedelta(seconds=150), "Asia/Shanghai").strftime("%H:%M")
    assert "还需阅读 3 分钟" in page and f"{unlock} 后点击“我已读完”即可计入。" in page
    frozen_clock.set(NOW + timedelta(seconds=100))
    client.post(f"/courseware/{item.slug}/done")  # 100 s banked: 50 s to go
    page = client.get(f"/courseware/{item.slug}").get_data(as_text=True)
    unlock = to_local(NOW + timedelta(seconds=150), "Asia/Shanghai").strftime("%H:%M")
    assert "还需阅读 1 分钟" in page and f"{unlock} 后点击" in page
    frozen_clock.set(NOW + timedelta(seconds=160))
    client.post(f"/courseware/{item.slug}/done")
    assert "还需阅读" not in client.get(f"/courseware/{item.slug}").get_data(as_text=True)


def test_task_lists_render_as_boxes_and_the_sanitizer_stays_shut():
    html = render_markdown("- [ ] 学习党章\n- [x] 完成测验\n\n分隔段落。\n\n"
                           "- [ ] 松散\n\n- [X] 列表\n")
    assert '<li><span class="task-box">☐</span> 学习党章</li>' in html
    assert '<li><span class="task-box task-done">☑</span> 完成测验</li>' in html
    assert '<p><span class="task-box task-done">☑</span> 列表</p>' in html
    hostile = render_markdown('- [ ] <input type="text" name="password"> '
                              '<span class="task-box evil" onclick="x()">x</span>')
    assert "<input" not in hostile and "onclick" not in hostile and "evil" not in hostile
