from portal import public_cache
from portal.enterprises import selectors


def dashboard(request):
    """The enterprise's own profile and facts (一企一档) on /me/.

    Kept rendered for the enterprise and the language under the public generation, which its record, its
    annual reports and its qualifications move on when saved or imported: reading and rendering them took
    1.5 ms of every /me/.
    """
    enterprise_id = request.user.enterprise_id
    if enterprise_id is None:
        return None
    html = public_cache.remember_rendered(
        f"enterprise:profile:{enterprise_id}",
        "enterprises/profile_block.html",
        lambda: {"block": {"enterprise": selectors.enterprise_profile(enterprise=request.user.enterprise)}},
    )
    return {"order": 10, "template": "_kept_block.html", "html": html}
