"""Policy text as HTML: Markdown rendered, then cleaned with nh3 so nothing in it can run."""

import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from portal.content.markdown import to_html

# What a policy document needs: headings, paragraphs, lists, tables, emphasis, links. No images (they would
# be fetched from elsewhere), no scripts, no styles, no forms, no event handlers.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(text: str) -> SafeString:
    """Markdown to sanitised HTML: scripts, event handlers and ``javascript:`` links are removed."""
    html = to_html(text)
    # A "# heading" in a body would compete with the page's own h1: demote it to h2.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>").replace("<h1 ", "<h2 ")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 with a closed list of tags and attributes


def plain_text(text: str) -> str:
    """The words of a Markdown text without its markup (for excerpts)."""
    return strip_tags(render_markdown(text))
