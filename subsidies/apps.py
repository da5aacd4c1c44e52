from django.apps import AppConfig
from django.db import connections
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sqlite_functions(sender, connection, **kwargs) -> None:
    """Every SQLite connection gets the exact-arithmetic functions compiled rules call."""
    if connection.vendor == "sqlite":
        from subsidies.rules.compiler import register_sqlite_functions

        register_sqlite_functions(connection.connection)


def _rematch_later(enterprise_ids: list[int]) -> None:
    """Facts listener: re-evaluate the changed enterprises' awards in a task, not in the import."""
    from subsidies.tasks import enterprise_rematch_task

    enterprise_rematch_task.delay(list(enterprise_ids))


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = _("免申即享")

    def ready(self) -> None:
        from portal.enterprises.services import facts_listener_register
        from subsidies import tasks  # noqa: F401 - registers the tasks the beat schedule names, in every process

        # Database set-up, not domain flow: SQLite lacks exact decimals, the functions supply them.
        connection_created.connect(_sqlite_functions, dispatch_uid="subsidies_sqlite_functions")
        for connection in connections.all(initialized_only=True):
            if connection.vendor == "sqlite" and connection.connection is not None:
                _sqlite_functions(None, connection)
        facts_listener_register(_rematch_later)

        # The policy page shows the schemes that pay out under it.
        from policies.sections import register_policy_section
        from subsidies.sections import policy_schemes

        register_policy_section(policy_schemes)

        # Publicity ends are counted in working days: they move when staff load a year's schedule.
        from portal.workdays.services import deadlines_recomputer
        from subsidies.services import publicity_recompute

        deadlines_recomputer("subsidies", publicity_recompute)

        # A message about an award shows the award's publicity period as it stands, not a copy.
        from portal.accounts.selectors import register_notification_facts
        from subsidies.selectors import award_notification_facts

        register_notification_facts(prefix="subsidy-award:", provider=award_notification_facts)
