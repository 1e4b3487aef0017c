"""The lessons page: 待补学 (overdue first, then the soonest due), the rest folded by month."""
from datetime import datetime, timedelta

from lms.domain.learning.lessons import LessonStatus
from lms.domain.learning.plan import arrange
from lms.models import utcnow


def _status(id_, status, publish_at, due_at):
    return LessonStatus(id_, id_, f"第{id_}期", "", 5, publish_at, due_at, status, None, None)


def test_arrange_puts_the_longest_overdue_first_and_folds_the_rest_by_local_month():
    jan, feb = datetime(2026, 1, 10), datetime(2026, 2, 10)
    rows = [  # newest first, as list_for_user gives them
        _status(6, "due", feb, feb + timedelta(days=9)),
        _status(5, "due", feb, feb + timedelta(days=2)),
        _status(4, "overdue", feb, feb + timedelta(days=1)),
        _status(3, "done", datetime(2026, 1, 31, 17), feb),  # 1 Feb 01:00 in Shanghai
        _status(2, "overdue", jan, jan + timedelta(days=1)),
        _status(1, "optional", jan, jan + timedelta(days=3)),
    ]
    plan = arrange(rows, "Asia/Shanghai")
    assert [row.id for row in plan.catch_up] == [2, 4, 5, 6]
    assert [(g.year, g.month, [row.id for row in g.lessons]) for g in plan.months] == [
        (2026, 2, [3]), (2026, 1, [1])]


def test_the_page_lists_catch_up_in_order_and_the_home_alert_links_to_it(make, login, client):
    officer = make.user()
    now = utcnow()
    soon = make.lesson(title="甲 明天截止", publish_at=now - timedelta(days=2),
                       due_at=now + timedelta(days=1))
    later = make.lesson(title="乙 五天后截止", publish_at=now - timedelta(days=1),
                        due_at=now + timedelta(days=5))
    long_overdue = make.lesson(title="丙 逾期二十天", publish_at=now - timedelta(days=27),
                               due_at=now - timedelta(days=20))
    overdue = make.lesson(title="丁 逾期三天", publish_at=now - timedelta(days=9),
                          due_at=now - timedelta(days=3))
    done = make.lesson(title="戊 已学完", publish_at=now - timedelta(days=60),
                       due_at=now - timedelta(days=53))
    make.completion(officer, done, now - timedelta(days=55))
    login(officer.police_no)
    home = client.get("/").text
    assert 'href="/lessons#catch-up"' in home
    page = client.get("/lessons").text
    section = page.split('id="catch-up"')[1].split("</section>")[0]
    order = [section.index(lesson.title) for lesson in (long_overdue, overdue, soon, later)]
    assert order == sorted(order)
    assert done.title not in section
    rest = page.split("</section>")[-1]
    assert "<details" in rest and done.title in rest
