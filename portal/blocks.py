"""Blocks that apps contribute to shared pages: the home page, the enterprise dashboard (/me/), the
resident home (/resident/, where the household subsidies go) and the staff home in admin.

An app that has something to show offers a ``blocks.py`` with ``home(request)``, ``dashboard(request)``,
``resident(request)`` and/or ``staff(request)``; each returns ``None`` or a dict with ``order`` (smaller
first), ``template`` and the template's context. Discovery keeps the shell free of imports from the apps
above it.
"""

import functools
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps

_PROJECT_APPS = ("portal.", "policies", "subsidies", "projects")


def collect(request, page: str) -> list[dict]:
    """Every block the installed apps offer for ``page`` ("home", "dashboard", "resident" or "staff")."""
    blocks = []
    for module in _blocks_modules():
        offer = getattr(module, page, None)
        block = offer(request) if offer else None
        if block:
            blocks.append(block)
    return sorted(blocks, key=lambda b: b.get("order", 100))


@functools.cache
def _blocks_modules() -> tuple:
    """The apps' ``blocks`` modules, found once per process (the installed apps are fixed at start-up)."""
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith(_PROJECT_APPS):
            continue
        module_name = f"{config.name}.blocks"
        if find_spec(module_name) is not None:
            modules.append(import_module(module_name))
    return tuple(modules)


def nav_links() -> list[dict]:
    """The main navigation: each blocks module may offer ``NAV = [(order, label, url_name), …]``."""
    from django.urls import reverse

    entries = []
    for module in _blocks_modules():
        entries.extend(getattr(module, "NAV", []))
    return [{"label": label, "url": reverse(name)} for _, label, name in sorted(entries, key=lambda e: e[0])]
