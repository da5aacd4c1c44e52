"""Project tracking's figures for the service-performance page, computed from the records."""

import datetime as dt

from projects import selectors


def figures(*, start: dt.date, end: dt.date) -> dict:
    """Filings and their average working days, same-day four permits, joint acceptances by mode."""
    filings = selectors.filing_metrics(start=start, end=end)
    acceptances = selectors.acceptance_counts(start=start, end=end)
    return {
        "filings": filings.count,
        "filing_avg_working_days": round(filings.average_workdays or 0.0, 2),
        "four_permits_same_day_projects": selectors.four_permits_same_day_projects(
            start=start, end=end
        ).count(),
        "acceptances_online": acceptances["online"],
        "acceptances_offline": acceptances["offline"],
    }


def latest_day(*, until: dt.date) -> dt.date | None:
    """The last day up to ``until`` a filing was completed."""
    return selectors.latest_filing_day(until=until)
