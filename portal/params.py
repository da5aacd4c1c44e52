"""Numbers read from a query string or a form: ASCII digits within a range, or nothing.

``str.isdigit`` is true for "²" and "٣", which ``int`` then refuses or reads; a year past 9999 cannot be a
date. A value outside what the caller can use is treated as absent, never as a 500.
"""

# The People's Republic's policies start in 1949; 2100 is past any plan the portal will hold.
YEAR_MIN, YEAR_MAX = 1949, 2100
# Primary keys are PostgreSQL bigints.
ID_MAX = 2**63 - 1


def int_param(raw: str | None, *, low: int, high: int) -> int | None:
    """The integer ``raw`` spells in ASCII digits, if it lies in [low, high]; otherwise None."""
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def year_param(raw: str | None) -> int | None:
    return int_param(raw, low=YEAR_MIN, high=YEAR_MAX)


def id_param(raw: str | None) -> int | None:
    return int_param(raw, low=1, high=ID_MAX)
