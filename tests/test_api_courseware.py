"""GET /api/v1/courseware and /api/v1/courseware/{slug}: the DESIGN §5 shapes, token auth."""
import pytest
from factories import Factory


@pytest.fixture
def auth(make, client):
    """Bearer headers for a fresh officer."""
    officer = make.user()
    response = client.post("/api/v1/auth/token",
                           json={"police_no": officer.police_no, "password": Factory.PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_list_by_category_featured_first_then_title(make, client, auth):
    practice = make.category("党建实务培训", key="practice")
    rules = make.category("党内法规解读", key="regulations")
    make.courseware("B 党费收缴", practice, slug="dangfei")
    make.courseware("C 三会一课", practice, slug="sanhui", featured=True)
    make.courseware("A 谈心谈话", practice, slug="tanxin")
    make.courseware("纪律处分条例", rules, slug="jilv")
    response = client.get("/api/v1/courseware?category=practice", headers=auth)
    assert response.status_code == 200
    practice_json = {"key": "practice", "name": "党建实务培训"}
    assert response.json == {"items": [
        {"slug": "sanhui", "title": "C 三会一课", "category": practice_json},
        {"slug": "tanxin", "title": "A 谈心谈话", "category": practice_json},
        {"slug": "dangfei", "title": "B 党费收缴", "category": practice_json},
    ]}


def test_list_without_a_category_has_every_published_item(make, client, auth):
    make.courseware(slug="one", category=make.category(key="research"))
    make.courseware(slug="two", category=make.category(key="practice"))
    response = client.get("/api/v1/courseware", headers=auth)
    assert sorted(item["slug"] for item in response.json["items"]) == ["one", "two"]


def test_unknown_category_is_a_json_404(client, auth):
    response = client.get("/api/v1/courseware?category=nope", headers=auth)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert set(response.json["error"]) == {"code", "message"}


def test_detail_shape(make, client, auth):
    category = make.category("党建实务培训", key="practice")
    make.courseware("如何规范开展“三会一课”", category, slug="sanhui-yike-guifan",
                    body_md="## 一、是什么\n\n<script>alert(1)</script>正文")
    response = client.get("/api/v1/courseware/sanhui-yike-guifan", headers=auth)
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"slug", "title", "category", "body_html"}
    assert body["slug"] == "sanhui-yike-guifan" and body["title"] == "如何规范开展“三会一课”"
    assert body["category"] == {"key": "practice", "name": "党建实务培训"}
    assert '<h2 id="一是什么">一、是什么</h2>' in body["body_html"]
    assert "<script" not in body["body_html"]


@pytest.mark.parametrize("status", ["draft", "in_review", "retired"])
def test_unpublished_items_are_invisible(make, client, auth, status):
    category = make.category(key="practice")
    make.courseware(slug="hidden", category=category, status=status)
    listing = client.get("/api/v1/courseware?category=practice", headers=auth)
    assert listing.json == {"items": []}
    detail = client.get("/api/v1/courseware/hidden", headers=auth)
    assert detail.status_code == 404 and detail.json["error"]["code"] == "not_found"


def test_missing_item_is_a_json_404(client, auth):
    response = client.get("/api/v1/courseware/no-such-slug", headers=auth)
    assert response.status_code == 404
    assert set(response.json["error"]) == {"code", "message"}


@pytest.mark.parametrize("path", ["/api/v1/courseware", "/api/v1/courseware?category=practice",
                                  "/api/v1/courseware/some-slug"])
def test_a_token_is_required(make, client, path):
    make.courseware(slug="some-slug", category=make.category(key="practice"))
    for headers in ({}, {"Authorization": "Bearer not-a-real-token"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"


def test_a_session_cookie_is_not_enough(make, client, login):
    officer = make.user()
    login(officer.police_no)
    make.courseware(slug="some-slug")
    assert client.get("/api/v1/courseware/some-slug").status_code == 401
