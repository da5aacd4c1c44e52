"""The staff home on the admin index: what waits for the signed-in staff user, from each part's blocks."""

from django import template

from portal import blocks

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_blocks(context) -> list[dict]:
    """The blocks the parts offer for the staff home ("staff"), in their order."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated or not request.user.is_staff:
        return []
    return blocks.collect(request, "staff")
