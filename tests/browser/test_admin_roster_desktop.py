"""The admin's roster import in real Chromium (issue 11 item 12), at desktop size and
glanced at on a phone: a bad file shows its problems by line and changes nothing; a good one
is previewed, applied, and its activation codes download exactly once."""
import csv
import io

import pytest
from factories import Factory
from sqlalchemy import func, select

from lms.models import AuditEvent, User

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def bureau(app, db, make, tmp_path):
    """A small tree, its admin, two officers the roster moves and deactivates."""
    app.config["LMS_ROSTER_FOLDER"] = str(tmp_path / "roster")
    units = make.tree()
    admin = make.user(units["city"], roles=("officer", "admin"), name="王建国")
    moved = make.user(units["branch_a"], name="张春鹏")
    leaver = make.user(units["branch_a"], name="赵敏")
    db.commit()  # SQLite: no transaction of ours may hold the lock while the server works
    good = ("police_no,name,unit_code,roles,party_member,active\r\n"
            "300001,欧阳娜娜,BA,,1,\r\n"
            "300002,李强,SB,officer;trainer,0,\r\n"
            f"{moved.police_no},张春鹏,BB,officer,1,\r\n"
            f"{leaver.police_no},赵敏,BA,officer,1,0\r\n")
    bad = good.replace("300001,欧阳娜娜,BA", "300001,欧阳娜娜,XX") \
              .replace("officer;trainer,0", "officer;boss,2")
    return admin, good.encode("gbk"), bad.encode("gbk")


def users(db) -> int:
    """How many accounts the server has committed (the read's transaction ends at once, so
    SQLite's lock is free for the server)."""
    db.rollback()
    count = db.scalar(select(func.count()).select_from(User))
    db.rollback()
    return count


def choose(page, data: bytes, name: str = "花名册.csv"):
    page.set_input_files("input[type=file]", files=[
        {"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="检查并预览").click()
    page.wait_for_load_state()


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_bad_file_then_a_good_one_previewed_applied_and_codes_once(
        page, server_url, bureau, sign_in, shot, db):
    admin, good, bad = bureau
    page.set_viewport_size(DESKTOP)
    sign_in(admin.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.get_by_role("link", name="名单导入").first.click()
    page.wait_for_url(f"{server_url}/admin/roster")
    shot("admin-roster-1-upload-desktop")
    before = users(db)

    choose(page, bad)
    problems = page.locator(".rs-problems li")
    assert problems.count() == 3
    texts = problems.all_inner_texts()
    assert "第 2 行" in texts[0] and "单位代码“XX”不存在" in texts[0]
    assert any("角色“boss”无效" in t for t in texts) and all("第 3 行" in t for t in texts[1:])
    assert "未做任何更改" in page.locator("h2").first.inner_text()
    shot("admin-roster-2-errors-desktop")
    assert users(db) == before

    page.goto(f"{server_url}/admin/roster")
    choose(page, good)
    counts = page.locator(".rs-counts").inner_text()
    assert "2\n新账号" in counts or "2新账号" in counts.replace("\n", "")
    assert "张春鹏" in page.locator("#rs-moved").inner_text()
    assert "赵敏" in page.locator("#rs-deactivated").inner_text()
    shot("admin-roster-3-preview-desktop")
    assert users(db) == before

    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{server_url}/admin/roster/applied/*")
    assert "新建 2 个账号" in page.locator(".rs-done").inner_text()
    shot("admin-roster-4-applied-desktop")
    button = page.get_by_role("button", name="下载 2 个新账号的激活码（CSV）")
    with page.expect_download() as info:
        button.click()
    raw = open(info.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["欧阳娜娜", "李强"]
    assert all(len(r["activation_code"]) == 10 for r in rows)

    button.click()  # the page still offers it; the server refuses the second download
    page.wait_for_load_state()
    assert "只能下载一次" in page.locator("main").inner_text()
    shot("admin-roster-5-second-download-refused-desktop")
    assert users(db) == before + 2
    db.rollback()
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "activation_codes_downloaded")) == 1
    db.rollback()


def test_the_roster_and_admin_pages_at_phone_size(page, server_url, bureau, sign_in, shot, db):
    admin, good, bad = bureau
    page.set_viewport_size(PHONE)
    sign_in(admin.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/admin/roster")
    shot("admin-roster-1-upload-phone")
    no_sideways_scroll(page)
    choose(page, bad)
    no_sideways_scroll(page)
    shot("admin-roster-2-errors-phone")
    page.goto(f"{server_url}/admin/roster")
    choose(page, good)
    no_sideways_scroll(page)
    shot("admin-roster-3-preview-phone")
    page.goto(f"{server_url}/admin/units/SA")
    no_sideways_scroll(page)
    shot("admin-unit-edit-phone")
    page.goto(f"{server_url}/admin/users?unit=CA")
    shot("admin-users-phone")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server_url}/admin/units/SA")
    shot("admin-unit-edit-desktop")
    page.goto(f"{server_url}/admin/users?unit=CA")
    shot("admin-users-desktop")
