from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "portal.content"
    label = "content"
    verbose_name = _("公开内容")

    def ready(self) -> None:
        # A 政策解读 article links to its policy; the policy page links back through this section.
        from policies.sections import register_policy_section
        from portal import public_cache
        from portal.content.sections import policy_interpretations
        from portal.content.selectors import next_article_publication

        register_policy_section(policy_interpretations)
        # Saving anything a public page or figure shows moves the public cache's generation on.
        public_cache.connect_signals()
        # An article published for later appears on the public pages at its time, not a TTL after.
        public_cache.register_schedule("content.Article", next_article_publication)
        # The news' search index (held in each process) notices a deleted article.
        from portal.content.models import Article
        from portal.search import count_deletions

        count_deletions(Article)
