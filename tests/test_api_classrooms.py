"""GET /api/v1/classrooms?type=KEY: the DESIGN §5 shape, the type filter, scope by policy."""
from datetime import datetime, timedelta

import pytest
from factories import Factory

from lms.domain.classrooms import lifecycle as rooms

NOW = datetime(2026, 11, 20, 10, 0)
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def units(make):
    return make.tree()


def bearer(client, user):
    response = client.post("/api/v1/auth/token",
                           json={"police_no": user.police_no, "password": Factory.PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def rooms_by_state(make, units, db):
    """One model classroom of branch a per state, and an onsite one of branch b."""
    model = make.classroom_type("组织生活“样板课堂”", key="model", position=1)
    onsite = make.classroom_type("党员教育“实境课堂”", key="onsite", position=2)
    made = {state: make.classroom(f"{state} 课堂", model, units["branch_a"], status=state,
                                  slug=f"model-{state}")
            for state in ("applied", "accepted", "returned", "retired")}
    made["onsite"] = make.classroom("英烈纪念设施现场教学", onsite, units["branch_b"],
                                    slug="onsite-b")
    return made


def test_the_shape_with_lecturers_and_sessions_held(make, units, db, client, rooms_by_state):
    room = rooms_by_state["accepted"]
    teacher = make.user(units["branch_a"], roles=("trainer",), name="孙讲师",
                        police_no="300001")
    for hours in (-48, -24, 24):  # two held, one to come
        when = NOW + timedelta(hours=hours + 8)
        rooms.schedule(db, teacher, room, when, "主题党日", None, "Asia/Shanghai")
    db.commit()
    response = client.get("/api/v1/classrooms?type=model",
                          headers=bearer(client, make.user(units["branch_b"])))
    assert response.status_code == 200
    assert response.json == {"classrooms": [
        {"slug": "model-accepted", "name": "accepted 课堂",
         "type": {"key": "model", "name": "组织生活“样板课堂”"},
         "unit": {"code": "BA", "name": "A派出所党支部"}, "status": "accepted",
         "lecturers": [{"police_no": "300001", "name": "孙讲师"}], "sessions_held": 2},
        {"slug": "model-applied", "name": "applied 课堂",
         "type": {"key": "model", "name": "组织生活“样板课堂”"},
         "unit": {"code": "BA", "name": "A派出所党支部"}, "status": "applied",
         "lecturers": [], "sessions_held": 0},
    ]}


def test_scope_returned_and_retired_only_for_the_line(make, units, client, rooms_by_state):
    def slugs(user, query="?type=model"):
        response = client.get(f"/api/v1/classrooms{query}", headers=bearer(client, user))
        return sorted(row["slug"] for row in response.json["classrooms"])

    outsider = make.user(units["branch_b"], roles=("officer", "supervisor"))
    assert slugs(outsider) == ["model-accepted", "model-applied"]
    member = make.user(units["branch_a"])
    assert slugs(member) == ["model-accepted", "model-applied", "model-retired",
                             "model-returned"]
    county = make.user(units["county_a"], roles=("supervisor",))
    assert "model-returned" in slugs(county)
    admin = make.user(units["city"], roles=("admin",))
    assert len(slugs(admin, "")) == 5
    assert slugs(outsider, "?type=onsite") == ["onsite-b"]


def test_a_bureau_wide_sample_belongs_to_the_bureau(make, units, client, rooms_by_state):
    make.classroom("“三会一课”规范化示范观摩", rooms_by_state["onsite"].type, slug="sample")
    response = client.get("/api/v1/classrooms?type=onsite", headers=bearer(client, make.user()))
    units_by_slug = {row["slug"]: row["unit"] for row in response.json["classrooms"]}
    assert units_by_slug["sample"] == {"code": "SZ", "name": "市公安局"}


def test_without_a_type_every_type_in_order(make, units, client, rooms_by_state):
    response = client.get("/api/v1/classrooms", headers=bearer(client, make.user()))
    assert [row["type"]["key"] for row in response.json["classrooms"]] == [
        "model", "model", "onsite"]


@pytest.mark.parametrize("query", ["?type=nope", "?type=", "?type=" + "x" * 300])
def test_an_unknown_type_is_a_json_404(make, client, rooms_by_state, query):
    response = client.get(f"/api/v1/classrooms{query}", headers=bearer(client, make.user()))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_token_is_required(client):
    response = client.get("/api/v1/classrooms?type=model")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_the_register_page_per_type_and_state(make, units, db, browser_for, rooms_by_state):
    outsider = browser_for(make.user(units["branch_b"]))
    page = outsider.get("/classrooms/register?type=model&status=accepted").get_data(
        as_text=True)
    assert "accepted 课堂" in page and "applied 课堂" not in page
    returned = outsider.get("/classrooms/register?type=model&status=returned")
    assert "returned 课堂" not in returned.get_data(as_text=True)
    own = browser_for(make.user(units["branch_a"], roles=("officer", "supervisor")))
    page = own.get("/classrooms/register?type=model&status=returned").get_data(as_text=True)
    assert "returned 课堂" in page
    assert outsider.get("/classrooms/register?type=nope").status_code == 404
    assert outsider.get("/classrooms/register?type=model&status=bogus").status_code == 404
