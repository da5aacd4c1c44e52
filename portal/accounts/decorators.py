"""Guards of the staff pages outside the admin."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def staff_permission_required(perm: str):
    """A staff page for the holders of ``perm``: anonymous visitors go to the site's login, anyone else
    without it gets the site's 403 page (in Chinese, in the site frame), never the admin's login form."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_active and user.is_staff and user.has_perm(perm)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
