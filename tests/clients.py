"""Test clients that each keep to their own signed-in person."""
from factories import Factory
from flask import g, has_app_context
from flask.testing import FlaskClient


class PersonClient(FlaskClient):
    """A test client that keeps to its own signed-in user.

    Requests made while a test holds an app context share that context's `g`, where
    Flask-Login caches the current user; forgetting it makes each request load its own."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def signed_in(app, user) -> PersonClient:
    """A client signed in as `user` through the real form."""
    client = PersonClient(app, app.response_class, use_cookies=True)
    response = client.post("/login", data={"police_no": user.police_no,
                                           "password": Factory.PASSWORD})
    assert response.status_code == 302
    return client
