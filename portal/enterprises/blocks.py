from portal.enterprises import selectors


def dashboard(request):
    """The enterprise's own profile and facts (一企一档) on /me/."""
    enterprise_id = request.user.enterprise_id
    if enterprise_id is None:
        return None
    return {
        "order": 10,
        "template": "enterprises/profile_block.html",
        "enterprise": selectors.enterprise_profile(enterprise_id=enterprise_id),
    }
