"""Every payload of tests/xss_corpus.txt, rendered into courseware and opened in Chromium:
no dialog may fire and no script may run."""
from urllib.parse import urlsplit

import pytest
from factories import Factory
from unit.test_markup import load_corpus

from lms.domain.coursefiles.markup import sanitize

# What an officer could still trigger by tapping: handlers and dangerous URLs, as the
# browser itself parsed them (entities decoded, schemes resolved).
LEFTOVERS = """() => {
    const found = window.__xss === undefined ? [] : ['window.__xss was set'];
    for (const el of document.querySelectorAll('.prose *')) {
        for (const attr of el.attributes) {
            if (attr.name.startsWith('on') || attr.name === 'style' || attr.name === 'srcset')
                found.push(el.tagName + ' ' + attr.name);
        }
        for (const name of ['href', 'src', 'action', 'formaction', 'background', 'poster']) {
            const value = el.getAttribute(name);
            if (value === null) continue;
            let scheme;
            try { scheme = new URL(value, location.href).protocol; } catch (e) { continue; }
            if (!['http:', 'https:', 'mailto:'].includes(scheme))
                found.push(el.tagName + ' ' + value);
        }
        if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FORM', 'INPUT', 'BUTTON', 'SVG', 'MATH',
             'STYLE', 'LINK', 'META', 'BASE', 'TEMPLATE'].includes(el.tagName.toUpperCase()))
            found.push(el.tagName);
    }
    return found;
}"""


@pytest.fixture
def without_csp(page, external_requests):
    """Strip the Content-Security-Policy from our pages, so the sanitizer stands alone: the
    CSP would block inline handlers anyway and hide a sanitizer bug from this test."""
    def strip(route):
        request, url = route.request, urlsplit(route.request.url)
        if (request.resource_type != "document" or url.hostname != "127.0.0.1"
                or not url.path.startswith("/courseware/")):
            return route.fallback()  # to the external_requests guard
        response = route.fetch(max_redirects=0)
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() != "content-security-policy"}
        return route.fulfill(response=response, headers=headers)

    page.route("**/*", strip)


def test_no_corpus_payload_runs_in_the_reading_page(page, server_url, make, db, sign_in,
                                                   without_csp):
    corpus = load_corpus()
    category = make.category()
    slugs = []
    for n, payload in enumerate(corpus):
        # Through the Markdown renderer, as the importer stores it...
        slugs.append(make.courseware(body_md=payload, category=category, slug=f"xss-md-{n}").slug)
        # ...and straight through the sanitizer, as an HTML fragment would be.
        raw = make.courseware(category=category, slug=f"xss-html-{n}")
        raw.body_html = sanitize(payload)
        slugs.append(raw.slug)
    db.commit()
    dialogs = []

    def on_dialog(dialog):
        dialogs.append((page.url, dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", on_dialog)
    officer = make.user()
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    leftovers = {}
    for slug in slugs:
        response = page.goto(f"{server_url}/courseware/{slug}")
        assert response.status == 200, slug
        found = page.evaluate(LEFTOVERS)
        if found:
            leftovers[slug] = found
    # Let anything scheduled (timers, lazy handlers, refreshes) have its chance.
    page.wait_for_timeout(300)
    assert dialogs == []
    assert leftovers == {}
    assert len(slugs) == 2 * len(corpus) > 100
