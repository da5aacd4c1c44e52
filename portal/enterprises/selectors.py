"""Reads of the enterprise registry."""

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from portal.enterprises.models import AnnualReport, Enterprise, Qualification


def enterprise_profile(*, enterprise: Enterprise) -> Enterprise:
    """The enterprise with its annual reports and qualifications, in two queries (the one a user is linked
    to, say, as ``user.enterprise`` gives it, so the page's other mentions of it read no more)."""
    prefetch_related_objects(
        [enterprise],
        Prefetch("annual_reports", queryset=AnnualReport.objects.order_by("-year")),
        Prefetch("qualifications", queryset=Qualification.objects.order_by("code", "-year_awarded")),
    )
    return enterprise


def enterprise_by_uscc(*, uscc: str) -> Enterprise | None:
    return Enterprise.objects.filter(uscc=uscc.strip().upper()).first()


def enterprises_registered(*, until=None) -> QuerySet[Enterprise]:
    """Enterprises in the registry (registered on or before ``until`` when given)."""
    qs = Enterprise.objects.all()
    if until is not None:
        qs = qs.exclude(registered_on__gt=until)
    return qs
