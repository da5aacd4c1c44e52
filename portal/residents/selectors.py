"""Reads of the residents' records for pages, admin, exports and the SMS login."""

from django.db.models import Prefetch, QuerySet

from portal.residents.models import HousePurchase, Person, PersonAccess, PurchaseBuyer


def persons_with_purchases(*, ids: list[int]) -> QuerySet[Person]:
    """People by id with their purchases, in two queries whatever their number."""
    return Person.objects.filter(id__in=ids).prefetch_related(
        Prefetch("purchases", queryset=HousePurchase.objects.order_by("contract_date", "id"))
    )


def person_for_subject(*, pk: int) -> Person:
    """One person with everything the portal holds about them: purchases, co-buyers, the access log."""
    return Person.objects.prefetch_related(
        Prefetch(
            "purchases",
            queryset=HousePurchase.objects.order_by("contract_date", "id").prefetch_related(
                Prefetch("buyer_links", queryset=PurchaseBuyer.objects.select_related("person"))
            ),
        ),
        Prefetch("accesses", queryset=PersonAccess.objects.order_by("at", "id")),
    ).get(pk=pk)


def persons_by_mobile_hash(*, mobile_hash: str) -> QuerySet[Person]:
    """The buyers on purchase records whose mobile number has this keyed hash."""
    return (
        Person.objects.filter(mobile_hash=mobile_hash, purchase_links__isnull=False).distinct().order_by("id")
    )


def purchase_buyers(*, purchase: HousePurchase) -> QuerySet[PurchaseBuyer]:
    """A purchase's household, 主购房人 first."""
    return PurchaseBuyer.objects.filter(purchase=purchase).select_related("person").order_by("position")


def purchases_of(*, person: Person) -> QuerySet[HousePurchase]:
    """A resident's own purchases with their households, in two queries whatever their number."""
    return (
        HousePurchase.objects.filter(buyer_links__person=person)
        .prefetch_related(
            Prefetch(
                "buyer_links", queryset=PurchaseBuyer.objects.select_related("person").order_by("position")
            )
        )
        .order_by("-contract_date", "-id")
    )
