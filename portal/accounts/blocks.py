from django.utils import timezone

from portal.accounts import selectors

# Failed imports listed on the staff home in admin; the rest are behind the filtered change list.
STAFF_FAILED_IMPORTS = 5


def staff(request):
    """The failed imports of the last week that concern the staff user, on the admin home."""
    if not request.user.has_perm("accounts.view_importrecord"):
        return None
    failed = selectors.failed_imports_for_staff(user=request.user, now=timezone.now())
    records = list(failed[:STAFF_FAILED_IMPORTS])
    if not records:
        return None
    return {
        "order": 5,
        "template": "accounts/failed_imports_block.html",
        "records": records,
        "count": failed.count() if len(records) == STAFF_FAILED_IMPORTS else len(records),
        "days": selectors.FAILED_IMPORTS_DAYS,
    }
