from django import template

from portal.content import markdown, matching

register = template.Library()


@register.filter
def render_markdown(text):
    """Staff Markdown as sanitised HTML."""
    return markdown.render(text)


@register.filter
def highlight(text, words):
    """``text`` escaped, with the searched ``words`` marked."""
    return matching.highlight(str(text), words or ())
