"""The registry's figure for the service-performance page."""

from portal.enterprises.selectors import enterprises_registered


def figures(*, start, end) -> dict:
    """Enterprises in the registry at the end of the period."""
    return {"enterprises": enterprises_registered(until=end).count()}
