"""The service desk's figures for the service-performance page (万人助万企)."""

import datetime as dt

from portal.servicedesk import selectors


def figures(*, start: dt.date, end: dt.date) -> dict:
    """Visits and problems of the period, and the resolution rate from the records.

    ``problem_resolution_rate`` is resolved / collected rounded to 4 places, or None when no problem was
    collected in the period (there is no rate to give, and 0 or 100% would both be untrue).
    """
    resolution = selectors.resolution(start=start, end=end)
    return {
        "enterprise_visits": selectors.visits_between(start=start, end=end).count(),
        "problems_collected": resolution.collected,
        "problems_resolved": resolution.resolved,
        "problem_resolution_rate": resolution.rate,
    }


def latest_day(*, until: dt.date) -> dt.date | None:
    """The last day up to ``until`` with a visit or a problem: where the figures have something to count."""
    return selectors.latest_record_day(until=until)
