"""Caps and decisions under concurrency: eight requests or approvals at the same moment, from
eight threads with their own sessions. Run on SQLite and PostgreSQL (DATABASE_URL)."""
import threading
from datetime import date, datetime

import images
import pytest
from sqlalchemy import func, select

from lms.domain.claims import claims, rules
from lms.models import PointsClaim, PointsEntry, User
from lms.web import claim_settings, db_session, unit_of_work

pytestmark = pytest.mark.slow
COPIES = 8
NOW = datetime(2026, 11, 18, 2, 0)


@pytest.fixture
def branch(app, db, make, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    rules.seed_defaults(db)
    unit = make.unit("党支部", "branch")
    return make.user(unit, roles=("officer", "supervisor")), make.user(unit)


def all_at_once(app, db, work):
    """Run `work()` in COPIES threads released together, each in its own app context and
    transaction; returns what each returned or raised."""
    db.commit()  # SQLite: the test's own open transaction would hold the write lock
    barrier = threading.Barrier(COPIES)
    results = [None] * COPIES

    def worker(n):
        with app.app_context():
            barrier.wait()
            try:
                with unit_of_work() as session:
                    results[n] = work(session)
            except Exception as exc:  # noqa: BLE001 - the refusal is the result
                results[n] = exc
            finally:
                db_session().remove()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_the_cap_holds_under_eight_concurrent_requests(app, db, branch):
    _secretary, officer = branch
    photo, settings = images.png(), claim_settings()

    def request(session):
        user = session.get(User, officer.id)
        return claims.submit(session, user, rules.by_key(session, "study_visit"),
                             date(2026, 11, 10), "走学参观", photo, settings,
                             date(2026, 11, 18), NOW).id

    results = all_at_once(app, db, request)
    made = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, claims.ClaimError)]
    assert len(made) == 3 and len(refused) == 5, results  # 5 points each, 15 a year
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(PointsClaim)) == 3
    assert db.scalar(select(func.sum(PointsClaim.points))) == 15
    assert len(list(settings.folder.iterdir())) == 3  # refused requests stored nothing


def test_eight_concurrent_approvals_pay_once(app, db, branch):
    secretary, officer = branch
    claim = claims.submit(db, officer, rules.by_key(db, "branch_activity"), date(2026, 11, 10),
                          "主题党日", images.png(), claim_settings(), date(2026, 11, 18), NOW)

    def approve(session):
        return claims.approve(session, session.get(User, secretary.id),
                              session.get(PointsClaim, claim.id), NOW).id

    results = all_at_once(app, db, approve)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert sum(isinstance(r, claims.ClaimError) for r in results) == COPIES - 1
    db.expire_all()
    paid = db.execute(select(PointsEntry.points).where(PointsEntry.user_id == officer.id)).all()
    assert paid == [(2,)]
