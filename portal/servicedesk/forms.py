from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Department, User
from portal.attachments import validate_attachment
from portal.enterprises.models import Enterprise
from portal.limits import DESCRIPTION_MAX, NOTE_MAX
from portal.servicedesk.models import MAX_ATTACHMENTS, Category, Channel, Visit
from portal.servicedesk.services import ATTACHMENT_KINDS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several uploaded files, each a PDF, DOCX, XLSX, JPEG or PNG by content and within the size limit."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.jpg,.jpeg,.png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(_("附件最多 %(n)d 个。") % {"n": MAX_ATTACHMENTS})
        errors = []
        for file in files:
            try:
                validate_attachment(file, kinds=ATTACHMENT_KINDS)
            except ValidationError as exc:
                errors.extend(f"{file.name}：{m}" for m in exc.messages)
        if errors:
            raise ValidationError(errors)
        return files


class CategoryField(forms.ChoiceField):
    """诉求类别, starting empty: the person raising the problem picks one (the first would be a guess)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("诉求类别"))
        kwargs.setdefault("choices", [("", _("请选择诉求类别")), *Category.choices])
        kwargs.setdefault("error_messages", {"required": _("请选择诉求类别。")})
        super().__init__(**kwargs)


ATTACHMENTS_HELP = _("可选，最多 5 个，限 PDF、DOCX、XLSX 文件或 JPEG、PNG 照片。")


class ProblemForm(forms.Form):
    """An enterprise raises a problem on the portal."""

    category = CategoryField()
    title = forms.CharField(label=_("诉求标题"), max_length=200)
    description = forms.CharField(
        label=_("诉求内容"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("请写明遇到的问题、已做的努力和希望得到的帮助。"),
    )
    attachments = MultipleFileField(label=_("附件"), help_text=ATTACHMENTS_HELP)


class RateForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("对答复是否满意"),
        choices=[("1", _("满意")), ("0", _("不满意"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("评价意见"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不满意时请说明原因，诉求将退回原承办部门重新办理。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("satisfied") is False and not data.get("comment", "").strip():
            self.add_error("comment", _("请说明不满意的原因，以便承办部门重新办理。"))
        return data


class CallbackForm(RateForm):
    """The coordinating bureau records the rating an enterprise gave in a call-back (回访)."""

    satisfied = forms.TypedChoiceField(
        label=_("企业对答复是否满意"),
        choices=[("1", _("满意")), ("0", _("不满意"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("回访情况"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("记录回访对象、方式和企业意见；不满意的诉求退回原承办部门重新办理。"),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), required=False, max_length=500)


class StaffProblemForm(forms.Form):
    """Staff record a problem heard on a visit or on the hotline."""

    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.all())
    channel = forms.ChoiceField(
        label=_("来源渠道"), choices=[(c.value, c.label) for c in (Channel.VISIT, Channel.HOTLINE)]
    )
    visit = forms.ModelChoiceField(
        label=_("走访记录"),
        queryset=Visit.objects.all(),
        required=False,
        help_text=_("走访收集的诉求须关联走访记录。"),
    )
    category = CategoryField()
    title = forms.CharField(label=_("诉求标题"), max_length=200)
    description = forms.CharField(
        label=_("诉求内容"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachments = MultipleFileField(label=_("附件"), help_text=ATTACHMENTS_HELP)


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(label=_("承办部门"), queryset=Department.objects.order_by("id"))
    handler = forms.ModelChoiceField(
        label=_("经办人"),
        queryset=User.objects.filter(is_staff=True, is_active=True, department__isnull=False),
        required=False,
        help_text=_("可选，须为承办部门的工作人员。"),
    )
    note = forms.CharField(
        label=_("交办意见"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(label=_("转至部门"), queryset=Department.objects.order_by("id"))
    handler = forms.ModelChoiceField(
        label=_("经办人"),
        queryset=User.objects.filter(is_staff=True, is_active=True, department__isnull=False),
        required=False,
        help_text=_("可选，须为转至部门的工作人员。"),
    )
    reason = forms.CharField(
        label=_("转办理由"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("反馈内容"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = MultipleFileField(label=_("附件"), help_text=ATTACHMENTS_HELP)
