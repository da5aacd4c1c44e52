"""Extra sections of a policy's page that other parts contribute (the subsidy engine: its schemes).

The catalogue cannot import the parts above it, so they register here, usually in ``AppConfig.ready``:
``register_policy_section(fn)`` where ``fn(request, policy)`` returns None or ``{"template": ..., ...}``;
the page includes the template with the dict as ``section``.
"""

from collections.abc import Callable

SectionProvider = Callable[..., dict | None]

_providers: list[SectionProvider] = []


def register_policy_section(provider: SectionProvider) -> SectionProvider:
    """Add a section provider to every policy page (registering the same one twice adds it once)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_policy_section(provider: SectionProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def collect_sections(request, policy) -> list[dict]:
    """The sections the registered providers offer for this policy, in their order."""
    sections = []
    for provider in list(_providers):
        section = provider(request, policy)
        if section:
            sections.append(section)
    return sorted(sections, key=lambda s: s.get("order", 100))
