"""A session that is no longer live (signed out elsewhere, or its officer deactivated) is
the same as no session on every LMS page and form, whichever way the route checks it: by
loading the user (`login_required`) or inside its own statement (the lesson page,
`claimed_by_view`). Also where the check object outlives a request, and in a host app."""
import pytest
from dbutil import isolated_database
from factories import Factory
from flask import g
from flask_login import current_user
from sqlalchemy import update
from test_plugin import make_host

from lms import LMS
from lms.auth.session import SessionUser
from lms.domain.org.accounts import Principal
from lms.domain.org.passwords import Passwords
from lms.migrate import upgrade
from lms.models import Unit, User
from lms.web import db_session


def end_session(user_id: int, how: str) -> None:
    values = ({"session_version": User.session_version + 1} if how == "signed out elsewhere"
              else {"active": False})
    db = db_session()
    db.execute(update(User).where(User.id == user_id).values(**values))
    db.commit()


def placeholder(converter):
    """A value the URL converter takes: an id, one of its choices, or a slug."""
    if type(converter).__name__.endswith(("IdConverter", "IntegerConverter")):
        return 1
    return sorted(converter.items)[0] if hasattr(converter, "items") else "x"


def lms_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every LMS page and form but the API's (tokens, not sessions), the
    probes' and static files, with placeholder ids and slugs."""
    routes = []
    for rule in app.url_map.iter_rules():
        if (not rule.endpoint.startswith("lms.")
                or rule.endpoint.startswith(("lms.api.", "lms.ops."))
                or rule.endpoint in ("lms.static", "lms.auth.login", "lms.auth.logout")):
            continue
        values = {arg: placeholder(rule._converters[arg]) for arg in rule.arguments}
        path = rule.build(values)[1]
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


@pytest.mark.parametrize("how", ["signed out elsewhere", "deactivated"])
def test_every_page_answers_a_dead_session_as_it_answers_no_session(app, make, how):
    tree = make.tree()
    user = make.user(unit=tree["branch_a"], roles=("officer", "admin", "trainer", "supervisor"))
    lesson = make.lesson()
    stale, anonymous = app.test_client(), app.test_client()
    stale.post("/login", data={"police_no": user.police_no, "password": Factory.PASSWORD})
    assert stale.get(f"/lessons/{lesson.id}").status_code == 200
    end_session(user.id, how)
    routes = lms_routes(app)
    assert len(routes) > 60
    differ = []
    for method, path in routes:
        answers = []
        for client in (anonymous, stale):
            g.pop("_login_user", None)  # test requests share `g`; a real one starts anew
            answer = client.open(path, method=method)
            answers.append((answer.status_code, answer.headers.get("Location")))
        if answers[0] != answers[1]:
            differ.append((method, path, *answers))
    assert differ == []


def test_a_check_does_not_outlive_its_request(app, make):
    admin = make.user(roles=("officer", "admin"))
    with app.test_request_context("/one"):
        signed_in = SessionUser(admin.id, admin.session_version)
        signed_in.confirm(Principal(admin.id, admin.name, True, True, False, False, True))
        assert signed_in.is_admin
    end_session(admin.id, "deactivated")
    with app.test_request_context("/two"):  # the same object, as on a `g` kept between them
        with pytest.raises(AttributeError):
            signed_in.is_admin  # noqa: B018 - checked again, not answered from request one
        assert not signed_in.is_authenticated


def test_a_host_route_sees_no_user_in_a_dead_session(tmp_path):
    with isolated_database(str(tmp_path), "host") as config:
        host, _host_db = make_host(tmp_path, config)

        @host.get("/whoami")
        def whoami():
            return {"id": getattr(current_user, "id", None), "get_id": current_user.get_id(),
                    "signed_in": current_user.is_authenticated}

        LMS().init_app(host, url_prefix="/training")
        with host.app_context():
            upgrade()
            db = db_session()
            unit = Unit(code="U1", name="市局", kind="bureau", path="/", depth=0)
            db.add(unit)
            db.flush()
            hasher = Passwords(time_cost=1, memory_cost=8, parallelism=1,
                               pepper=host.config["SECRET_KEY"])
            user = User(police_no="900001", name="张三", unit_id=unit.id, is_officer=True,
                        password_hash=hasher.hash(Factory.PASSWORD), active=True)
            db.add(user)
            db.commit()
            user_id = user.id
        client = host.test_client()
        client.post("/training/login", data={"police_no": "900001",
                                             "password": Factory.PASSWORD})
        assert client.get("/whoami").json == {"id": user_id, "get_id": f"{user_id}:1",
                                              "signed_in": True}
        with host.app_context():
            end_session(user_id, "signed out elsewhere")
        assert client.get("/whoami").json == {"id": None, "get_id": None, "signed_in": False}
