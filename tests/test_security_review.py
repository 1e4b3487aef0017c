"""Security review 2026-12-03 (docs/SECURITY-REVIEW-2026-12-03.md): hostile Excel files, the
admin's way back after a user edit. Each test failed before its fix."""
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from test_question_import import GOOD, upload, xlsx

from lms.domain.bank import xlsximport
from lms.models import Question

LOL = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
       + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                 for i in range(8)) + "]>")
XXE = '<!DOCTYPE worksheet [<!ENTITY i SYSTEM "file:///etc/hostname">]>'


def hostile(doctype: str, stem: str = "&i;", broken: bool = False) -> bytes:
    """The good workbook with its sheet's first stem replaced by an entity (declared in
    `doctype`), or its sheet XML cut short (`broken`)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(GOOD)))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    sheet = doctype + sheet.replace(GOOD[0][1], stem, 1)
    if broken:
        sheet = sheet[: len(sheet) // 2]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, sheet if name == "xl/worksheets/sheet1.xml"
                             else source.read(name))
    return out.getvalue()


@pytest.mark.parametrize("data", [hostile(LOL), hostile(XXE), hostile("", broken=True)],
                         ids=["entity-bomb", "external-entity", "cut-short"])
def test_a_hostile_or_damaged_workbook_is_refused_not_a_crash(data):
    questions, problems = xlsximport.read_xlsx(data, "bank.xlsx")
    assert questions == []
    assert [p.message for p in problems] == [xlsximport.NOT_XLSX]


@pytest.fixture
def trainer_client(make, browser_for):
    return browser_for(make.user(roles=("trainer",)))


def test_the_studio_refuses_an_entity_bomb_with_a_422(trainer_client, db):
    response = upload(trainer_client, hostile(LOL))
    assert response.status_code == 422 and "不是 XLSX 文件" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Question)) == 0


def test_the_cli_refuses_an_external_entity(runner, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(hostile(XXE))
    result = runner.invoke(args=["lms", "import-questions", str(path)])
    assert result.exit_code != 0 and "不是 XLSX 文件" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("back", ["/\t/evil.example/", "/\n/evil.example/",
                                  "/\\/evil.example/", "https://evil.example/"])
def test_the_way_back_after_a_user_edit_stays_on_this_site(db, make, browser_for, back):
    """Browsers drop tabs and newlines from a URL: '/<TAB>/evil' is '//evil', another site."""
    admin = make.user(roles=("admin",))
    officer = make.user(admin.unit)
    response = browser_for(admin).post(f"/admin/users/{officer.police_no}/move",
                                       data={"unit": admin.unit.code, "next": back})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/users?q=")


@pytest.mark.parametrize("source", [
    "![x](http://evil.example/a.png)", '<img src="https://evil.example/x">',
    "![x](//evil.example/a.png)", '<img src="\\\\evil.example\\x">',
    '<img src=" HTTPS://evil.example/x">'])
def test_a_lesson_body_requests_no_image_from_elsewhere(source):
    """CSP keeps browsers from loading it, but the API hands body_html to app clients."""
    from lms.domain.coursefiles.markup import render_markdown
    html = render_markdown(source)
    assert "evil.example" not in html


def test_a_local_image_stays():
    from lms.domain.coursefiles.markup import render_markdown
    assert 'src="/static/lms/x.png"' in render_markdown("![示意图](/static/lms/x.png)")


def test_a_released_lesson_cannot_be_hidden_again_and_withdrawn_by_rescheduling(
        db, make, app):
    """Withdrawing is refused once a lesson is out; moving its publish time into the future
    first made it hidden again, withdrawable, and editable as a draft."""
    from clients import PersonClient

    from lms.domain import clock
    from lms.models import AuditEvent, MicroLesson
    author = make.user(roles=("trainer",))
    lesson = make.lesson(issue_no=9)  # out since yesterday
    client = PersonClient(app, app.response_class, use_cookies=True)
    client.post("/login", data={"police_no": author.police_no, "password": make.PASSWORD})
    later = clock.to_local(clock.utcnow(), "Asia/Shanghai") + timedelta(days=2)
    response = client.post(f"/studio/lessons/{lesson.id}", data={
        "publish_at": later.strftime("%Y-%m-%dT%H:%M"),
        "due_at": (later + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 200 and "已经发布" in response.get_data(as_text=True)
    client.post(f"/studio/lessons/{lesson.id}/status", data={"action": "withdraw"})
    db.expire_all()
    row = db.get(MicroLesson, lesson.id)
    assert row.status == "published" and row.publish_at == lesson.publish_at
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("lesson_%"))) == 0


def test_two_crossing_unit_moves_at_once_cannot_make_a_cycle(db, make, app):
    """A under B and B under A, by two admins (or two tabs) at once: each checked the
    other's path as it was, both updates touch different rows, and both committed: a
    cycle cut off from the root, its officers outside every scope."""
    import threading

    from sqlalchemy.orm import Session

    from lms.domain.org import units
    from lms.models import Unit, User
    engine = app.extensions["lms"].db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite write transactions BEGIN IMMEDIATE: moves are serial already")
    root = make.unit("市局", "bureau")
    a, b = make.unit("甲", parent=root), make.unit("乙", parent=root)
    admin = make.user(root, roles=("admin",))
    db.commit()
    first, second = Session(engine), Session(engine)
    units.move_unit(first, first.get(User, admin.id), first.get(Unit, a.id),
                    first.get(Unit, b.id), None)  # A under B, not yet committed
    actor, b2, a2 = second.get(User, admin.id), second.get(Unit, b.id), second.get(Unit, a.id)
    outcome = {}

    def cross():
        try:
            outcome["moved"] = units.move_unit(second, actor, b2, a2, None)
            second.commit()
        except units.UnitRefused as refused:
            outcome["refused"] = refused.args
            second.rollback()
    thread = threading.Thread(target=cross)
    thread.start()
    thread.join(1)  # with the fix it waits for the first move; either way the result is fixed
    first.commit()
    thread.join(30)
    first.close()
    second.close()
    db.expire_all()
    rows = {u.id: u for u in db.scalars(select(Unit))}
    for unit in rows.values():
        if unit.parent_id is not None:
            assert unit.path == f"{rows[unit.parent_id].path}{unit.id}/", unit.name
    assert "refused" in outcome


def test_a_unit_added_under_one_being_moved_gets_the_new_path(db, make, app):
    import threading

    from sqlalchemy.orm import Session

    from lms.domain.org import units
    from lms.models import Unit, User
    engine = app.extensions["lms"].db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite write transactions BEGIN IMMEDIATE: edits are serial already")
    root = make.unit("市局", "bureau")
    a, b = make.unit("甲", parent=root), make.unit("乙", parent=root)
    admin = make.user(root, roles=("admin",))
    db.commit()
    first, second = Session(engine), Session(engine)
    units.move_unit(first, first.get(User, admin.id), first.get(Unit, a.id),
                    first.get(Unit, b.id), None)
    actor, a2 = second.get(User, admin.id), second.get(Unit, a.id)

    def add():
        units.add_unit(second, actor, "NEWCHILD", "新单位", "branch", a2, None)
        second.commit()
    thread = threading.Thread(target=add)
    thread.start()
    thread.join(1)
    first.commit()
    thread.join(30)
    first.close()
    second.close()
    db.expire_all()
    child = db.scalar(select(Unit).where(Unit.code == "NEWCHILD"))
    parent = db.get(Unit, a.id)
    assert child.path == f"{parent.path}{child.id}/" and child.depth == parent.depth + 1


def test_downloading_a_course_file_with_its_answer_key_is_audited(db, make, browser_for):
    """Bank, lesson and courseware files hold the key: if an exam's key gets out, the log
    says who took it."""
    from test_question_import import xlsx as workbook

    from lms.models import AuditEvent
    trainer = make.user(roles=("trainer",))
    client = browser_for(trainer)
    assert upload(client, workbook(GOOD), bank="sanhui").status_code == 303
    lesson = make.lesson(issue_no=12)
    item = make.courseware(slug="cw-key", quiz=True)
    for path in ("/studio/banks/sanhui/export", f"/studio/lessons/{lesson.id}/export",
                 f"/studio/courseware/{item.slug}/export"):
        assert client.get(path).status_code == 200
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "answer_key_exported")
                        .order_by(AuditEvent.id)).all()
    assert [e.target for e in events][0] == "sanhui.yml" and len(events) == 3
    assert {e.actor_id for e in events} == {trainer.id}
