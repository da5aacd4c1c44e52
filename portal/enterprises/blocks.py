from portal.enterprises import selectors


def dashboard(request):
    """The enterprise's own profile and facts (一企一档) on /me/."""
    if request.user.enterprise_id is None:
        return None
    return {
        "order": 10,
        "template": "enterprises/profile_block.html",
        "enterprise": selectors.enterprise_profile(enterprise=request.user.enterprise),
    }
