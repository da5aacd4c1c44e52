from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("政策目录")

    def ready(self) -> None:
        # The catalogue's search index (held in each process) notices a policy deleted in admin.
        from policies.models import Policy
        from portal.search import count_deletions

        count_deletions(Policy)
