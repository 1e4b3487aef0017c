"""The roster import in the admin pages (issue 11 item 12): the CLI's whole-file check with
problems by line in Chinese, a preview, exactly the previewed file applied and audited, and
the new accounts' activation codes downloadable once."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.domain.org import membership
from lms.models import AuditEvent, User

NOW = datetime(2026, 11, 18, 2, 0)

ROSTER = """police_no,name,unit_code,roles,party_member,active
200001,欧阳娜娜,BA,,1,
200002,李强,SA,officer;trainer,0,
{moved},{moved_name},BB,officer,1,
{leaver},{leaver_name},BA,officer,1,0
{promoted},{promoted_name},BA,officer;supervisor,1,
{same},{same_name},BA,officer,1,
"""


@pytest.fixture
def folder(app, tmp_path):
    """Where this test's staged uploads and codes wait."""
    app.config["LMS_ROSTER_FOLDER"] = str(tmp_path / "roster")
    return tmp_path / "roster"


@pytest.fixture
def bureau(db, make, folder, frozen_clock):
    """A small tree, an admin, four officers the roster speaks of; the file's text."""
    units = make.tree()
    admin = make.user(units["city"], roles=("admin",), name="管理员")
    people = {key: make.user(units["branch_a"], name=name, party_member=True)
              for key, name in (("moved", "张伟"), ("leaver", "赵敏"), ("promoted", "王芳"),
                                ("same", "孙丽"))}
    text = ROSTER.format(**{key: u.police_no for key, u in people.items()},
                         **{f"{key}_name": u.name for key, u in people.items()})
    return units, admin, people, text


def upload(client, text: str, encoding: str = "utf-8", name: str = "roster.csv"):
    return client.post("/admin/roster", data={"file": (io.BytesIO(text.encode(encoding)), name)},
                       content_type="multipart/form-data")


def confirm_fields(html: str) -> dict:
    return {name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
            for name in ("token", "sha256", "digest")}


def user_count(db) -> int:
    db.rollback()  # see the server's commits
    return db.scalar(select(func.count()).select_from(User))


def test_a_bad_file_lists_each_problem_by_line_in_chinese_and_changes_nothing(
        db, bureau, browser_for, folder):
    _units, admin, _people, text = bureau
    client = browser_for(admin)
    before = user_count(db)
    bad = text.replace("200001,欧阳娜娜,BA,,1,", "200001,欧阳娜娜,NOPE,,1,") \
              .replace("200002,李强,SA,officer;trainer,0,", "2,李强,SA,officer;chief,2,")
    page = upload(client, bad, "gbk")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "有 4 处问题，未做任何更改" in html
    assert re.search(r"第 2 行</span>单位代码“NOPE”不存在", html)
    assert re.search(r"第 3 行</span>警号“2”应为 3 至 32 位字母或数字", html)
    assert "第 3 行</span>角色“chief”无效" in html
    assert "第 3 行</span>party_member（党员）应为 0 或 1（实际为“2”）" in html
    assert "unknown" not in html and "must be" not in html
    assert user_count(db) == before
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "roster_imported")) is None
    assert not folder.exists() or not any(folder.iterdir())  # nothing kept of a bad file


def test_a_wrong_header_is_reported_on_line_one(db, bureau, browser_for):
    client = browser_for(bureau[1])
    html = upload(client, "警号,姓名\n1,2\n").get_data(as_text=True)
    assert "第 1 行</span>表头应为“police_no,name,unit_code,roles,party_member”" in html


def test_the_preview_says_what_would_change_and_changes_nothing(db, bureau, browser_for):
    units, admin, people, text = bureau
    client = browser_for(admin)
    before = user_count(db)
    page = upload(client, text, "gbk")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = {kind: html.split(f'id="rs-{kind}"')[1].split("</section>")[0]
               for kind in ("new", "moved", "deactivated", "roles")}
    assert "欧阳娜娜" in section["new"] and "李强" in section["new"]
    assert "张伟" in section["moved"] and "A派出所党支部（BA）" in section["moved"] \
        and "B派出所党支部（BB）" in section["moved"]
    assert "赵敏" in section["deactivated"] and "张伟" not in section["deactivated"]
    assert "王芳" in section["roles"] and "民警、督导" in section["roles"]
    assert "孙丽" not in html
    assert re.search(r"<strong>1</strong>不变", html)
    assert user_count(db) == before
    db.refresh(people["leaver"])
    assert people["leaver"].active


def test_confirming_applies_the_previewed_file_once_audited(db, bureau, browser_for, folder):
    units, admin, people, text = bureau
    client = browser_for(admin)
    fields = confirm_fields(upload(client, text).get_data(as_text=True))
    response = client.post("/admin/roster/apply", data=fields)
    assert response.status_code == 302
    db.rollback()
    moved = db.get(User, people["moved"].id)
    assert moved.unit_id == units["branch_b"].id
    assert [row.unit_id for row in membership.history(db, moved.id)] == \
        [units["branch_a"].id, units["branch_b"].id]
    assert not db.get(User, people["leaver"].id).active
    assert db.get(User, people["promoted"].id).is_supervisor
    assert db.scalar(select(User).where(User.police_no == "200001")).name == "欧阳娜娜"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "roster_imported"))
    assert (event.actor_id, event.detail["via"], event.detail["new"]) == (admin.id, "web", 2)
    assert event.detail["sha256"] == fields["sha256"] and event.target == "roster.csv"
    assert not list(folder.glob("*.upload.*"))  # the staged file is gone once applied
    again = client.post("/admin/roster/apply", data=fields)
    assert again.status_code == 409 and "已失效" in again.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "roster_imported")) == 1


def test_codes_download_once_as_excel_csv_and_sign_in(db, bureau, browser_for, folder, app):
    _units, admin, _people, text = bureau
    client = browser_for(admin)
    applied = client.post("/admin/roster/apply",
                          data=confirm_fields(upload(client, text).get_data(as_text=True)))
    page = client.get(applied.headers["Location"])
    assert "下载 2 个新账号的激活码" in page.get_data(as_text=True)
    url = re.search(r'action="(/admin/roster/codes/[^"]+)"', page.get_data(as_text=True)).group(1)
    download = client.post(url)
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    raw = download.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel and WPS read the names
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["police_no"], r["name"]) for r in rows] == [("200001", "欧阳娜娜"),
                                                          ("200002", "李强")]
    assert not any(folder.glob("*.csv"))  # the codes exist nowhere on the server now
    second = client.post(url)
    assert second.status_code == 410 and "只能下载一次" in second.get_data(as_text=True)
    assert "已下载" in client.get(applied.headers["Location"]).get_data(as_text=True)
    newcomer = app.test_client()
    signed = newcomer.post("/login", data={"police_no": "200001",
                                           "password": rows[0]["activation_code"]})
    assert signed.status_code == 302 and "/login" not in signed.headers["Location"]


def test_an_altered_or_foreign_staged_file_is_refused(db, bureau, browser_for, make, folder):
    units, admin, _people, text = bureau
    client = browser_for(admin)
    fields = confirm_fields(upload(client, text).get_data(as_text=True))
    other = browser_for(make.user(units["city"], roles=("admin",)))
    assert other.post("/admin/roster/apply", data=fields).status_code == 409
    assert client.post("/admin/roster/apply",
                       data={**fields, "sha256": "0" * 64}).status_code == 409
    staged = next(folder.glob("*.upload.csv"))
    staged.write_bytes(staged.read_bytes().replace(b"200002", b"200009"))
    before = user_count(db)
    assert client.post("/admin/roster/apply", data=fields).status_code == 409
    assert user_count(db) == before


def test_a_preview_gone_stale_is_refused_then_shown_afresh(db, bureau, browser_for, make):
    units, admin, _people, text = bureau
    client = browser_for(admin)
    fields = confirm_fields(upload(client, text).get_data(as_text=True))
    make.user(units["branch_a"], police_no="200001", name="欧阳娜娜")  # created meanwhile
    before = user_count(db)
    refused = client.post("/admin/roster/apply", data=fields)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "预览之后账号或单位已有变动" in html
    assert user_count(db) == before
    fresh = confirm_fields(html)
    assert fresh["digest"] != fields["digest"] and fresh["token"] == fields["token"]
    assert client.post("/admin/roster/apply", data=fresh).status_code == 302
    assert user_count(db) == before + 1


def test_codes_never_downloaded_expire(db, bureau, browser_for, frozen_clock, folder, app):
    _units, admin, _people, text = bureau
    app.config["LMS_ROSTER_FILES_TTL"] = timedelta(minutes=10)
    client = browser_for(admin)
    applied = client.post("/admin/roster/apply",
                          data=confirm_fields(upload(client, text).get_data(as_text=True)))
    token = applied.headers["Location"].rsplit("/", 1)[1]
    frozen_clock.advance(minutes=11)
    assert client.get(applied.headers["Location"]).status_code == 410
    assert client.post(f"/admin/roster/codes/{token}").status_code == 410
    assert not any(folder.iterdir())


def test_only_admins_reach_the_roster_pages(db, bureau, browser_for, make):
    units, _admin, _people, text = bureau
    supervisor = make.user(units["city"], roles=("officer", "supervisor"))
    client = browser_for(supervisor)
    assert client.get("/admin/roster").status_code == 403
    assert upload(client, text).status_code == 403
    assert client.post("/admin/roster/apply", data={}).status_code == 403


def test_the_upload_form_needs_the_csrf_token(db, bureau, browser_for, app, monkeypatch):
    client = browser_for(bureau[1])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert upload(client, bureau[3]).status_code == 400
    assert user_count(db) == 5  # the admin and the four officers


def test_an_empty_upload_is_refused_politely(db, bureau, browser_for):
    client = browser_for(bureau[1])
    page = client.post("/admin/roster", data={}, content_type="multipart/form-data")
    assert page.status_code == 422 and "请选择要上传的名单文件" in page.get_data(as_text=True)


BAD_FILES = {
    "utf16": "police_no".encode("utf-16"),
    "latin": b"police_no,name\n\xff\xfe\xfa\n",
    "nul": b"police_no,name,unit_code,roles,party_member\n1\x002,a,b,c,d\n",
    "empty": b"\n\n",
    "columns": "police_no,name,unit_code,roles,party_member\n200001,张三\n".encode(),
    "rows": ("police_no,name,unit_code,roles,party_member,joined_on,active\n"
             ",,,,x,2026-02-30,2\n"
             "a b,\"甲\n乙\",,ghost,1,,\n"
             "200001," + "长" * 65 + ",BA,,1,,\n"
             "200001,张三,BA,,1,,\n").encode(),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_every_problem_the_check_finds_reads_in_chinese(app, db, make, tmp_path, kind):
    from lms.admin.problems import localized
    from lms.domain.org.roster import read_roster
    make.tree()
    path = tmp_path / "roster.csv"
    path.write_bytes(BAD_FILES[kind])
    _plan, problems = read_roster(db, path)
    assert problems
    with app.test_request_context():
        untranslated = [p.message for p in problems if localized(p) == p.message]
        assert untranslated == []
        assert all(re.search(r"[\u4e00-\u9fff]", localized(p)) for p in problems)


def test_a_staged_upload_is_claimed_by_one_confirmation_only(tmp_path):
    from lms.domain.org.rosterfiles import RosterFiles
    files = RosterFiles(tmp_path, timedelta(minutes=30))
    token, sha = files.stage(b"police_no\n", 7, "a.csv", NOW)
    assert files.staged(token, sha, 8, NOW) is None  # another admin's
    first = files.claim(token, sha, 7, NOW)
    assert first is not None and files.claim(token, sha, 7, NOW) is None
    files.release(token, first[0])
    again = files.claim(token, sha, 7, NOW)
    assert again is not None and again[0].read_bytes() == b"police_no\n"
    files.drop(token)
    assert list(tmp_path.iterdir()) == []


def test_codes_are_taken_once_and_swept_when_old(tmp_path):
    from lms.domain.org.rosterfiles import RosterFiles
    files = RosterFiles(tmp_path, timedelta(minutes=30))
    token = files.keep_codes([("200001", "=1+1", "ABCDEFGHJK")], 7, {}, NOW)
    assert files.take_codes(token, 8, NOW) is None  # not the admin who imported
    data = files.take_codes(token, 7, NOW).decode("utf-8-sig")
    assert data.splitlines() == ["police_no,name,activation_code", "200001,'=1+1,ABCDEFGHJK"]
    assert files.take_codes(token, 7, NOW) is None
    assert files.codes_record(token, 7, NOW)["available"] is False
    files.sweep(NOW + timedelta(minutes=31))
    assert list(tmp_path.iterdir()) == [] and files.codes_record(token, 7, NOW) is None
    assert files.take_codes("../../etc/passwd", 7, NOW) is None


def test_the_problems_read_in_english_when_english_is_chosen(db, bureau, browser_for):
    import flask_babel
    client = browser_for(bureau[1])
    assert client.post("/language/en").status_code == 302
    flask_babel.refresh()  # the test's app context cached the locale (see test_i18n.switch)
    html = upload(client, "police_no,name,unit_code,roles,party_member\n"
                          "200001,欧阳娜娜,NOPE,,1\n").get_data(as_text=True)
    assert "Line 2" in html and "Unknown unit code" in html and "NOPE" in html


def test_a_file_that_changes_nothing_says_so_and_keeps_nothing(db, bureau, browser_for,
                                                               folder):
    _units, admin, people, _text = bureau
    same = people["same"]
    html = upload(browser_for(admin), "police_no,name,unit_code,roles,party_member\n"
                                      f"{same.police_no},{same.name},BA,officer,1\n"
                  ).get_data(as_text=True)
    assert "完全一致，无需导入" in html and "确认导入" not in html
    assert not any(folder.iterdir())
