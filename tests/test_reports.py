"""Completion reports over the org tree: counts, roll-up, on-time across the week boundary,
the not-yet-done list, the trend, the quarterly inspection and the JSON API."""
import itertools
import random
from datetime import datetime, timedelta

import pytest
from factories import Factory

from lms.domain.reports import assignments, inspection, periods, rollup
from lms.models import (
    Attendance,
    Classroom,
    ClassroomType,
    ClassSession,
    Completion,
    MicroLesson,
    PointsEntry,
)

TZ = "Asia/Shanghai"
# Tuesday of ISO week 49, 10:00 in Shanghai: week 48's lesson is two days overdue.
NOW = datetime(2026, 12, 1, 2, 0)


def add_lesson(db, *args, **kwargs) -> MicroLesson:
    """make.lesson_due(...) for the tests below that take no `make`."""
    return Factory(db).lesson_due(*args, **kwargs)


def complete(db, *args, **kwargs) -> Completion:
    """make.completion(...) for the tests below that take no `make`."""
    return Factory(db).completion(*args, **kwargs)


def week(key="2026-W48"):
    return rollup.Selection(period=periods.parse(key, TZ))


def counts(report):
    """{unit code (own officers as CODE*): (assigned, completed, on_time, overdue)}."""
    return {row.unit.code + ("*" if row.own else ""):
            (row.counts.assigned, row.counts.completed, row.counts.on_time, row.counts.overdue)
            for row in report.rows}


@pytest.fixture
def bureau(db, make):
    """Two counties; officers in branches, a station's own office and the city's own office."""
    t = make.tree()
    people = {
        "a1": make.user(t["branch_a"]), "a2": make.user(t["branch_a"]),
        "a3": make.user(t["branch_a"]), "sa": make.user(t["station_a"]),
        "b1": make.user(t["branch_b"]), "b2": make.user(t["branch_b"]),
        "hq": make.user(t["city"]),
        "gone": make.user(t["branch_a"], active=False),
        "boss": make.user(t["county_a"], roles=("supervisor",)),  # not an officer
    }
    return t, people


def test_on_time_late_and_never_across_the_week_boundary(db, bureau):
    t, p = bureau
    # Due Sunday 23:59 in Shanghai = 15:59 UTC.
    lesson = add_lesson(db, datetime(2026, 11, 29, 23, 59), audience=[t["branch_a"]])
    assert lesson.due_at == datetime(2026, 11, 29, 15, 59)
    complete(db, p["a1"], lesson, datetime(2026, 11, 29, 15, 30), score=90)  # Sunday 23:30 local
    complete(db, p["a2"], lesson, datetime(2026, 11, 29, 16, 30), score=70)  # Monday 00:30 local
    # a3 never completes.
    report = rollup.completion_by_child(db, t["station_a"], week(), NOW)
    assert counts(report) == {"BA": (3, 2, 1, 1)}
    officers = {o.police_no: o.counts for o in rollup.officers_of(db, t["branch_a"], week(), NOW)}
    assert officers[p["a1"].police_no].on_time == 1
    assert (officers[p["a2"].police_no].completed, officers[p["a2"].police_no].on_time) == (1, 0)
    assert officers[p["a3"].police_no].overdue == 1
    assert report.total.average_score == 80
    # The late completion happened in week 49, but the lesson belongs to week 48.
    next_week = rollup.completion_by_child(db, t["station_a"], week("2026-W49"), NOW)
    assert next_week.total.assigned == 0


def test_completing_at_the_due_minute_itself_is_on_time(db, bureau):
    t, p = bureau
    lesson = add_lesson(db, datetime(2026, 11, 29, 23, 59), audience=[t["branch_a"]])
    complete(db, p["a1"], lesson, lesson.due_at)
    complete(db, p["a2"], lesson, lesson.due_at + timedelta(seconds=1))
    report = rollup.completion_by_child(db, t["station_a"], week(), NOW)
    assert counts(report) == {"BA": (3, 2, 1, 1)}


def test_nothing_is_overdue_before_the_due_time(db, bureau):
    t, p = bureau
    add_lesson(db, datetime(2026, 11, 29, 23, 59), audience=[t["branch_a"]])
    before = datetime(2026, 11, 29, 15, 58)
    report = rollup.completion_by_child(db, t["station_a"], week(), before)
    assert counts(report) == {"BA": (3, 0, 0, 0)}


def test_totals_equal_the_sum_of_rows_at_every_level(db, bureau):
    t, p = bureau
    everyone = add_lesson(db, datetime(2026, 11, 29, 23, 59))
    county_a_only = add_lesson(db, datetime(2026, 11, 27, 18, 0), audience=[t["county_a"]])
    for who in ("a1", "sa", "b1", "hq"):
        complete(db, p[who], everyone, datetime(2026, 11, 28, 2, 0))
    complete(db, p["a2"], county_a_only, datetime(2026, 11, 30, 2, 0))
    complete(db, p["gone"], everyone, datetime(2026, 11, 28, 2, 0))  # inactive: not counted
    complete(db, p["boss"], everyone, datetime(2026, 11, 28, 2, 0))  # not an officer

    city = rollup.completion_by_child(db, t["city"], week(), NOW)
    assert counts(city) == {"CA": (8, 3, 2, 5), "CB": (2, 1, 1, 1), "SZ*": (1, 1, 1, 0)}
    county_a = rollup.completion_by_child(db, t["county_a"], week(), NOW)
    station_a = rollup.completion_by_child(db, t["station_a"], week(), NOW)
    assert counts(county_a) == {"SA": (8, 3, 2, 5)}
    assert counts(station_a) == {"BA": (6, 2, 1, 4), "SA*": (2, 1, 1, 1)}
    for report in (city, county_a, station_a):
        assert report.total == sum((row.counts for row in report.rows), assignments.Counts())
    # And a level's row equals the total one level down.
    assert city.rows[0].counts == county_a.total == station_a.total


def test_a_unit_in_two_overlapping_audiences_is_counted_once(db, bureau):
    t, p = bureau
    add_lesson(db, datetime(2026, 11, 29, 23, 59),
               audience=[t["county_a"], t["station_a"], t["branch_a"]])
    report = rollup.completion_by_child(db, t["city"], week(), NOW)
    assert counts(report) == {"CA": (4, 0, 0, 4), "CB": (0, 0, 0, 0)}


def test_unreleased_and_draft_lessons_are_not_assigned(db, bureau):
    t, p = bureau
    add_lesson(db, datetime(2026, 11, 29, 23, 59), status="draft")
    add_lesson(db, datetime(2026, 11, 29, 23, 59), publish_local=datetime(2026, 12, 5, 9, 0))
    assert rollup.completion_by_child(db, t["city"], week(), NOW).total.assigned == 0


def test_one_lesson_instead_of_a_period(db, bureau):
    t, p = bureau
    first = add_lesson(db, datetime(2026, 11, 29, 23, 59))
    add_lesson(db, datetime(2026, 11, 29, 20, 0))
    complete(db, p["b1"], first, datetime(2026, 11, 28, 2, 0))
    selection = rollup.Selection(lesson=rollup.find_lesson(db, first.id))
    report = rollup.completion_by_child(db, t["city"], selection, NOW)
    assert report.total.assigned == 7 and report.total.completed == 1
    assert selection.key == f"lesson-{first.id}"


def test_a_quarter_spans_its_weeks(db, bureau):
    t, p = bureau
    lessons = [add_lesson(db, datetime(2026, 10, 4, 23, 59) + timedelta(weeks=n)) for n in range(3)]
    add_lesson(db, datetime(2026, 9, 27, 23, 59))  # Q3
    complete(db, p["a1"], lessons[0], datetime(2026, 10, 1, 0, 0))
    q4 = rollup.Selection(period=periods.parse("2026Q4", TZ))
    report = rollup.completion_by_child(db, t["city"], q4, NOW)
    assert report.total.assigned == 21
    weeks = periods.weeks_in(q4.period, TZ)[:4]
    points = rollup.trend(db, t["city"], weeks, NOW)
    assert [(pt.period.key, pt.counts.assigned, pt.counts.completed) for pt in points] == [
        ("2026-W40", 7, 1), ("2026-W41", 7, 0), ("2026-W42", 7, 0), ("2026-W43", 0, 0)]
    # The same trend from the quarter's report itself, without another query.
    assert rollup.weekly(report, weeks) == points
    assert sum(report.by_lesson.values(), assignments.Counts()) == report.total


def test_branch_drill_down_lists_its_officers(db, bureau):
    t, p = bureau
    lesson = add_lesson(db, datetime(2026, 11, 29, 23, 59))
    complete(db, p["a1"], lesson, datetime(2026, 11, 28, 2, 0), score=95)
    complete(db, p["a2"], lesson, datetime(2026, 11, 28, 3, 0), score=None, status="in_progress")
    report = rollup.completion_by_child(db, t["branch_a"], week(), NOW)
    assert [row.own for row in report.rows] == [True]  # no child units: only its own officers
    officers = rollup.officers_of(db, t["branch_a"], week(), NOW)
    assert [o.police_no for o in officers] == sorted(p[k].police_no for k in ("a1", "a2", "a3"))
    by_no = {o.police_no: o for o in officers}
    assert by_no[p["a1"].police_no].counts.average_score == 95
    assert by_no[p["a2"].police_no].last_activity_at == datetime(2026, 11, 28, 3, 0)
    assert by_no[p["a3"].police_no].last_activity_at is None
    assert sum((o.counts for o in officers), assignments.Counts()) == rollup.completion_by_child(
        db, t["station_a"], week(), NOW).rows[0].counts


def test_not_yet_done_list(db, bureau):
    t, p = bureau
    old = add_lesson(db, datetime(2026, 11, 22, 23, 59), title="旧课")
    new = add_lesson(db, datetime(2026, 11, 29, 23, 59), title="新课")
    complete(db, p["a1"], old, datetime(2026, 11, 20, 2, 0))
    complete(db, p["a1"], new, datetime(2026, 11, 28, 2, 0))
    complete(db, p["a2"], new, datetime(2026, 11, 30, 1, 0), score=40, status="in_progress")
    month = rollup.Selection(period=periods.Period(
        "span", "span", None, None, datetime(2026, 11, 16), datetime(2026, 11, 30)))
    rows, total = rollup.pending(db, t["county_a"], month, NOW, TZ)
    assert total == len(rows) == 6  # a2, a3, sa for each lesson; a2's is only in progress
    assert [r.lesson_title for r in rows[:2]] == ["旧课", "旧课"]  # most overdue first
    first = rows[0]
    assert first.days_overdue == 9 and first.unit_name in {"A派出所党支部", "A派出所"}
    a2_new = next(r for r in rows if r.police_no == p["a2"].police_no and r.lesson_title == "新课")
    assert a2_new.days_overdue == 2 and a2_new.last_activity_at == datetime(2026, 11, 30, 1, 0)
    assert p["b1"].police_no not in {r.police_no for r in rows}
    assert p["gone"].police_no not in {r.police_no for r in rows}
    page, total = rollup.pending(db, t["county_a"], month, NOW, TZ, limit=2, offset=5)
    assert total == 6 and len(page) == 1
    assert rollup.pending(db, t["county_a"], month, NOW, TZ, limit=2, offset=8) == ([], 6)


def test_not_yet_due_has_no_days_overdue(db, bureau):
    t, p = bureau
    add_lesson(db, datetime(2026, 12, 6, 23, 59), publish_local=datetime(2026, 11, 30, 9, 0))
    rows, _ = rollup.pending(db, t["branch_b"], week("2026-W49"), NOW, TZ)
    assert [r.days_overdue for r in rows] == [None, None]


def test_random_history_rolls_up_consistently_and_matches_a_naive_count(db, make):
    """Many units and officers: each level's total is the sum of its rows and the brute count."""
    rng = random.Random(5)
    t = make.tree()
    units = list(t.values())
    for parent in (t["station_a"], t["station_b"], t["county_b"]):
        for _ in range(2):
            units.append(make.unit(kind="branch", parent=parent))
    officers = [make.user(rng.choice(units), active=rng.random() > .1) for _ in range(60)]
    lessons = [add_lesson(db, datetime(2026, 10, 4, 23, 59) + timedelta(weeks=n),
                          audience=rng.sample(units, rng.choice([0, 0, 1, 2])))
               for n in range(8)]
    for officer, lesson in itertools.product(officers, lessons):
        if rng.random() < .6:
            done_at = lesson.due_at + timedelta(hours=rng.choice([-30, -1, 1, 30]))
            complete(db, officer, lesson, done_at, score=rng.randint(40, 100))
    q4 = rollup.Selection(period=periods.parse("2026Q4", TZ))
    done = {(c.user_id, c.item_id): c for c in db.query(Completion)}
    path = {u.id: u.path for u in units}
    audiences = {lesson.id: [path[a.unit_id] for a in lesson.audience] for lesson in lessons}

    def naive(unit_path):
        total = assignments.Counts()
        for officer, lesson in itertools.product(officers, lessons):
            officer_path = path[officer.unit_id]
            reached = not audiences[lesson.id] or any(
                officer_path.startswith(a) for a in audiences[lesson.id])
            if not (officer.active and officer_path.startswith(unit_path) and reached):
                continue
            row = done.get((officer.id, lesson.id))
            total += assignments.Counts(
                1, int(bool(row)), int(bool(row and row.first_completed_at <= lesson.due_at)),
                int(not row and lesson.due_at < NOW), row.best_score if row else 0, int(bool(row)),
                row.first_score if row else 0, int(bool(row)))
        return total

    for unit in units:
        report = rollup.completion_by_child(db, unit, q4, NOW)
        assert report.total == sum((row.counts for row in report.rows), assignments.Counts())
        assert report.total == naive(unit.path), unit.code
        for row in report.rows:
            if not row.own:
                assert row.counts == naive(row.unit.path)


def test_quarterly_inspection_ranks_branches_and_flags_the_bottom(db, make):
    t = make.tree()
    extra = [make.unit(f"支部{n}", "branch", t["station_b"], code=f"BX{n}") for n in range(3)]
    branches = [t["branch_a"], t["branch_b"], *extra]
    members = {b.code: [make.user(b) for _ in range(2)] for b in branches}
    lessons = [add_lesson(db, datetime(2026, 10, 11, 23, 59) + timedelta(weeks=n))
               for n in range(2)]
    # Completion share per branch: BA 4/4, BB 3/4, BX0 2/4, BX1 1/4, BX2 0/4.
    for b, done in zip(branches, (4, 3, 2, 1, 0)):
        pairs = list(itertools.product(members[b.code], lessons))[:done]
        for user, lesson in pairs:
            complete(db, user, lesson, lesson.due_at - timedelta(hours=1), score=90)
    db.add(PointsEntry(user_id=members["BA"][0].id, rule="lesson_on_time", points=5,
                       source_type="lesson", source_id=lessons[0].id, at=datetime(2026, 10, 8)))
    kind = ClassroomType(key="model", name="样板课堂")
    db.add(kind)
    db.flush()
    room = Classroom(slug="room-a", type_id=kind.id, unit_id=t["branch_a"].id, title="样板课堂")
    db.add(room)
    db.flush()
    session = ClassSession(classroom_id=room.id, starts_at=datetime(2026, 11, 3, 1), topic="党课")
    db.add(session)
    db.flush()
    for user in members["BA"] + members["BB"][:1]:
        db.add(Attendance(session_id=session.id, user_id=user.id))
    db.commit()

    table = inspection.inspection(db, t["city"], periods.parse("2026Q4", TZ), NOW, bottom_share=.2)
    assert [(r.unit.code, r.rank, r.flagged) for r in table.rows] == [
        ("BA", 1, False), ("BB", 2, False), ("BX0", 3, False), ("BX1", 4, False), ("BX2", 5, True)]
    first = table.rows[0]
    assert (first.members, first.points, first.points_per_member) == (2, 5, 2.5)
    assert (first.sessions, first.attendance) == (1, 2)
    assert table.rows[1].attendance == 1 and table.rows[1].sessions == 0
    assert table.total == sum((r.counts for r in table.rows), assignments.Counts())
    assert table.total.assigned == 20 and table.total.completed == 10
    assert table.named is None  # individuals are named only when asked
    named = inspection.inspection(db, t["city"], periods.parse("2026Q4", TZ), NOW, bottom_share=.2,
                               name_individuals=True).named
    assert sorted(o.police_no for _, o in named) == sorted(u.police_no for u in members["BX2"])


def test_inspection_within_a_county_sees_only_its_branches(db, make):
    t = make.tree()
    table = inspection.inspection(db, t["county_a"], periods.parse("2026Q4", TZ), NOW)
    assert [r.unit.code for r in table.rows] == ["BA"]
    assert table.rows[0].rank is None  # nothing assigned, not ranked


# --- the JSON API and the pages ----------------------------------------------------------------

def bearer(client, user):
    response = client.post("/api/v1/auth/token",
                           json={"police_no": user.police_no, "password": Factory.PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_completion_api_has_the_design_shape(db, make, client, bureau, frozen_clock):
    t, p = bureau
    lesson = add_lesson(db, datetime(2026, 11, 29, 23, 59))
    complete(db, p["a1"], lesson, datetime(2026, 11, 28))
    admin = make.user(t["city"], roles=("admin",))
    response = client.get("/api/v1/reports/completion?unit=SZ&period=2026-W48",
                          headers=bearer(client, admin))
    assert response.status_code == 200
    assert response.json == {
        "unit": {"code": "SZ", "name": "市公安局"}, "period": "2026-W48",
        "rows": [
            {"unit": {"code": "CA", "name": "A县公安局"}, "assigned": 4, "completed": 1,
             "rate": 0.25, "first_score_avg": 80.0},
            {"unit": {"code": "CB", "name": "B县公安局"}, "assigned": 2, "completed": 0,
             "rate": 0.0, "first_score_avg": None},
            # the city's own officers, so that the rows add up to the total
            {"unit": {"code": "SZ", "name": "市公安局"}, "assigned": 1, "completed": 0,
             "rate": 0.0, "first_score_avg": None},
        ],
        "total": {"assigned": 7, "completed": 1, "rate": round(1 / 7, 4)}}


def test_completion_api_defaults_to_the_callers_scope(db, make, client, bureau, frozen_clock):
    t, p = bureau
    add_lesson(db, datetime(2026, 11, 29, 23, 59))
    response = client.get("/api/v1/reports/completion?period=2026Q4",
                          headers=bearer(client, p["boss"]))
    assert response.json["unit"]["code"] == "CA"
    assert [row["unit"]["code"] for row in response.json["rows"]] == ["SA"]
    assert response.json["total"] == {"assigned": 4, "completed": 0, "rate": 0.0}


@pytest.mark.parametrize("period", ["", "2026Q5", "2026-W54", "26", "2026-11"])
def test_completion_api_refuses_a_malformed_period(make, client, bureau, period):
    t, p = bureau
    response = client.get(f"/api/v1/reports/completion?period={period}",
                          headers=bearer(client, p["boss"]))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_period"


def test_completion_api_rate_is_null_when_nothing_was_assigned(client, bureau, frozen_clock):
    t, p = bureau
    response = client.get("/api/v1/reports/completion?period=2026",
                          headers=bearer(client, p["boss"]))
    assert response.json["total"] == {"assigned": 0, "completed": 0, "rate": None}


def test_dashboard_shows_rows_total_and_charts_without_style_attributes(db, client, login,
                                                                        bureau, frozen_clock):
    t, p = bureau
    for n in range(3):
        lesson = add_lesson(db, datetime(2026, 11, 15, 23, 59) + timedelta(weeks=n))
        complete(db, p["a1"], lesson, lesson.due_at - timedelta(hours=2))
    login(p["boss"].police_no)
    page = client.get("/supervise/?period=2026Q4")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 2 and "<script" not in html and " style=" not in html
    assert "A派出所" in html and "B派出所" not in html
    assert ('<tfoot><tr><th class="sv-card-head">合计</th>'
            '<th class="num" data-label="应学人次">12</th>') in html
    branch = client.get("/supervise/?unit=BA&period=2026Q4").text
    assert p["a1"].police_no in branch and p["b1"].police_no not in branch
    assert branch.count("<svg") == 1  # no child units: no bar chart, the trend stays


def test_pending_page_lists_who_has_not_done_it(db, client, login, bureau, frozen_clock):
    t, p = bureau
    lesson = add_lesson(db, datetime(2026, 11, 29, 23, 59), title="本周微课")
    complete(db, p["a1"], lesson, datetime(2026, 11, 28))
    login(p["boss"].police_no)
    html = client.get(f"/supervise/pending?lesson={lesson.id}&view=lessons").text
    assert "共 3 条未完成" in html
    assert p["a2"].police_no in html and p["a1"].police_no not in html
    assert p["b1"].police_no not in html


def test_tongbao_page_is_printable_and_names_nobody_by_default(db, client, login, bureau,
                                                               frozen_clock):
    t, p = bureau
    add_lesson(db, datetime(2026, 11, 29, 23, 59))
    login(p["boss"].police_no)
    html = client.get("/supervise/tongbao?period=2026Q4").text
    assert "关于2026年第4季度政治练兵小课堂网上巡查情况的通报" in html
    assert "A派出所党支部" in html and "B派出所党支部" not in html
    assert p["a2"].name not in html
    assert "逾期未学人员名单" in client.get("/supervise/tongbao?period=2026Q4&names=1").text


def test_dashboard_defaults_to_the_last_week_already_due_and_links_the_current(
        db, client, login, bureau, frozen_clock):
    t, p = bureau
    add_lesson(db, datetime(2026, 11, 29, 23, 59), title="上周微课")  # week 48, due
    add_lesson(db, datetime(2026, 12, 6, 23, 59), title="本周微课")  # week 49, not yet due
    login(p["boss"].police_no)
    html = client.get("/supervise/").text
    assert "2026年第48周" in html.split("</h1>")[0]
    assert "逾期未学" in html and 'href="/supervise/?unit=CA&amp;period=2026-W49"' in html
    assert "本周（2026年第49周）的微课尚未全部到期。" in html
    pending = client.get("/supervise/pending").text
    assert p["a2"].police_no in pending and "上周微课" in pending
    current = client.get("/supervise/?period=2026-W49").text
    assert "2026年第49周" in current.split("</h1>")[0] and "尚未全部到期" not in current


def test_last_due_week_is_the_current_week_when_nothing_is_due_yet(db, bureau):
    add_lesson(db, datetime(2026, 12, 6, 23, 59))
    assert rollup.last_due_week(db, NOW, TZ).key == "2026-W49"
    add_lesson(db, datetime(2026, 11, 22, 23, 59))
    assert rollup.last_due_week(db, NOW, TZ).key == "2026-W47"


def test_tongbao_of_a_running_quarter_says_as_of_when_and_which_lessons_were_due(
        db, client, login, bureau, frozen_clock):
    t, p = bureau
    due = add_lesson(db, datetime(2026, 11, 22, 23, 59), title="已到期的一课")
    add_lesson(db, datetime(2026, 12, 6, 23, 59), title="未到期的一课")
    add_lesson(db, datetime(2026, 9, 27, 23, 59), title="上季度的一课")
    login(p["boss"].police_no)
    html = client.get("/supervise/tongbao?period=2026Q4").text
    assert "截至2026-12-01" in html  # NOW is 10:00 on 1 December in Shanghai
    assert "2026年第4季度（截至2026-12-01），" in html
    assert f"已到期微课1期：第{due.issue_no}期（2026-11-22到期）。" in html
    assert "另有1期已推送、尚未到期，计入应学人次，不计逾期。" in html
    past = client.get("/supervise/tongbao?period=2026Q3").text
    assert "截至" not in past and "2026年第3季度，" in past


def test_the_units_own_officers_are_shown_apart_from_the_unit_bars(db, client, login, make,
                                                                   bureau, frozen_clock):
    t, p = bureau
    add_lesson(db, datetime(2026, 11, 22, 23, 59))
    login(make.user(t["city"], roles=("supervisor",)).police_no)
    html = client.get("/supervise/?period=2026Q4").text
    chart = html.split('<svg class="sv-chart"')[1].split("</svg>")[0]
    assert "县公安局" in chart and "本级" not in chart
    assert "本级直属人员" in html and "：完成率0.0%（应学1人次）" in html
