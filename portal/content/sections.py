"""What the public content adds to other parts' pages (the policy page's 政策解读 list)."""

from portal.content import selectors


def policy_interpretations(request, policy):
    """The published 政策解读 articles about ``policy``, as a section of the policy's page."""
    articles = selectors.interpretations_for_policy(policy=policy)
    if not articles:
        return None
    return {"template": "content/policy_interpretations_section.html", "articles": articles, "policy": policy}
