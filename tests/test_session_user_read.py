"""The session's user read outside a transaction (`web.outside_transaction`, PostgreSQL):
what the request (or a host's route sharing the session) has added but not flushed is not
written by that read, nor committed by it: a rollback still undoes it."""
from sqlalchemy import select

from lms.auth.session import load_user
from lms.models import Unit
from lms.web import db_session


def test_reading_the_session_user_leaves_pending_changes_to_the_request(app, make, db):
    officer = make.user()
    db.commit()
    db.expunge_all()  # the user is read from the database, not from the identity map
    with app.test_request_context("/"):
        session = db_session()
        session.add(Unit(code="HOST1", name="宿主的单位", kind="bureau", path="/", depth=0))
        assert load_user(f"{officer.id}:{officer.session_version}").is_authenticated
        session.rollback()  # the route refuses: nothing it added may survive
    db.expire_all()
    assert db.scalar(select(Unit).where(Unit.code == "HOST1")) is None
