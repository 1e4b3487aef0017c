"""Scope: a supervisor never sees a unit outside their subtree — by code, URL tampering or
export parameters — on every supervision route and the report API (enumerated from the
URL map, so a new route without a case here fails the suite)."""
import io
import itertools
import re
from datetime import datetime

import openpyxl
import pytest
from factories import bearer
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from lms.models import AuditEvent

PREFIXES = ("/supervise", "/api/v1/reports")
NOW = datetime(2026, 12, 1, 2, 0)

# Query strings per endpoint, each naming a unit (and whatever else the route takes).
QUERIES = {
    "lms.supervise.dashboard": ["unit={unit}", "unit={unit}&period=2026Q4",
                                "unit={unit}&lesson={lesson}"],
    "lms.supervise.pending": ["unit={unit}", "unit={unit}&lesson={lesson}&page=2"],
    "lms.supervise.tongbao": ["unit={unit}&period=2026Q4", "unit={unit}&names=1"],
    "lms.supervise.export": ["unit={unit}&period=2026Q4", "unit={unit}&lesson={lesson}",
                             "unit={unit}&period=2026Q4&names=1"],
    "lms.api.completion": ["unit={unit}&period=2026Q4", "unit={unit}&period=2026-W48"],
    "lms.supervise.remind": ["unit={unit}&period=2026Q4"],  # POST: names nobody
}


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def world(db, make):
    """County A's supervisor; county B with named officers and a lesson only B gets."""
    t = make.tree()
    boss = make.user(t["county_a"], roles=("supervisor",), name="甲县督导")
    a = make.user(t["branch_a"], name="甲县民警", police_no="A0001")
    b = make.user(t["branch_b"], name="乙县民警", police_no="B0001")
    everyone = make.lesson_due(datetime(2026, 11, 29, 23, 59), title="全员微课")
    b_only = make.lesson_due(datetime(2026, 11, 29, 23, 59), audience=[t["county_b"]],
                             title="乙县专题")
    make.completion(a, everyone, datetime(2026, 11, 28))
    return {"tree": t, "boss": boss, "a": a, "b": b, "everyone": everyone, "b_only": b_only}


def routes(app):
    """(endpoint, path) for every rule under the prefixes, every `any(...)` value expanded."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIXES):
            continue
        names = sorted(rule.arguments)
        choices = []
        for name in names:
            converter = rule._converters[name]
            assert isinstance(converter, AnyConverter), f"{rule.rule}: add cases for <{name}>"
            choices.append(sorted(converter.items))
        for values in itertools.product(*choices):
            _, path = rule.build(dict(zip(names, values)))
            found.append((rule.endpoint, path))
    return found


def requests_for(app, unit: str, lesson: int):
    """Every (endpoint, URL) to try, with `unit` as the unit code."""
    urls = []
    for endpoint, path in routes(app):
        assert endpoint in QUERIES, f"{endpoint} takes identifiers: add it to QUERIES"
        for query in QUERIES[endpoint]:
            urls.append((endpoint, f"{path}?{query.format(unit=unit, lesson=lesson)}"))
    return urls


def fetch(client, endpoint, url, headers):
    if endpoint == "lms.supervise.remind":  # the one form post: back to the pending page
        return client.post(url)
    return client.get(url, headers=headers if endpoint.startswith("lms.api.") else None)


def readable(response) -> str:
    """What a person would read in the answer, spreadsheets included."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return response.data.decode("utf-8-sig")


def same_page(response, echoed: bytes) -> bytes:
    """The page without what differs per request: the CSRF token and the echoed unit code."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", response.data).replace(echoed, b"?")


def test_the_route_list_is_what_this_test_expects(app):
    endpoints = {endpoint for endpoint, _ in routes(app)}
    assert endpoints == set(QUERIES)
    # dashboard, pending, tongbao, 8 exports, remind, API
    assert len(routes(app)) == 3 + 4 * 2 + 1 + 1


@pytest.mark.parametrize("target", ["CB", "SB", "BB", "SZ", "NO-SUCH-UNIT", "%", "C%"])
def test_every_route_refuses_units_outside_the_scope(app, client, login, world, target):
    login(world["boss"].police_no)
    headers = bearer(client, world["boss"])
    for endpoint, url in requests_for(app, target, world["b_only"].id):
        response = fetch(client, endpoint, url, headers)
        assert response.status_code == 403, (url, response.status_code)
        assert "乙县民警" not in readable(response) and "B0001" not in readable(response)


def test_the_same_routes_answer_inside_the_scope(app, client, login, world):
    """The refusals above are about scope: the same requests for county A succeed."""
    login(world["boss"].police_no)
    headers = bearer(client, world["boss"])
    for target in ("CA", "SA", "BA"):
        for endpoint, url in requests_for(app, target, world["everyone"].id):
            response = fetch(client, endpoint, url, headers)
            if endpoint == "lms.supervise.remind":
                assert response.status_code == 302, url
                assert response.location.startswith("/supervise/pending?unit="), url
                continue
            assert response.status_code == 200, (url, response.status_code)
            assert "乙县民警" not in readable(response)


def test_an_unknown_unit_is_refused_exactly_like_a_foreign_one(client, login, world):
    login(world["boss"].police_no)
    foreign = client.get("/supervise/?unit=CB")
    unknown = client.get("/supervise/?unit=NO-SUCH-UNIT")
    assert foreign.status_code == unknown.status_code == 403
    # The same page; only the echoed address (the language switch's `next`) differs, and the
    # CSRF token, which carries a timestamp and may change between the two requests.
    assert same_page(foreign, b"CB") == same_page(unknown, b"NO-SUCH-UNIT")
    headers = bearer(client, world["boss"])
    api_foreign = client.get("/api/v1/reports/completion?unit=CB&period=2026Q4", headers=headers)
    api_unknown = client.get("/api/v1/reports/completion?unit=ZZZ&period=2026Q4", headers=headers)
    assert api_foreign.status_code == api_unknown.status_code == 403
    assert api_foreign.json == api_unknown.json == {
        "error": {"code": "forbidden", "message": "无权访问"}}


def test_without_a_unit_the_scope_root_is_used_and_nothing_foreign_leaks(app, client, login,
                                                                         world):
    login(world["boss"].police_no)
    headers = bearer(client, world["boss"])
    for endpoint, path in routes(app):
        for query in ("period=2026Q4", f"lesson={world['b_only'].id}", "period=2026-W48&names=1"):
            response = fetch(client, endpoint, f"{path}?{query}", headers)
            expected = 400 if endpoint == "lms.api.completion" and "period" not in query else 200
            if endpoint == "lms.supervise.remind":
                expected = 302  # back to the pending page of the scope root
            assert response.status_code == expected, (path, query, response.status_code)
            text = readable(response)
            for foreign in ("乙县民警", "B0001", "B县公安局", "B派出所"):
                assert foreign not in text, (path, query, foreign)


def test_officers_and_signed_out_visitors_are_refused(app, client, login, world):
    login(world["a"].police_no)  # an officer, not a supervisor
    headers = bearer(client, world["a"])
    for endpoint, url in requests_for(app, "BA", world["everyone"].id):
        assert fetch(client, endpoint, url, headers).status_code == 403, url
    client.post("/logout")
    for endpoint, url in requests_for(app, "CA", world["everyone"].id):
        response = fetch(client, endpoint, url, {})
        if endpoint.startswith("lms.api."):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302, url
            assert response.location.startswith("/login"), url
        assert "甲县民警" not in readable(response)


def test_a_supervisor_whose_unit_is_a_branch_cannot_climb_to_the_parent(client, login, make,
                                                                        world):
    secretary = make.user(world["tree"]["branch_a"], roles=("officer", "supervisor"))
    login(secretary.police_no)
    assert client.get("/supervise/").status_code == 200
    assert client.get("/supervise/?unit=BA").status_code == 200
    for parent in ("SA", "CA", "SZ"):
        assert client.get(f"/supervise/?unit={parent}").status_code == 403
        assert client.get(f"/supervise/export/units.xlsx?unit={parent}").status_code == 403


def test_admins_see_the_whole_bureau(client, login, make, world):
    admin = make.user(world["tree"]["city"], roles=("admin",))
    login(admin.police_no)
    for code in ("SZ", "CA", "CB", "BB"):
        assert client.get(f"/supervise/?unit={code}").status_code == 200
    assert "乙县民警" in client.get("/supervise/?unit=BB").text


def test_refused_exports_are_not_recorded_as_exports(db, client, login, world):
    login(world["boss"].police_no)
    assert client.get("/supervise/export/pending.csv?unit=CB").status_code == 403
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "report_exported")).all() == []


@pytest.mark.parametrize("query, status", [
    ("lesson=99999999999999999999", 404), ("lesson=-1", 400), ("lesson=%C2%B2", 400),
    ("lesson=1%20OR%201=1", 400), ("period=2026Q4%00", 400), ("period=2026Q4'--", 400),
    ("page=-5", 200), ("page=abc", 200), ("unit=CA%00", 400), ("unit=%2F", 403),
    ("unit=" + "C" * 500, 403),
])
def test_tampered_parameters_are_refused_cleanly(client, login, world, query, status):
    login(world["boss"].police_no)
    for path in ("/supervise/", "/supervise/pending", "/supervise/export/pending.csv"):
        assert client.get(f"{path}?{query}").status_code == status, (path, query)
    if query.startswith("unit="):
        api = client.get(f"/api/v1/reports/completion?period=2026Q4&{query}",
                         headers=bearer(client, world["boss"]))
        # A NUL byte is refused before any lookup, like elsewhere; other codes are out of scope.
        assert api.status_code == (400 if "%00" in query else 403)
