from django import template

from portal.content import charts, markdown, matching

register = template.Library()


@register.filter
def render_markdown(text):
    """Staff Markdown as sanitised HTML."""
    return markdown.render(text)


@register.filter
def plain_number(value):
    """302.30 as 302.3, 0.51 as 0.51; an absent value as an empty string."""
    return charts.plain(value)


@register.filter
def signed_number(value):
    """Growth with its sign: +7.5, -1.2, 0."""
    return charts.signed(value) if value is not None else ""


@register.filter
def highlight(text, words):
    """``text`` escaped, with the searched ``words`` marked."""
    return matching.highlight(str(text), words or ())
