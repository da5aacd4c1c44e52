# The service desk's people, for the tests of deadlines that move with the calendar.
from tests.servicedesk.conftest import desk  # noqa: F401
