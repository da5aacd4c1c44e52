"""Factories for the policy catalogue; policies are written through the services, as the portal does."""

import datetime as dt

import factory

from policies import services
from policies.models import Category, HowToGet, Policy, PolicyStatus
from tests.factories import DepartmentFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"类别{n}")
    slug = factory.Sequence(lambda n: f"cat{n}")


class PolicyFactory(factory.django.DjangoModelFactory):
    """A policy with a complete guide; ``status=published`` publishes it through the service."""

    class Meta:
        model = Policy

    code = factory.Sequence(lambda n: f"policy-{n}")
    title = factory.Sequence(lambda n: f"郑州高新区支持企业发展的措施{n}")
    doc_number = factory.Sequence(lambda n: f"郑高管〔2023〕{n}号")
    department = factory.SubFactory(DepartmentFactory)
    published_on = dt.date(2023, 3, 1)
    effective_from = dt.date(2023, 1, 1)
    effective_to = None
    summary = "支持企业发展。"
    body = "**第一条** 为支持企业发展，制定本措施。"
    guide_beneficiaries = "区内企业"
    guide_conditions = "在高新区注册、纳税"
    guide_how = HowToGet.APPLICATION
    guide_deadline = "受理后 30 个工作日内"
    guide_office = "政务服务中心 3 号窗口"
    guide_phone = "0371-67980001"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        categories = kwargs.pop("categories", [])
        status = kwargs.pop("status", PolicyStatus.DRAFT)
        policy = services.policy_save(policy=model_class(*args, **kwargs), categories=categories)
        if status in (PolicyStatus.PUBLISHED, PolicyStatus.EXPIRED, PolicyStatus.REPEALED):
            services.policy_publish(policy=policy)
        if status == PolicyStatus.REPEALED:
            services.policy_repeal(policy=policy, reason="测试废止")
        return policy
