"""Issue numbers of earlier seasons (the demo's back-issues) are named by their season, never
shown as a bare "第202552期"."""
from lms.domain.learning import issues
from lms.templating import issue_name, lesson_label


def test_an_earlier_seasons_issue_is_named_by_its_season(app):
    with app.test_request_context():
        assert issue_name(14) == "第14期"
        assert issue_name(202552) == "2025年度第52期"
        assert lesson_label(202517, "主题党日怎么开") == "2025年度第17期 主题党日怎么开"
        assert lesson_label(202552, "2025年度第52期 主题党日") == "2025年度第52期 主题党日"


def test_weeks_before_a_seasons_first_issue_count_back_from_the_last_season():
    assert issues.season_issue(2026, 1) == 202552  # the week before 2026's 第1期
    assert issues.season_issue(2026, 36) == 202517
    assert issues.season_issue(2026, 53) == 202452  # a second year back
    assert issues.split(202517) == (2025, 17) and issues.split(16) == (None, 16)
    assert issues.issue_name(202517) == "2025年度第17期"


def test_the_lessons_page_names_a_back_issue_by_its_season(make, client, login):
    officer = make.user()
    make.lesson(title="2025年度第52期 学习回顾", issue_no=202552)
    login(officer.police_no)
    page = client.get("/lessons").text
    assert "2025年度第52期" in page and "第202552期" not in page
