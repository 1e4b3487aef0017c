"""Points beyond quizzes (党建积分申报): a request with a photo, the branch secretary's
decision, caps per period, corrections as reversing rows, and the evidence kept private."""
import io
from datetime import date, datetime

import images
import pytest
from sqlalchemy import func, select

from lms.domain.claims import claims, evidence, rules
from lms.domain.learning import points
from lms.models import AuditEvent, PointsClaim, PointsEntry, PointsRule

NOW = datetime(2026, 11, 18, 2, 0)  # 10:00 in Shanghai
TODAY = date(2026, 11, 18)






@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    """Evidence goes to a fresh folder per test (outside any static folder)."""
    monkeypatch.setitem(app.config, "LMS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return tmp_path / "evidence"


@pytest.fixture
def branch(db, make, frozen_clock, folder):
    """A branch with its secretary, two officers and a lecturer; the default rules."""
    rules.seed_defaults(db)
    db.commit()
    t = make.tree()
    unit = t["branch_a"]
    return {"tree": t, "unit": unit,
            "secretary": make.user(unit, roles=("officer", "supervisor")),
            "officer": make.user(unit), "other": make.user(unit),
            "lecturer": make.user(unit, roles=("officer", "trainer")),
            "stranger": make.user(t["branch_b"], roles=("officer", "supervisor"))}


def request_points(client, rule="branch_activity", image=None, name="photo.png",
                   occurred_on="2026-11-15", note="参加主题党日志愿服务"):
    data = {"rule": rule, "occurred_on": occurred_on, "note": note,
            "evidence": (io.BytesIO(images.png() if image is None else image), name)}
    return client.post("/points/", data=data, content_type="multipart/form-data")


def ledger(db, user):
    return db.execute(select(PointsEntry.rule, PointsEntry.points, PointsEntry.source_type)
                      .where(PointsEntry.user_id == user.id).order_by(PointsEntry.id)).all()


def test_points_wait_for_the_secretary_and_are_paid_once(db, branch, browser_for):
    officer, secretary = branch["officer"], branch["secretary"]
    response = request_points(browser_for(officer))
    assert response.status_code == 302
    claim = db.scalar(select(PointsClaim))
    assert claim.status == "requested" and claim.points == 2
    assert claim.approver_unit_id == branch["unit"].id
    assert ledger(db, officer) == []  # nothing before approval

    boss = browser_for(secretary)
    page = boss.get("/points/review").get_data(as_text=True)
    assert "参加主题党日志愿服务" in page and officer.name in page
    assert boss.post(f"/points/{claim.id}/approve").status_code == 302
    assert boss.post(f"/points/{claim.id}/approve").status_code == 302  # a second click
    db.expire_all()
    assert ledger(db, officer) == [("branch_activity", 2, "points_claim")]
    assert points.total(db, officer.id) == 2
    assert db.get(PointsClaim, claim.id).status == "approved"
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"points_requested", "points_approved"} <= actions


def test_only_the_requesters_branch_secretary_decides(db, branch, browser_for):
    officer = branch["officer"]
    request_points(browser_for(officer))
    claim = db.scalar(select(PointsClaim))
    for outsider in (branch["stranger"], branch["other"], officer):
        assert browser_for(outsider).post(f"/points/{claim.id}/approve").status_code == 403
    assert browser_for(branch["stranger"]).get("/points/review").status_code == 200
    assert "参加主题党日" not in browser_for(branch["stranger"]).get(
        "/points/review").get_data(as_text=True)
    db.expire_all()
    assert db.get(PointsClaim, claim.id).status == "requested"
    assert ledger(db, officer) == []


def test_a_secretary_cannot_approve_their_own_claim(db, branch):
    secretary = branch["secretary"]
    claim = submit(db, secretary, "branch_activity")
    with pytest.raises(claims.policy.PermissionDenied):
        claims.approve(db, secretary, claim, NOW)


def test_a_returned_request_needs_a_reason_and_frees_the_cap(db, branch, browser_for):
    officer, boss = branch["officer"], browser_for(branch["secretary"])
    for _ in range(4):  # 2 points each, 8 a quarter
        assert request_points(browser_for(officer)).status_code == 302
    refused = request_points(browser_for(officer))
    assert refused.status_code == 400 and "上限" in refused.get_data(as_text=True)
    first = db.scalars(select(PointsClaim).order_by(PointsClaim.id)).first()
    boss.post(f"/points/{first.id}/return", data={"reason": ""})
    db.expire_all()
    assert db.get(PointsClaim, first.id).status == "requested"  # no reason, no return
    boss.post(f"/points/{first.id}/return", data={"reason": "照片看不清活动现场"})
    db.expire_all()
    returned = db.get(PointsClaim, first.id)
    assert (returned.status, returned.reason) == ("returned", "照片看不清活动现场")
    assert "照片看不清活动现场" in browser_for(officer).get("/points/").get_data(as_text=True)
    assert request_points(browser_for(officer)).status_code == 302  # room again
    assert ledger(db, officer) == []


def test_a_correction_is_a_new_reversing_row(db, branch, browser_for):
    officer, boss = branch["officer"], browser_for(branch["secretary"])
    request_points(browser_for(officer), rule="study_visit")
    claim = db.scalar(select(PointsClaim))
    boss.post(f"/points/{claim.id}/approve")
    original = db.scalar(select(PointsEntry).where(PointsEntry.user_id == officer.id))
    paid = (original.id, original.points, original.at)
    boss.post(f"/points/{claim.id}/reverse", data={"reason": "同一次参观重复申报"})
    db.expire_all()
    assert ledger(db, officer) == [("study_visit", 5, "points_claim"),
                                   ("correction", -5, "points_claim")]
    kept = db.get(PointsEntry, paid[0])
    assert (kept.id, kept.points, kept.at) == paid  # the first line is untouched
    assert points.total(db, officer.id) == 0
    assert db.get(PointsClaim, claim.id).status == "reversed"
    boss.post(f"/points/{claim.id}/reverse", data={"reason": "再来一次"})
    db.expire_all()
    assert len(ledger(db, officer)) == 2  # corrected once only
    profile = browser_for(officer).get("/profile?all=1").get_data(as_text=True)
    assert "积分更正" in profile and "-5" in profile


def test_the_lecturer_rule_is_for_lecturers(db, branch, browser_for):
    assert request_points(browser_for(branch["officer"]), rule="lead_session").status_code == 400
    assert request_points(browser_for(branch["lecturer"]), rule="lead_session").status_code == 302
    assert db.scalar(select(func.count()).select_from(PointsClaim)) == 1


def test_an_activity_must_be_recent_and_not_in_the_future(branch, browser_for):
    client = browser_for(branch["officer"])
    assert request_points(client, occurred_on="2026-11-19").status_code == 400
    assert request_points(client, occurred_on="2026-01-02").status_code == 400
    assert request_points(client, occurred_on="2026-11-18").status_code == 302


@pytest.mark.parametrize("payload, name", [
    (images.TEXT, "photo.jpg"),
    (images.HTML, "photo.jpg"),
    (images.SVG, "photo.png"),
    (images.jpeg()[:200], "photo.jpg"),  # starts like a JPEG, does not decode
    (images.png()[:40], "photo.png"),
    (b"", "photo.jpg"),
])
def test_uploads_that_are_not_real_jpeg_or_png_are_refused(db, branch, browser_for, folder,
                                                           payload, name):
    response = request_points(browser_for(branch["officer"]), image=payload, name=name)
    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(PointsClaim)) == 0
    assert not folder.exists() or not any(folder.iterdir())  # nothing stored


def test_an_oversize_photo_is_refused(app, db, branch, browser_for, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_EVIDENCE_MAX_BYTES", 4096)
    big = images.png(900, 900) + b"\0" * 4096
    response = request_points(browser_for(branch["officer"]), image=big)
    assert response.status_code == 400 and "MB" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(PointsClaim)) == 0


def test_tiny_or_giant_images_are_refused():
    with pytest.raises(evidence.EvidenceError):
        evidence.check_image(images.png(8, 8), 10**6, 10**7)
    with pytest.raises(evidence.EvidenceError):
        evidence.check_image(images.png(400, 400), 10**6, 100_000)
    info = evidence.check_image(images.jpeg(120, 90), 10**6, 10**7)
    assert (info.mimetype, info.width, info.height) == ("image/jpeg", 120, 90)


def test_evidence_is_served_only_to_the_requester_and_approvers(db, branch, browser_for,
                                                                 folder):
    photo = images.jpeg()
    request_points(browser_for(branch["officer"]), image=photo, name="x.png")
    claim = db.scalar(select(PointsClaim))
    stored = list(folder.iterdir())
    assert [p.name for p in stored] == [claim.evidence_name]
    assert claim.evidence_name.endswith(".jpg")  # from the content, not the name given
    for viewer in (branch["officer"], branch["secretary"]):
        response = browser_for(viewer).get(f"/points/{claim.id}/evidence")
        assert response.status_code == 200 and response.data == photo
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    for outsider in (branch["other"], branch["stranger"], branch["lecturer"]):
        assert browser_for(outsider).get(f"/points/{claim.id}/evidence").status_code == 404


def test_rules_are_data_an_admin_edits(db, branch, make, browser_for):
    assert rules.seed_defaults(db) == 0  # already there: nothing added twice
    admin = make.user(branch["tree"]["city"], roles=("admin",))
    rule = rules.by_key(db, "branch_activity")
    client = browser_for(admin)
    assert "支部活动" in client.get("/points/rules").get_data(as_text=True)
    response = client.post(f"/points/rules/{rule.id}", data={
        "name": "主题党日", "points": 3, "cap": 9, "cap_period": "year",
        "requesters": "any", "approver": "branch", "active": "y"})
    assert response.status_code == 302
    db.expire_all()
    rule = db.get(PointsRule, rule.id)
    assert (rule.name, rule.points, rule.cap, rule.cap_period) == ("主题党日", 3, 9, "year")
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.target == "branch_activity")) \
        == "points_rule_changed"
    assert browser_for(branch["officer"]).get("/points/rules").status_code == 403


def submit(db, user, key, photo=None):
    """A claim through the domain, committed."""
    from lms.web import claim_settings
    claim = claims.submit(db, user, rules.by_key(db, key), date(2026, 11, 15), "活动",
                          photo or images.png(), claim_settings(), TODAY, NOW)
    db.commit()
    return claim


def test_the_approving_unit_follows_the_rule(db, branch, make):
    t = branch["tree"]
    rule = rules.by_key(db, "branch_activity")
    assert claims.policy.claim_approver_unit(db, t["branch_a"], "branch") == t["branch_a"]
    # an officer attached to a station above any branch: its own unit decides
    assert claims.policy.claim_approver_unit(db, t["station_a"], "branch") == t["station_a"]
    assert claims.policy.claim_approver_unit(db, t["branch_a"], "county") == t["county_a"]
    rule.approver = "county"
    db.commit()
    claim = submit(db, branch["officer"], "branch_activity")
    county_secretary = make.user(t["county_a"], roles=("supervisor",))
    assert claim.approver_unit_id == t["county_a"].id
    assert not claims.policy.can_decide_claim(branch["secretary"], claim)
    claims.approve(db, county_secretary, claim, NOW)
    db.commit()
    assert points.total(db, branch["officer"].id) == 2
