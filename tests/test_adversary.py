"""Holes found by attacking the running app (security review), each kept closed by a test."""
import re
from datetime import datetime, timedelta

import pytest

from lms.domain import clock
from lms.domain.quiz import attempts, mistakes, quizview

NOW = datetime(2026, 11, 18, 2, 0)
RULES = {"lesson_on_time": 5}


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


def failed_everything(db, make, officer, **quiz):
    lesson = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=1),
                         quiz=make.quiz(**quiz))
    attempts.submit(db, officer.id, quizview.lesson_item(lesson),
                    make.answers(lesson.quiz, wrong=("q1", "q2", "q3", "q4", "q5")), "k",
                    NOW, RULES)
    db.commit()
    return lesson, next(q for q in lesson.quiz.questions if q.key == "q1")


def test_the_notebook_is_no_oracle_for_a_key_the_quiz_still_hides(db, make, client, login,
                                                                   now):
    """Reviewing a mistake told right from wrong, as often as asked: trying each option gave
    the key of a quiz failed once, with attempts still limited and its key hidden."""
    officer = make.user()
    _, q1 = failed_everything(db, make, officer, attempts_allowed=2)
    login(officer.police_no)
    page = client.get("/mistakes").text
    assert 'class="question mistake"' not in page and "才能复习这些错题" in page
    verdicts = {client.post("/mistakes/review", data={f"q{q1.id}": key, f"v{q1.id}": "1.0"}
                            ).status_code for key, _ in q1.options}
    assert verdicts == {422}


def test_a_mistake_is_practised_once_its_quiz_shows_the_key(db, make, client, login, now):
    officer = make.user()
    _, q1 = failed_everything(db, make, officer, review="immediately")
    assert q1.id in {e.question.id for e in mistakes.practice_batch(db, officer.id, NOW)}
    login(officer.police_no)
    page = client.get("/mistakes").text
    versions = dict(re.findall(r'name="(v\d+)" value="([^"]+)"', page))
    result = client.post("/mistakes/review", data={**versions, f"q{q1.id}": q1.answer})
    assert result.status_code == 200 and "回答正确" in result.text


def pending_officer(db, make, code="ABCDEFGH23"):
    from lms.auth.session import passwords
    from lms.models import utcnow
    officer = make.user(password=None)
    officer.activation_hash = passwords().hash_code(code)
    officer.activation_expires_at = utcnow() + timedelta(days=1)
    db.commit()
    return officer, code


@pytest.mark.parametrize("change", ["deactivated", "code_expired"])
def test_an_activation_begun_before_a_deactivation_or_expiry_cannot_finish(
        db, make, client, login, change):
    """The activation page trusted the session's user id alone: a leaver deactivated (or a
    code expired) after the code was typed could still set a password."""
    from lms.domain.org import accounts
    from lms.models import User, utcnow
    officer, code = pending_officer(db, make)
    assert login(officer.police_no, code).headers["Location"].endswith("/activate")
    user = db.get(User, officer.id)
    if change == "deactivated":
        accounts.deactivate(db, user)
    else:
        user.activation_expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    response = client.post("/activate", data={"password": "Zhuhun-new-passw0rd!",
                                              "confirm": "Zhuhun-new-passw0rd!"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    db.expire_all()
    assert db.get(User, officer.id).password_hash is None


@pytest.mark.parametrize("joined", ["0001-01-01", "9999-12-31"])
def test_a_roster_joining_date_at_the_calendars_ends_is_a_problem_not_a_crash(
        runner, db, tmp_path, joined):
    """`joined_on` 0001-01-01 or 9999-12-31 passed the check and then overflowed datetime
    (shifted to UTC, or past the newcomer grace): a traceback instead of a line number."""
    units = tmp_path / "units.csv"
    units.write_text("code,name,kind,parent_code\nSZ,市公安局,bureau,\n", "utf-8")
    assert runner.invoke(args=["lms", "import-units", str(units)]).exit_code == 0
    roster = tmp_path / "roster.csv"
    roster.write_text("police_no,name,unit_code,roles,party_member,joined_on\n"
                      f"100001,张伟,SZ,,1,{joined}\n", "utf-8")
    result = runner.invoke(args=["lms", "import-roster", str(roster),
                                 "--codes-out", str(tmp_path / "codes.csv")])
    assert result.exit_code == 1 and not isinstance(result.exception, OverflowError)
    assert f"{roster}:2: joined_on must be a date YYYY-MM-DD from 1900 to 2999" in result.output


@pytest.mark.parametrize("field, value, expected", [
    ("attempts_allowed", "99999999999", "attempts_allowed must be a whole number 1..100"),
    ("time_limit_seconds", "999999999999999",
     "time_limit_seconds must be a whole number 1..86400"),
])
def test_a_course_files_huge_quiz_numbers_are_problems_not_a_database_error(
        runner, db, tmp_path, field, value, expected):
    """attempts_allowed and time_limit_seconds had no upper bound: on PostgreSQL the sync
    failed with `integer out of range`, on SQLite a time limit past timedelta's range was
    stored for every officer's attempt to trip over."""
    from test_sync import CATALOG, COURSEWARE
    root = tmp_path / "courses"
    (root / "courseware" / "practice").mkdir(parents=True)
    (root / "catalog.yml").write_text(CATALOG, "utf-8")
    (root / "courseware" / "practice" / "sanhui.md").write_text(
        COURSEWARE.replace("quiz:\n", f"quiz:\n  {field}: {value}\n", 1), "utf-8")
    result = runner.invoke(args=["lms", "sync-courses", str(root)])
    assert result.exit_code == 1 and f"sanhui.md:11: {expected}" in result.output


def test_a_lesson_issue_number_past_a_32_bit_column_is_a_problem(runner, db, tmp_path):
    from test_sync import LESSON
    root = tmp_path / "courses"
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "99999999999-zhongcheng.md").write_text(
        LESSON.replace("issue_no: 1", "issue_no: 99999999999")
        .replace("audience:\n  - C01\n  - ZZ9\n", ""), "utf-8")
    result = runner.invoke(args=["lms", "sync-courses", str(root)])
    assert result.exit_code == 1
    assert "issue_no must be a whole number 1..99999, not 99999999999" in result.output


@pytest.mark.parametrize("moment", ["0001-01-01 00:00", "9999-12-31 23:59"])
def test_a_lesson_time_at_the_calendars_ends_is_a_problem_not_a_crash(
        runner, db, tmp_path, moment):
    """publish_at 0001-01-01 00:00 crashed sync-courses with OverflowError on its way to UTC."""
    from test_sync import LESSON
    root = tmp_path / "courses"
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-zhongcheng.md").write_text(
        LESSON.replace("publish_at: 2026-01-05 08:00", f"publish_at: {moment}")
        .replace("audience:\n  - C01\n  - ZZ9\n", ""), "utf-8")
    result = runner.invoke(args=["lms", "sync-courses", str(root)])
    assert result.exit_code == 1 and not isinstance(result.exception, OverflowError)
    assert "01-zhongcheng.md:8: publish_at must be a local time 'YYYY-MM-DD HH:MM' from 1900 " \
           "to 2999" in result.output


@pytest.mark.parametrize("field", ["publish_at", "due_at"])
def test_rescheduling_to_year_one_is_refused_not_a_500(db, make, app, field):
    """The studio's schedule form took 0001-01-01T00:00 and failed converting it to UTC."""
    from clients import PersonClient
    author = make.user(roles=("trainer",))
    lesson = make.lesson(issue_no=3)
    client = PersonClient(app, app.response_class, use_cookies=True)
    client.post("/login", data={"police_no": author.police_no, "password": make.PASSWORD})
    data = {"publish_at": "2026-09-07T08:00", "due_at": "2026-09-13T23:59",
            field: "0001-01-01T00:00"}
    response = client.post(f"/studio/lessons/{lesson.id}", data=data)
    assert response.status_code == 200 and "时间须在 1900 年至 2999 年之间" in response.text


def test_guessing_from_many_addresses_of_one_ipv6_64_is_refused_like_one_address(make, client):
    """Refusal was per (number, exact address): an IPv6 client holds a whole /64, so five
    guesses from each of its addresses were never refused."""
    officer = make.user()

    def guess(address):
        return client.post("/api/v1/auth/token", environ_base={"REMOTE_ADDR": address},
                           json={"police_no": officer.police_no, "password": "guess-pass"}
                           ).status_code
    answers = [guess(f"2001:db8:1:2::{n:x}") for n in range(1, 8)]
    assert answers == [401] * 5 + [429] * 2
    assert guess("2001:db8:1:3::1") == 401  # the next /64 is another client
    assert guess("::ffff:198.51.100.7") == 401 and guess("198.51.100.7") == 401  # one client


def test_the_shipped_proxy_sets_every_forwarded_header_the_app_trusts_behind_it():
    """deploy/nginx-lms.conf passed the client's own X-Forwarded-Prefix and -Port through,
    and ProxyFix (LMS_TRUSTED_PROXIES=1) trusted them: `X-Forwarded-Prefix: //evil.example`
    turned the login redirect and every link of the page into //evil.example/..."""
    from pathlib import Path
    conf = (Path(__file__).parents[1] / "deploy" / "nginx-lms.conf").read_text("utf-8")
    server = re.sub(r"#.*", "", conf.split("listen 443", 1)[1])
    locations = re.findall(r"\blocation\b[^{]*\{[^}]*\}", server)
    top = re.sub(r"\blocation\b[^{]*\{[^}]*\}", "", server)  # the server level, inherited
    set_here = set(re.findall(r"proxy_set_header\s+(\S+)", top))
    assert {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port",
            "X-Forwarded-Prefix"} <= set_here
    assert len(locations) >= 2 and all("proxy_set_header" not in b for b in locations)


def test_a_nul_byte_in_a_course_file_is_a_problem_not_a_database_error(runner, db, tmp_path):
    """The body went to the database as read: PostgreSQL refuses NUL in text, so one stray
    byte failed the whole sync with a DataError (SQLite stored it)."""
    from test_sync import CATALOG, COURSEWARE
    root = tmp_path / "courses"
    (root / "courseware" / "practice").mkdir(parents=True)
    (root / "catalog.yml").write_text(CATALOG, "utf-8")
    (root / "courseware" / "practice" / "sanhui.md").write_text(
        COURSEWARE.replace("正文。", "正文\x00。"), "utf-8")
    result = runner.invoke(args=["lms", "sync-courses", str(root)])
    assert result.exit_code == 1 and "sanhui.md:24: a NUL character (not text)" in result.output


def test_a_classroom_session_in_year_one_is_refused_not_a_500(db, make, client, login):
    """The session form took 0001-01-01T00:00 and failed converting it to UTC."""
    unit = make.unit()
    secretary = make.user(unit=unit, roles=("officer", "supervisor"))
    room = make.classroom(unit=unit)
    login(secretary.police_no)
    response = client.post(f"/classrooms/{room.slug}/sessions",
                           data={"starts_at": "0001-01-01T00:00", "topic": "主题党日"})
    assert response.status_code == 400 and "时间须在 1900 年至 2999 年之间" in response.text


def test_a_unit_chain_too_deep_for_its_path_is_a_problem_not_a_database_error(
        runner, db, tmp_path):
    """A chain of parent_code mistakes 120 deep passed validation; its materialized path
    outgrew the 255-character column and PostgreSQL failed the import (SQLite stored it)."""
    units = tmp_path / "units.csv"
    units.write_text("code,name,kind,parent_code\nSZ,市局,bureau,\n" + "".join(
        f"U{n},单位{n},branch,{f'U{n - 1}' if n else 'SZ'}\n" for n in range(120)), "utf-8")
    result = runner.invoke(args=["lms", "import-units", str(units)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"{units}:23: unit 'U20' would be 21 levels below the root (at most 20)" \
        in result.output
    assert f"{units}:22: unit 'U19'" not in result.output
