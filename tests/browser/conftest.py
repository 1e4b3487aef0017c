"""Real Chromium (Debian's package) through Playwright, against a live threaded server.

Locally the browser tests skip when Chromium is missing; with LMS_REQUIRE_BROWSER=1 (CI)
they fail instead. Every page is watched: a request that leaves 127.0.0.1 fails the test.
"""
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(config, items):
    """Mark everything here `browser`; skip (or fail in CI) without Chromium."""
    here = Path(__file__).parent
    have = os.path.exists(CHROMIUM)
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if not have and not os.environ.get("LMS_REQUIRE_BROWSER"):
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} "
                                                 "(apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, with the flags this closed network needs."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic", "--font-render-hinting=none"]}


@pytest.fixture(scope="session")
def server_url(app):
    """The test app served on 127.0.0.1 from a thread (same process, same database)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _guard_intranet(page, seen: list) -> None:
    """Block, and record in `seen`, any request of `page` that leaves this machine."""
    def guard(route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            return route.continue_()
        seen.append(route.request.url)
        return route.abort()

    page.route("**/*", guard)


@pytest.fixture
def external_requests(page):
    """Record (and block) any request that leaves this machine."""
    seen = []
    _guard_intranet(page, seen)
    yield seen
    assert seen == [], f"pages requested outside the intranet: {seen}"


@pytest.fixture
def phone_without_js(browser, server_url):
    """A 390×844 page with JavaScript off, signed in through the form as `user`:
    page = phone_without_js(user). Watched for requests leaving this machine too."""
    from factories import Factory

    contexts, seen = [], []

    def _open(user, password: str = Factory.PASSWORD):
        context = browser.new_context(java_script_enabled=False, viewport=PHONE)
        contexts.append(context)
        page = context.new_page()
        _guard_intranet(page, seen)
        page.goto(f"{server_url}/login")
        page.fill("input[name=police_no]", user.police_no)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server_url}/")
        return page

    yield _open
    for context in contexts:
        context.close()
    assert seen == [], f"pages requested outside the intranet: {seen}"


@pytest.fixture
def shot(page):
    """Save a full-page screenshot under tests/artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(name: str):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return _shot


@pytest.fixture
def sign_in(page, server_url, external_requests):
    """Sign in through the login form as a person would."""
    def _sign_in(police_no: str, password: str):
        page.goto(f"{server_url}/login")
        page.fill("input[name=police_no]", police_no)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
    return _sign_in
