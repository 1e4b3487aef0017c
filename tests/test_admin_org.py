"""Admin edits of the org tree and of accounts (issue 11 item 12): add, rename and move
units; filter users by unit and role; move, deactivate and reactivate a user; all audited,
admins only, the membership history and the reports' summary kept exact."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.domain.org import directory, membership, units, useradmin
from lms.domain.org.passwords import Passwords
from lms.domain.org.policy import PermissionDenied
from lms.domain.reports import unitstats
from lms.models import AuditEvent, LessonUnitStats, Membership, Unit

NOW = datetime(2026, 11, 18, 2, 0)


@pytest.fixture
def org(db, make):
    tree = make.tree()
    admin = make.user(tree["city"], roles=("admin",))
    return tree, admin


def audited(db, action: str) -> AuditEvent | None:
    db.rollback()
    return db.scalar(select(AuditEvent).where(AuditEvent.action == action))


def paths(db) -> dict[str, tuple[str, int]]:
    db.expire_all()
    return {u.code: (u.path, u.depth) for u in db.scalars(select(Unit))}


# --- units, in the domain ---

def test_a_unit_added_below_another_gets_its_path_and_is_audited(db, org):
    tree, admin = org
    unit = units.add_unit(db, admin, "BA2", "A派出所第二党支部", "branch", tree["station_a"],
                          "1.2.3.4")
    db.commit()
    assert (unit.path, unit.depth) == (f"{tree['station_a'].path}{unit.id}/", 3)
    event = audited(db, "unit_added")
    assert (event.target, event.detail["parent"], event.actor_id) == ("BA2", "SA", admin.id)


@pytest.mark.parametrize("code,name,kind,reason", [
    ("SA", "重复", "branch", "code_taken"), ("坏 代码", "x", "branch", "bad_code"),
    ("OK1", "  ", "branch", "empty_name"), ("OK2", "x", "squad", "bad_kind")])
def test_a_bad_new_unit_is_refused(db, org, code, name, kind, reason):
    tree, admin = org
    with pytest.raises(units.UnitRefused) as refused:
        units.add_unit(db, admin, code, name, kind, tree["city"], None)
    assert refused.value.reason == reason


def test_renaming_is_audited_with_both_names(db, org):
    tree, admin = org
    assert units.rename_unit(db, admin, tree["station_a"], "观前派出所", None)
    db.commit()
    assert db.get(Unit, tree["station_a"].id).name == "观前派出所"
    assert audited(db, "unit_renamed").detail == {"before": "A派出所", "after": "观前派出所"}
    assert not units.rename_unit(db, admin, db.get(Unit, tree["station_a"].id), "观前派出所", None)


def test_moving_a_unit_carries_its_subtree(db, org):
    tree, admin = org
    station, county_b = tree["station_a"], tree["county_b"]
    assert units.move_unit(db, admin, station, county_b, None) == 2
    db.commit()
    after = paths(db)
    assert after["SA"] == (f"{county_b.path}{station.id}/", 2)
    assert after["BA"] == (f"{county_b.path}{station.id}/{tree['branch_a'].id}/", 3)
    assert after["CA"] == (tree["county_a"].path, 1) and after["SB"][0] == tree["station_b"].path
    assert db.get(Unit, station.id).parent_id == county_b.id
    assert audited(db, "unit_moved").detail == {"from": "CA", "to": "CB", "units": 2}


@pytest.mark.parametrize("target,reason", [("station_a", "own_subtree"),
                                           ("branch_a", "own_subtree")])
def test_a_unit_cannot_move_into_its_own_subtree(db, org, target, reason):
    tree, admin = org
    before = paths(db)
    with pytest.raises(units.UnitRefused) as refused:
        units.move_unit(db, admin, tree["station_a"], tree[target], None)
    assert refused.value.reason == reason
    db.rollback()
    assert paths(db) == before


def test_the_root_does_not_move(db, org):
    tree, admin = org
    with pytest.raises(units.UnitRefused) as refused:
        units.move_unit(db, admin, tree["city"], tree["branch_a"], None)
    assert refused.value.reason in ("root", "own_subtree")


def test_a_move_keeps_history_and_recounts_the_summary(db, org, make):
    """A lesson addressed to county A, done by an officer of A's branch: after the station
    moves to county B the lesson no longer reaches the branch, and the summary says so."""
    tree, admin = org
    officer = make.user(tree["branch_a"])
    lesson = make.lesson_due(datetime(2026, 11, 1, 18, 0), audience=[tree["county_a"]])
    make.completion(officer, lesson, datetime(2026, 10, 30, 2, 0))
    stats = select(func.count()).select_from(LessonUnitStats)
    assert db.scalar(stats) == 1
    history = db.scalar(select(func.count()).select_from(Membership))
    units.move_unit(db, admin, tree["station_a"], tree["county_b"], None)
    db.commit()
    assert unitstats.drift(db) == {}
    assert db.scalar(stats) == 0
    assert db.scalar(select(func.count()).select_from(Membership)) == history


def test_only_an_admin_edits_units(db, org, make):
    tree, _admin = org
    supervisor = make.user(tree["city"], roles=("officer", "supervisor"))
    with pytest.raises(PermissionDenied):
        units.rename_unit(db, supervisor, tree["city"], "x", None)
    with pytest.raises(PermissionDenied):
        units.move_unit(db, supervisor, tree["station_a"], tree["county_b"], None)


# --- users, in the domain ---

def test_users_filter_by_unit_subtree_and_role(db, org, make):
    tree, admin = org
    a1 = make.user(tree["branch_a"])
    a2 = make.user(tree["station_a"], roles=("officer", "trainer"))
    make.user(tree["branch_b"], roles=("officer", "trainer"))
    found, total = directory.search_users(db, "/", unit=tree["county_a"])
    assert {u.id for u in found} == {a1.id, a2.id} and total == 2
    found, total = directory.search_users(db, "/", unit=tree["county_a"], role="trainer")
    assert [u.id for u in found] == [a2.id] and total == 1
    assert directory.search_users(db, "/", role="admin")[0] == [admin]


def test_moving_a_user_is_a_move_in_the_history(db, org, make):
    tree, admin = org
    officer = make.user(tree["branch_a"])
    assert useradmin.move_user(db, admin, officer, tree["branch_b"], "10.0.0.1", NOW)
    db.commit()
    rows = membership.history(db, officer.id)
    assert [(r.unit_id, r.valid_to) for r in rows] == [(tree["branch_a"].id, NOW),
                                                     (tree["branch_b"].id, None)]
    assert officer.unit.code == "BB"
    assert audited(db, "user_moved").detail == {"from": "BA", "to": "BB"}
    assert not useradmin.move_user(db, admin, officer, tree["branch_b"], None, NOW)


def test_a_lesson_due_before_a_move_stays_with_the_old_unit(db, org, make):
    tree, admin = org
    officer = make.user(tree["branch_a"])
    past = make.lesson_due(datetime(2026, 11, 1, 18, 0))
    make.completion(officer, past, datetime(2026, 10, 30, 2, 0))
    useradmin.move_user(db, admin, officer, tree["branch_b"], None, NOW)
    db.commit()
    assert unitstats.drift(db) == {}
    rows = db.execute(select(LessonUnitStats.unit_id, LessonUnitStats.completed)).all()
    assert rows == [(tree["branch_a"].id, 1)]


def test_reactivating_lets_a_leaver_back_from_now_on(db, org, make):
    tree, admin = org
    officer = make.user(tree["branch_a"])
    directory.deactivate(db, admin, [officer], "借调", None, NOW - timedelta(days=30))
    assert useradmin.reactivate(db, admin, officer, "借调结束", None, NOW)
    db.commit()
    assert officer.active
    rows = membership.history(db, officer.id)
    assert [r.active for r in rows] == [True, False, True] and rows[-1].valid_from == NOW
    assert audited(db, "user_reactivated").detail == {"reason": "借调结束"}
    assert not useradmin.reactivate(db, admin, officer, "", None, NOW)


def test_a_reissued_code_replaces_the_old_one(db, org, make):
    tree, admin = org
    hasher = Passwords(time_cost=1, memory_cost=8, parallelism=1, pepper="p")
    pending = make.user(tree["branch_a"], password=None)
    code = useradmin.reissue_code(db, admin, pending, hasher, timedelta(days=30), None, NOW)
    db.commit()
    assert hasher.verify_code(pending.activation_hash, code)
    assert pending.activation_expires_at == NOW + timedelta(days=30)
    assert code not in str(audited(db, "activation_code_reissued").detail)
    with pytest.raises(ValueError):
        useradmin.reissue_code(db, admin, make.user(tree["branch_a"]), hasher,
                               timedelta(days=1), None, NOW)


# --- the pages ---

def test_the_unit_page_offers_only_parents_outside_its_subtree(db, org, browser_for):
    tree, admin = org
    html = browser_for(admin).get("/admin/units/SA").get_data(as_text=True)
    options = html.split('name="parent"')[1].split("</select>")[0]
    assert 'value="CB"' in options and 'value="SZ"' in options
    assert 'value="SA"' not in options and 'value="BA"' not in options


def test_moving_renaming_and_adding_through_the_pages(db, org, browser_for):
    tree, admin = org
    client = browser_for(admin)
    moved = client.post("/admin/units/SA/move", data={"parent": "CB"}, follow_redirects=True)
    assert "及其下级共 2 个单位移到 B县公安局 之下" in moved.get_data(as_text=True)
    refused = client.post("/admin/units/CB/move", data={"parent": "BA"}, follow_redirects=True)
    assert "不能把单位移到它自己或它的下级单位之下" in refused.get_data(as_text=True)
    client.post("/admin/units/SA/rename", data={"name": "观前派出所"})
    added = client.post("/admin/units/SA/children",
                        data={"code": "BA9", "name": "第九党支部", "kind": "branch"})
    assert added.headers["Location"].endswith("/admin/units/BA9")
    after = paths(db)
    assert after["BA"][0].startswith(tree["county_b"].path) and after["BA9"][1] == 3
    assert db.scalar(select(Unit.name).where(Unit.code == "SA")) == "观前派出所"
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action.like("unit_%"))) == 3


def test_the_users_page_filters_and_moves(db, org, make, browser_for):
    tree, admin = org
    trainer = make.user(tree["branch_a"], roles=("officer", "trainer"), name="讲师甲")
    make.user(tree["branch_a"], name="民警乙")
    client = browser_for(admin)
    html = client.get("/admin/users?unit=CA&role=trainer").get_data(as_text=True)
    assert "讲师甲" in html and "民警乙" not in html
    back = "/admin/users?unit=CA&role=trainer"
    response = client.post(f"/admin/users/{trainer.police_no}/move",
                           data={"unit": "BB", "next": back})
    assert response.headers["Location"] == back
    db.rollback()
    assert [r.unit_id for r in membership.history(db, trainer.id)] == \
        [tree["branch_a"].id, tree["branch_b"].id]
    unknown = client.post(f"/admin/users/{trainer.police_no}/move", data={"unit": "NOPE"},
                          follow_redirects=True)
    assert "没有这个单位代码" in unknown.get_data(as_text=True)
    outside = client.post(f"/admin/users/{trainer.police_no}/move",
                          data={"unit": "BA", "next": "//evil.example/"})
    assert outside.headers["Location"].startswith("/admin/users?q=")


def test_deactivate_then_reactivate_through_the_page(db, org, make, browser_for, app):
    tree, admin = org
    officer = make.user(tree["branch_a"])
    client = browser_for(admin)
    client.post(f"/admin/users/{officer.police_no}/deactivate", data={"reason": "借调"})
    html = client.get(f"/admin/users?q={officer.police_no}").get_data(as_text=True)
    assert "恢复账号" in html and "停用账号" not in html
    client.post(f"/admin/users/{officer.police_no}/reactivate", data={"reason": "借调结束"})
    db.rollback()
    assert db.get(type(officer), officer.id).active
    assert app.test_client().post("/login", data={
        "police_no": officer.police_no, "password": "correct horse battery staple"}
    ).status_code == 302


def test_a_reissued_code_is_shown_once_and_signs_in(db, org, make, browser_for, app):
    tree, admin = org
    pending = make.user(tree["branch_a"], password=None)
    client = browser_for(admin)
    assert "重新生成激活码" in client.get(f"/admin/users?q={pending.police_no}").get_data(
        as_text=True)
    page = client.post(f"/admin/users/{pending.police_no}/activation-code")
    code = page.get_data(as_text=True).split('class="code-issued"><code>')[1].split("<")[0]
    signed = app.test_client().post("/login", data={"police_no": pending.police_no,
                                                     "password": code})
    assert signed.status_code == 302 and "/login" not in signed.headers["Location"]


def test_only_admins_use_these_pages(db, org, make, browser_for):
    tree, _admin = org
    officer = make.user(tree["branch_a"])
    client = browser_for(make.user(tree["city"], roles=("officer", "supervisor")))
    for url, data in (("/admin/units/SA/move", {"parent": "CB"}),
                      ("/admin/units/SA/rename", {"name": "x"}),
                      ("/admin/units/SA/children", {"code": "X1", "name": "x", "kind": "branch"}),
                      (f"/admin/users/{officer.police_no}/move", {"unit": "BB"}),
                      (f"/admin/users/{officer.police_no}/reactivate", {}),
                      (f"/admin/users/{officer.police_no}/activation-code", {})):
        assert client.post(url, data=data).status_code == 403
    assert client.get("/admin/units/SA").status_code == 403
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action.like("unit_%"))) == 0
