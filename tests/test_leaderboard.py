"""Points leaderboards: officers within their own branch, branches within their county by
points per active officer; only the officer's own branch and county, ever."""
import itertools
from datetime import datetime, timedelta

import pytest

from lms.domain.learning import points
from lms.domain.org.policy import PermissionDenied
from lms.domain.reports import leaderboard

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 18, 2, 0)  # 2026Q4 in Shanghai
QUARTER_START = datetime(2026, 9, 30, 16, 0)  # 2026-10-01 00:00 in Shanghai, as naive UTC
_source = itertools.count(1)


pytestmark = pytest.mark.usefixtures("frozen_clock")


def earn(db, user, amount: int, at: datetime = NOW):
    """`amount` points for `user`, paid for a fresh source."""
    assert points.award(db, user.id, "lesson_on_time", "lesson", next(_source), amount, at=at)
    db.commit()


def officers(make, unit, *earned, db):
    """One officer in `unit` per amount in `earned`, each having earned that many points."""
    made = []
    for amount in earned:
        officer = make.user(unit)
        if amount:
            earn(db, officer, amount)
        made.append(officer)
    return made


def branch_lines(board):
    return [(row.rank, row.name, row.points) for row in board.rows]


def county_lines(board):
    return [(row.rank, row.code, row.members, row.points, row.per_member) for row in board.rows]


# --- the branch board ----------------------------------------------------------------------

def test_branch_board_ranks_by_points_and_orders_ties_by_name_then_police_no(db, make):
    branch = make.unit()
    me = make.user(branch, name="Chen", police_no="P2")
    for name, police_no, amount in [("Chen", "P1", 5), ("An", "P3", 5), ("Bo", "P4", 9),
                                    ("Du", "P5", 0)]:
        officer = make.user(branch, name=name, police_no=police_no)
        if amount:
            earn(db, officer, amount)
    earn(db, me, 5)
    board = leaderboard.branch_board(db, me)
    assert branch_lines(board) == [(1, "Bo", 9), (2, "An", 5), (2, "Chen", 5), (2, "Chen", 5),
                                   (5, "Du", 0)]
    assert [row.police_no for row in board.rows][2:4] == ["P1", "P2"]
    assert (board.members, board.me.rank, board.me.position) == (5, 2, 4)
    assert [row.mine for row in board.rows] == [False, False, False, True, False]


def test_points_are_summed_over_the_ledger(db, make):
    branch = make.unit()
    me, other = make.user(branch), make.user(branch)
    for amount in (5, 2, 2):
        earn(db, me, amount)
    earn(db, other, 8)
    assert [(row.user_id, row.points) for row in leaderboard.branch_board(db, me).rows] == [
        (me.id, 9), (other.id, 8)]


def test_my_own_rank_is_included_beyond_the_limit(db, make):
    branch = make.unit()
    top = officers(make, branch, 9, 8, 7, db=db)
    me = make.user(branch)
    earn(db, me, 1)
    board = leaderboard.branch_board(db, me, limit=2)
    assert [row.user_id for row in board.rows] == [top[0].id, top[1].id, me.id]
    assert (board.me.rank, board.me.position, board.me.points, board.members) == (4, 4, 1, 4)


def test_within_the_limit_my_line_is_not_repeated(db, make):
    branch = make.unit()
    me = make.user(branch)
    earn(db, me, 9)
    officers(make, branch, 3, 2, db=db)
    board = leaderboard.branch_board(db, me, limit=2)
    assert [row.position for row in board.rows] == [1, 2]
    assert board.me == board.rows[0]


def test_inactive_officers_and_non_officers_are_not_on_the_branch_board(db, make):
    branch = make.unit()
    me = make.user(branch)
    gone = make.user(branch, active=False)
    trainer = make.user(branch, roles=("trainer",))
    earn(db, gone, 50)
    earn(db, trainer, 40)
    board = leaderboard.branch_board(db, me)
    assert [row.user_id for row in board.rows] == [me.id]
    assert board.members == 1


def test_the_branch_board_is_only_my_own_branch(db, make):
    tree = make.tree()
    me = make.user(tree["branch_a"])
    neighbour = make.user(make.unit("邻支部", parent=tree["station_a"]))
    earn(db, neighbour, 10)
    board = leaderboard.branch_board(db, me)
    assert (board.unit_id, [row.user_id for row in board.rows]) == (tree["branch_a"].id, [me.id])


# --- the county board ----------------------------------------------------------------------

def test_county_board_ranks_branches_by_points_per_active_officer(db, make):
    tree = make.tree()
    station = tree["station_a"]
    big = make.unit("大支部", parent=station, code="BIG")
    small = make.unit("小支部", parent=station, code="SMALL")
    officers(make, big, 10, 10, 0, 0, db=db)  # 20 points, 4 officers: 5 each
    officers(make, small, 6, db=db)  # 6 points, 1 officer
    me = officers(make, tree["branch_a"], 4, 4, db=db)[0]  # 8 points, 2 officers: 4 each
    board = leaderboard.county_board(db, me)
    assert county_lines(board) == [(1, "SMALL", 1, 6, 6.0), (2, "BIG", 4, 20, 5.0),
                                   (3, "BA", 2, 8, 4.0)]
    assert (board.county_id, board.branches) == (tree["county_a"].id, 3)
    assert board.mine.code == "BA" and [row.mine for row in board.rows] == [False, False, True]


def test_equal_points_per_member_share_a_rank_ordered_by_name(db, make):
    tree = make.tree()
    station = tree["station_a"]
    officers(make, make.unit("Beta", parent=station, code="BETA"), 3, 3, db=db)
    officers(make, make.unit("Alpha", parent=station, code="ALPHA"), 9, 0, 0, db=db)
    me = officers(make, tree["branch_a"], 1, db=db)[0]
    assert county_lines(leaderboard.county_board(db, me)) == [
        (1, "ALPHA", 3, 9, 3.0), (1, "BETA", 2, 6, 3.0), (3, "BA", 1, 1, 1.0)]


def test_inactive_officers_count_neither_points_nor_members(db, make):
    tree = make.tree()
    other = make.unit("另一支部", parent=tree["station_a"], code="OTHER")
    officers(make, other, 4, db=db)
    gone = make.user(other, active=False)
    earn(db, gone, 100)
    me = officers(make, tree["branch_a"], 2, db=db)[0]
    board = leaderboard.county_board(db, me)
    assert county_lines(board) == [(1, "OTHER", 1, 4, 4.0), (2, "BA", 1, 2, 2.0)]


def test_branches_without_active_officers_are_not_ranked(db, make):
    tree = make.tree()
    empty = make.unit("空支部", parent=tree["station_a"], code="EMPTY")
    make.user(empty, active=False)
    me = make.user(tree["branch_a"])
    assert [row.code for row in leaderboard.county_board(db, me).rows] == ["BA"]


def test_my_own_branch_is_included_beyond_the_limit(db, make):
    tree = make.tree()
    for n in range(3):
        officers(make, make.unit(f"支部{n}", parent=tree["station_a"], code=f"X{n}"), 10 + n,
                 db=db)
    me = make.user(tree["branch_a"])
    board = leaderboard.county_board(db, me, limit=2)
    assert [(row.position, row.code) for row in board.rows] == [(1, "X2"), (2, "X1"), (4, "BA")]
    assert board.branches == 4


def test_an_officer_never_sees_another_countys_branches(db, make):
    tree = make.tree()
    officers(make, tree["branch_b"], 99, db=db)
    officers(make, make.unit("B县二支部", parent=tree["station_b"], code="B2"), 50, db=db)
    me = make.user(tree["branch_a"])
    board = leaderboard.county_board(db, me)
    assert [row.code for row in board.rows] == ["BA"]
    assert board.county_name == "A县公安局"


def test_an_officer_attached_to_the_county_itself_sees_its_branches(db, make):
    tree = make.tree()
    me = make.user(tree["county_a"])
    officers(make, tree["branch_a"], 3, db=db)
    board = leaderboard.county_board(db, me)
    assert (board.county_id, [row.code for row in board.rows]) == (tree["county_a"].id, ["BA"])
    assert board.mine is None


def test_a_department_counts_as_a_county(db, make):
    city = make.unit("市公安局", "bureau")
    department = make.unit("政治部", "department", city)
    branch = make.unit("政治部党支部", "branch", department, code="PD")
    me = make.user(branch)
    assert [row.code for row in leaderboard.county_board(db, me).rows] == ["PD"]


def test_an_officer_outside_any_county_has_an_empty_county_board(db, make):
    city = make.unit("市公安局", "bureau")
    make.unit("县局", "county", city)
    me = make.user(city)
    board = leaderboard.county_board(db, me)
    assert (board.county_id, board.rows, board.mine) == (None, [], None)


def test_leaderboards_are_for_active_officers_only(db, make):
    branch = make.unit()
    for user in (make.user(branch, roles=("supervisor",)), make.user(branch, active=False)):
        with pytest.raises(PermissionDenied):
            leaderboard.branch_board(db, user)
        with pytest.raises(PermissionDenied):
            leaderboard.county_board(db, user)


# --- periods -------------------------------------------------------------------------------

def test_the_quarter_counts_only_points_earned_since_it_began_in_shanghai(db, make):
    tree = make.tree()
    me, other = make.user(tree["branch_a"]), make.user(tree["branch_a"])
    earn(db, me, 20, at=QUARTER_START - timedelta(seconds=1))  # 2026-09-30 23:59:59 local
    earn(db, me, 1, at=QUARTER_START)
    earn(db, other, 5, at=NOW)
    quarter = leaderboard.boards(db, me, "quarter", NOW, TZ)
    assert (quarter.quarter.key, quarter.quarter.start) == ("2026Q4", QUARTER_START)
    assert [(row.user_id, row.points) for row in quarter.branch.rows] == [(other.id, 5),
                                                                          (me.id, 1)]
    assert quarter.county.rows[0].points == 6
    everything = leaderboard.boards(db, me, "all", NOW, TZ)
    assert everything.quarter is None
    assert [(row.user_id, row.points) for row in everything.branch.rows] == [(me.id, 21),
                                                                             (other.id, 5)]


def test_an_unknown_period_means_all_time(db, make):
    me = make.user()
    earn(db, me, 3, at=datetime(2020, 1, 1))
    boards = leaderboard.boards(db, me, "decade", NOW, TZ)
    assert (boards.period, boards.branch.me.points) == ("all", 3)


# --- the page ------------------------------------------------------------------------------

def test_the_page_shows_both_boards_and_highlights_my_rows(db, make, client, login):
    tree = make.tree()
    me = make.user(tree["branch_a"], name="李娜")
    peer = make.user(tree["branch_a"], name="王强")
    earn(db, peer, 7)
    earn(db, me, 3)
    officers(make, make.unit("邻近支部", parent=tree["station_a"], code="NEAR"), 2, db=db)
    login(me.police_no)
    page = client.get("/profile/leaderboard").text
    branch = page[page.index("branch-board"):page.index("county-board")]
    assert branch.index("王强") < branch.index("李娜")
    mine = branch[branch.index('class="mine"'):]
    assert mine.index("李娜") < mine.index("</tr>")
    assert page.count('aria-current="true"') == 2  # my line and my branch's line
    assert "邻近支部" in page and ">5.0<" in page and ">2.0<" in page  # 10 / 2, 2 / 1
    assert " style=" not in page and "<script" not in page


def test_the_page_never_shows_another_countys_branches(db, make, client, login):
    tree = make.tree()
    officers(make, tree["branch_b"], 99, db=db)
    me = make.user(tree["branch_a"])
    login(me.police_no)
    for query in ("", "?period=quarter", f"?unit={tree['branch_b'].code}",
                  f"?county={tree['county_b'].code}"):
        page = client.get(f"/profile/leaderboard{query}").text
        assert "A派出所党支部" in page and "B派出所党支部" not in page, query


def test_the_quarter_tab_counts_this_quarter(db, make, client, login):
    me = make.user(name="李娜")
    earn(db, me, 40, at=QUARTER_START - timedelta(days=1))
    earn(db, me, 3)
    login(me.police_no)
    page = client.get("/profile/leaderboard?period=quarter").text
    assert "2026年第4季度" in page and ">3<" in page and ">43<" not in page
    assert ">43<" in client.get("/profile/leaderboard").text


def test_the_profile_links_to_the_leaderboard(make, client, login):
    me = make.user()
    login(me.police_no)
    assert 'href="/profile/leaderboard"' in client.get("/profile").text


def test_the_page_is_refused_to_non_officers(make, client, login):
    supervisor = make.user(roles=("supervisor",))
    login(supervisor.police_no)
    assert client.get("/profile/leaderboard").status_code == 403
