"""The subsidy schemes of a policy, as a section of the policy's page (registered with the catalogue)."""

from subsidies import selectors


def policy_schemes(request, policy) -> dict | None:
    """A policy's schemes, and for a logged-in enterprise its own awards under them; None without schemes."""
    schemes = list(selectors.schemes_of_policy(policy=policy))
    if not schemes:
        return None
    awards = {}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_enterprise_user:
        for award in selectors.awards_for_enterprise(enterprise_id=user.enterprise_id).filter(
            scheme__in=schemes
        ):
            awards.setdefault(award.scheme_id, award)
    for scheme in schemes:
        scheme.my_award = awards.get(scheme.pk)
    return {"order": 20, "template": "subsidies/policy_schemes.html", "schemes": schemes}
