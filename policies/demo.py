"""The demo catalogue (``manage.py load_demo``): categories, about 30 zone policies, one subscription.

Loaded through the same import service as ``manage.py import_policies``, so a second run changes nothing.
"""

import json

from django.db import transaction

from policies import services
from policies.demo_data import CATEGORIES, POLICIES, REPEALED, SUPERSEDED
from policies.models import Category, Policy, PolicyStatus
from portal.accounts.models import User
from portal.enterprises.models import make_uscc

# The demo owner of enterprise 1 follows these categories; the draft policy is in them, so publishing it in
# admin shows the subscription flow (inbox message and email).
DEMO_SUBSCRIPTIONS = ("科技创新", "产业发展")


def load(out) -> list[tuple[str, str]]:
    """Categories, policies with their guides, supersessions and a repeal, and a demo subscription."""
    # The subscription comes after the catalogue, so the demo inbox starts empty: only policies published
    # later (the draft, published in admin) are announced to the demo owner.
    with transaction.atomic():
        _load_catalogue()
    with transaction.atomic():
        _subscribe_demo_owner()
    counts = {s: Policy.objects.filter(status=s).count() for s in PolicyStatus.values}
    out.write(
        f"政策类别 {Category.objects.count()} 个，政策 {sum(counts.values())} 项"
        f"（现行 {counts['published']}，失效 {counts['expired']}，废止 {counts['repealed']}，"
        f"草稿 {counts['draft']}）"
    )
    return []


def _load_catalogue() -> None:
    for order, (slug, name) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(slug=slug, defaults={"name": name, "order": order})
    report = services.policies_import(data=json.dumps(POLICIES, ensure_ascii=False).encode())
    if not report.ok:
        raise RuntimeError("演示政策数据有误：" + "；".join(str(e) for e in report.errors))
    for old_code, new_code in SUPERSEDED.items():
        old = Policy.objects.get(code=old_code)
        new = Policy.objects.get(code=new_code)
        if old.superseded_by_id != new.pk:
            old.superseded_by = new
            services.policy_save(policy=old)
    for code, reason in REPEALED.items():
        policy = Policy.objects.get(code=code)
        if policy.status != PolicyStatus.REPEALED:
            services.policy_repeal(policy=policy, reason=reason)


def _subscribe_demo_owner() -> None:
    owner = User.objects.filter(username=make_uscc(1)).first()
    if owner is not None:
        services.subscriptions_set(
            user=owner, categories=Category.objects.filter(name__in=DEMO_SUBSCRIPTIONS)
        )
