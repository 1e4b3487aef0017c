"""Markdown rendering and sanitizing: normal content survives, hostile content is defused."""

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lms.domain.coursefiles.markup import plain_text, render_markdown, sanitize

CORPUS_PATH = Path(__file__).resolve().parent.parent / "xss_corpus.txt"


def load_corpus(path: Path = CORPUS_PATH) -> list[str]:
    """Payloads from the corpus file: blocks split by "%%" lines, after a "#" comment header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0
    while start < len(lines) and lines[start] != "%%":
        assert lines[start].startswith("#") or not lines[start].strip(), lines[start]
        start += 1
    payloads, block = [], []
    for line in lines[start + 1:] + ["%%"]:
        if line == "%%":
            text = "\n".join(block).strip("\n")
            if text.strip():
                payloads.append(text)
            block = []
        else:
            block.append(line)
    return payloads


CORPUS = load_corpus()


def _payload_id(index: int, payload: str) -> str:
    return f"{index:02d}-" + re.sub(r"[^A-Za-z0-9]+", "_", payload)[:40].strip("_")


# The expectation is written out here, not imported, so widening the module's allow-list
# makes these tests fail until someone looks.
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
EXPECTED_TAGS = HEADINGS | {
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup",
    "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "a", "img", "div", "span",
}
EXPECTED_ATTRIBUTES = {
    **{h: {"id"} for h in HEADINGS},
    "a": {"href", "title", "id", "class", "rel"},
    "img": {"src", "alt", "title"},
    "sup": {"id"}, "li": {"id"}, "ol": {"start"}, "th": {"align"}, "td": {"align"},
    "div": {"class"}, "span": {"class"}, "p": {"class"}, "code": {"class"},
}
ADMONITIONS = {"attention", "caution", "danger", "error", "hint", "important", "note", "tip",
               "warning"}
EXPECTED_CLASSES = {
    "div": {"admonition", "footnote", "toc"} | ADMONITIONS,
    "span": {"admonition", "footnote"} | ADMONITIONS,
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
}
URL_ATTRIBUTES = {"href", "src"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def normalised_url(value: str) -> str:
    """URL as a browser would see it: entities decoded (repeatedly), controls and spaces gone."""
    previous = None
    while value != previous:
        previous, value = value, unescape(value)
    return _CONTROL_OR_SPACE.sub("", value).lower()


def url_problem(value: str) -> str | None:
    """Why a URL is unsafe, or None: only http(s), mailto and scheme-less relative URLs pass."""
    url = normalised_url(value)
    if url.startswith(("javascript:", "vbscript:", "data:")):
        return f"dangerous scheme in {value!r}"
    match = _SCHEME.match(url)
    if match and match.group(1) not in SAFE_SCHEMES:
        return f"scheme {match.group(1)!r} not allowed in {value!r}"
    if not match and ":" in url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return f"ambiguous scheme-like prefix in {value!r}"
    return None


class _Auditor(HTMLParser):
    """Parses sanitized output and lists every way it breaks the allow-list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in EXPECTED_TAGS:
            self.problems.append(f"element <{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            elif name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            elif name not in EXPECTED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and (problem := url_problem(value)):
                self.problems.append(problem)
            if name == "class":
                for cls in value.split():
                    if tag == "code" and re.fullmatch(r"language-[\w+#.\-]+", cls):
                        continue
                    if cls not in EXPECTED_CLASSES.get(tag, set()):
                        self.problems.append(f"class {cls!r} on <{tag}>")

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.problems.append(f"unknown declaration {data!r}")


def audit(html: str) -> list[str]:
    """Every allow-list violation found by parsing `html`."""
    auditor = _Auditor()
    auditor.feed(html)
    auditor.close()
    return auditor.problems


@pytest.mark.parametrize(
    "payload", CORPUS, ids=[_payload_id(i, p) for i, p in enumerate(CORPUS, 1)]
)
@pytest.mark.parametrize("convert", [render_markdown, sanitize], ids=["markdown", "sanitize"])
def test_hostile_payload_is_defused(convert, payload):
    html = convert(payload)
    assert audit(html) == [], html
    # Output that changes when cleaned again would be parsed differently by the next reader.
    assert sanitize(html) == html


def test_corpus_is_large_and_loaded_whole():
    assert len(CORPUS) >= 35
    assert CORPUS[0] == "<script>alert(1)</script>"
    assert not any(p.lstrip().startswith("# Hostile") for p in CORPUS)


def test_auditor_catches_what_it_guards():
    assert audit('<a href=" JaVa&#x09;script:alert(1)">x</a>')
    assert audit('<img src="data:image/png;base64,AA">')
    assert audit('<p onclick="x" style="color:red">x</p>') == [
        "event handler onclick on <p>", "style attribute on <p>",
    ]
    assert audit("<iframe></iframe>") == ["element <iframe>"]
    assert audit('<a href="/x">a</a><a href="#fn:1">b</a><a href="lesson/2">c</a>') == []


def test_markdown_renders_headings_with_ids_including_chinese():
    html = render_markdown("# Intro\n\n## 一、为什么要学习\n\n## 一、为什么要学习\n")
    assert '<h1 id="intro">Intro</h1>' in html
    assert '<h2 id="一为什么要学习">一、为什么要学习</h2>' in html
    assert '<h2 id="一为什么要学习_1">' in html


def test_markdown_renders_table_with_alignment():
    html = render_markdown("| 单位 | 完成率 |\n|:--|--:|\n| 一大队 | 95% |\n")
    assert "<table>" in html and "<thead>" in html and "<tbody>" in html
    assert '<th align="left">单位</th>' in html
    assert '<td align="right">95%</td>' in html
    assert audit(html) == []


def test_markdown_renders_fenced_code_escaped_with_language():
    html = render_markdown('```python\nprint("<b>党课</b>")\n```\n')
    assert '<pre><code class="language-python">' in html
    assert "&lt;b&gt;党课&lt;/b&gt;" in html
    assert "<b>" not in html


def test_markdown_renders_lists():
    html = render_markdown("- 学习\n- 讨论\n\n3. 三\n4. 四\n")
    assert "<ul>\n<li>学习</li>\n<li>讨论</li>\n</ul>" in html
    assert '<ol start="3">' in html


def test_markdown_renders_footnotes_with_working_links():
    html = render_markdown("三会一课[^1]。\n\n[^1]: 支部党员大会、支部委员会、党小组会和党课。\n")
    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1"' in html
    assert '<div class="footnote">' in html
    assert '<li id="fn:1">' in html
    assert 'class="footnote-backref" href="#fnref:1"' in html
    assert "支部党员大会、支部委员会、党小组会和党课。" in html


def test_markdown_keeps_admonition_classes_and_drops_others():
    html = render_markdown('!!! warning "注意"\n    保密纪律。\n')
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">注意</p>' in html
    assert sanitize('<div class="admonition evil">x</div>') == '<div class="admonition">x</div>'
    assert sanitize('<div class="evil">x</div>') == "<div>x</div>"


def test_sanitize_keeps_safe_links_and_images():
    html = sanitize(
        '<a href="https://intranet.example/a">a</a> <a href="/lesson/1">b</a> '
        '<a href="mailto:zzb@example.cn">c</a> <img src="/static/a.png" alt="图">'
    )
    assert 'href="https://intranet.example/a"' in html
    assert 'href="/lesson/1"' in html
    assert 'href="mailto:zzb@example.cn"' in html
    assert '<img src="/static/a.png" alt="图">' in html
    assert 'rel="noopener noreferrer"' in html


def test_chinese_punctuation_and_quotes_survive():
    text = "“学习强警”‘忠诚’，《党章》：【重点】——「要求」；是否？是！……·、"
    assert render_markdown(text) == f"<p>{text}</p>"
    assert sanitize(f"<p>{text}</p>") == f"<p>{text}</p>"
    assert plain_text(text) == text


def test_plain_text_drops_tags_scripts_and_collapses_whitespace():
    html = ("<h2>第一讲</h2>\n<p>忠诚  <b>干净</b>\n担当</p><script>alert(1)</script>"
            "<td>一</td><td>二</td>")
    assert plain_text(html) == "第一讲 忠诚 干净 担当 一 二"


def test_plain_text_of_markdown_matches_plain_text_of_its_html():
    source = "# 标题\n\n正文[^1]，**重点**。\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[^1]: 注释\n"
    assert plain_text(source) == "标题 正文，重点。 a b 1 2 注释"
    assert plain_text(render_markdown(source)) == plain_text(source)


def test_render_markdown_keeps_no_state_between_calls():
    source = "a[^1]\n\n[^1]: b\n\n# 同名\n"
    assert render_markdown(source) == render_markdown(source)


def test_nesting_is_measured_without_rendering_and_absurd_nesting_refused():
    from lms.domain.coursefiles.markup import NESTING_MAX, NestedTooDeep, nesting_depth

    assert nesting_depth("- a\n  - b\n    - c") == 2 and nesting_depth(">>> 引用") == 3
    deep = "".join("  " * depth + "- x\n" for depth in range(NESTING_MAX + 2))
    assert nesting_depth(deep) == NESTING_MAX + 1
    with pytest.raises(NestedTooDeep):
        render_markdown(deep)
    assert "<li>" in render_markdown("".join("  " * d + "- x\n" for d in range(6)))
