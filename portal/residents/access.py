"""Who the resident of a request is: ``current_person`` and the decorators for residents' own pages.

A resident session is a Django login linked to a ``Person`` (``Person.user``), made by the provincial
identity login or the SMS code login; every resident page asks this module, never the session itself.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.residents.models import Person

_CACHE = "_portal_current_person"


def current_person(request) -> Person | None:
    """The resident logged in on this request, or None (anonymous, an enterprise user or staff)."""
    if not hasattr(request, _CACHE):
        user = getattr(request, "user", None)
        person = None
        if user is not None and user.is_authenticated:
            person = Person.objects.filter(user=user).first()
        setattr(request, _CACHE, person)
    return getattr(request, _CACHE)


def resident_required(view):
    """A page for the logged-in resident only: others go to the resident login, or see why not."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        person = current_person(request)
        if person is None:
            if request.user.is_authenticated:
                return render(
                    request,
                    "residents/not_resident.html",
                    status=403,
                )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('residents:login')}?{query}")
        request.person = person
        return view(request, *args, **kwargs)

    return wrapper


def privacy_accepted_required(view):
    """A resident page that confirms something: the privacy notice must have been accepted first."""

    @resident_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.person.privacy_accepted_at is None:
            messages.info(request, _("请先阅读并同意《个人信息处理告知书》，再继续办理。"))
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('residents:privacy')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper
