from django import forms
from django.utils.translation import gettext_lazy as _

from portal.content import services
from portal.content.models import Article
from portal.content.services import HANDOFF_MAX_CHARS, HANDOFF_MIN_CHARS


class FaqAskForm(forms.Form):
    """An enterprise's question that the FAQ did not answer, for the service desk."""

    text = forms.CharField(
        label=_("您的问题"),
        min_length=HANDOFF_MIN_CHARS,
        max_length=HANDOFF_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    faq = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ArticleAdminForm(forms.ModelForm):
    """The admin's article form: a new cover is checked here so that a bad file is a field error."""

    class Meta:
        model = Article
        fields = (
            "category",
            "title",
            "slug",
            "summary",
            "body",
            "cover",
            "author",
            "status",
            "publish_at",
            "related_policies",
        )
        widgets = {
            "title": forms.TextInput(attrs={"size": 80}),
            "summary": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def clean_cover(self):
        cover = self.cleaned_data.get("cover")
        if cover and "cover" in self.changed_data and hasattr(cover, "content_type"):
            try:
                services.cover_prepare(upload=cover)
            except services.ContentError as exc:
                raise forms.ValidationError(str(exc)) from None
        return cover


class IndicatorImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV 文件"), help_text=_("列：期间、指标、数值、单位、同比增长(%)、来源、排序")
    )
    dry_run = forms.BooleanField(label=_("只校验，不写入"), required=False)
