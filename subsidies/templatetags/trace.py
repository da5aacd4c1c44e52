"""Explanation traces as the award pages and the calculator show them."""

from django import template

register = template.Library()


@register.filter
def folded_lines(lines) -> list[dict]:
    """The lines folded away: branches of an ``or`` that another branch already met."""
    return [line for line in lines or [] if line.get("folded")]
