import pytest

from portal.content.models import ArticleCategory
from tests.content.factories import ArticleFactory
from tests.policies.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def test_a_policy_page_and_its_interpretation_link_to_each_other(client):
    policy = PolicyFactory(status="published")
    article = ArticleFactory(category=ArticleCategory.INTERPRETATION, title="一图读懂研发投入补助")
    article.related_policies.add(policy)

    policy_page = client.get(policy.get_absolute_url()).content.decode()
    article_page = client.get(article.get_absolute_url()).content.decode()

    assert "一图读懂研发投入补助" in policy_page
    assert article.get_absolute_url() in policy_page
    assert f'href="{policy.get_absolute_url()}"' in article_page
