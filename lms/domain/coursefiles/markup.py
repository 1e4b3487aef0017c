"""Markdown rendering and the one HTML sanitizer every entry point uses."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from .tasklist import TaskListExtension

_EXTENSIONS = ["tables", "fenced_code", "footnotes", "admonition", "sane_lists", "toc",
               TaskListExtension()]
_EXTENSION_CONFIGS = {
    # The default slugify drops CJK characters, leaving Chinese headings with ids like "_1".
    "toc": {"slugify": slugify_unicode},
    # Alignment as an `align` attribute, because every `style` attribute is stripped.
    "tables": {"use_align_attribute": True},
    "footnotes": {"BACKLINK_TITLE": "返回正文第 %d 个脚注处"},
}

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
ALLOWED_TAGS = _HEADINGS | {
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup",
    "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
    "a", "img", "div", "span",
}
ALLOWED_ATTRIBUTES = {
    **{h: {"id"} for h in _HEADINGS},
    "a": {"href", "title", "id", "class"},
    "img": {"src", "alt", "title"},
    "sup": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "div": {"class"},
    "span": {"class"},
    "p": {"class"},
    "code": {"class"},
}
# Restricted to a fixed set of values; nh3 wants these kept out of ALLOWED_ATTRIBUTES.
_ATTRIBUTE_VALUES = {tag: {"align": {"left", "center", "right"}} for tag in ("th", "td")}
URL_SCHEMES = {"http", "https", "mailto"}
# Removed together with their content, not just unwrapped.
_DROP_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "noscript", "textarea"}

_ADMONITION_TYPES = {
    "attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning",
}
ALLOWED_CLASSES = {
    "div": {"admonition", "footnote", "toc"} | _ADMONITION_TYPES,
    "span": {"admonition", "footnote", "task-box", "task-done"} | _ADMONITION_TYPES,
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
}
_CODE_LANGUAGE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,32}")


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    """Keep only known classes and numeric list starts; pass every other attribute through."""
    if attr == "class":
        if tag == "code":
            kept = [c for c in value.split() if _CODE_LANGUAGE.fullmatch(c)]
        else:
            kept = [c for c in value.split() if c in ALLOWED_CLASSES.get(tag, ())]
        return " ".join(kept) or None
    if attr == "start":
        return value if value.strip().isdigit() else None
    if tag == "img" and attr == "src":
        return value if _local(value) else None
    return value


def _local(url: str) -> bool:
    """A URL on this site: no scheme, no host (browsers read a backslash as a slash and drop
    tabs and newlines). Pages and the API's body_html request nothing from elsewhere."""
    url = re.sub(r"[\t\n\r]", "", url.strip()).replace("\\", "/")
    parts = urlsplit(url)
    return bool(url) and not (parts.scheme or parts.netloc or url.startswith("//"))


def sanitize(html: str) -> str:
    """Reduce HTML to the allow-list: safe tags, attributes and URL schemes only."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
    )


# Real courseware nests lists and quotes a handful of levels deep; Python-Markdown recurses
# once per level, so a few hundred levels take seconds and then exhaust the stack.
NESTING_MAX = 64


class NestedTooDeep(ValueError):
    """Markdown whose lists or quotes nest deeper than NESTING_MAX."""


def nesting_depth(source: str) -> int:
    """The deepest list or quote nesting in `source`, estimated from its lines' prefixes
    (two columns of indentation or one `>` a level); cheap, no rendering."""
    deepest = 0
    for line in source.splitlines():
        prefix = re.match(r"[ \t>]*", line.expandtabs(4)).group()
        deepest = max(deepest, prefix.count(" ") // 2 + prefix.count(">"))
    return deepest


def render_markdown(source: str) -> str:
    """Render Markdown to sanitized HTML; call once when content is saved, not per request.
    Raises NestedTooDeep for absurd nesting (the entry points report it first)."""
    if nesting_depth(source) > NESTING_MAX:
        raise NestedTooDeep(f"nested more than {NESTING_MAX} levels deep")
    # A Markdown instance keeps state between conversions (footnotes, toc ids): one per call.
    md = markdown.Markdown(extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS)
    return sanitize(md.convert(source))


_BLOCK_TAGS = ALLOWED_TAGS - {
    "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup", "code", "a", "span",
}


class _TextCollector(HTMLParser):
    """Collects text, with a space at each block boundary so cells and paragraphs do not fuse."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0  # inside a footnote link: its "1" or "↩" is noise for search

    def handle_starttag(self, tag, attrs):
        if self._skip_depth:
            self._skip_depth += tag == "a"
        elif tag == "a" and (dict(attrs).get("class") or "").startswith("footnote-"):
            self._skip_depth = 1
        if tag in _BLOCK_TAGS or tag == "img":
            self.parts.append(" ")
        if tag == "img" and not self._skip_depth:
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag):
        if self._skip_depth and tag == "a":
            self._skip_depth -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip_depth:
            self.parts.append(data)


def plain_text(html_or_md: str) -> str:
    """Text for search indexing: tags stripped, entities decoded, whitespace collapsed."""
    # Markdown passes HTML through, so both inputs go the same way; sanitizing first drops
    # script/style bodies along with everything else outside the allow-list.
    collector = _TextCollector()
    collector.feed(render_markdown(html_or_md))
    collector.close()
    return " ".join("".join(collector.parts).split())
