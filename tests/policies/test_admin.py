"""Admin: edit, preview, publish and repeal actions through the services, attachments checked."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from policies.models import Attachment, Policy, PolicyStatus
from tests.policies.factories import CategoryFactory, PolicyFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:policies_policy_changelist")


def _form_data(policy: Policy, **changes) -> dict:
    data = {
        "code": policy.code,
        "title": policy.title,
        "doc_number": policy.doc_number,
        "department": policy.department_id,
        "categories": [c.pk for c in policy.categories.all()],
        "tags": "[]",
        "published_on": policy.published_on.isoformat() if policy.published_on else "",
        "effective_from": policy.effective_from.isoformat() if policy.effective_from else "",
        "effective_to": "",
        "superseded_by": "",
        "summary": policy.summary,
        "body": policy.body,
        "guide_beneficiaries": policy.guide_beneficiaries,
        "guide_conditions": policy.guide_conditions,
        "guide_how": policy.guide_how,
        "guide_deadline": policy.guide_deadline,
        "guide_office": policy.guide_office,
        "guide_phone": policy.guide_phone,
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_the_changelist_and_change_form_render_with_a_preview_link(admin_client):
    policy = PolicyFactory(categories=[CategoryFactory()])

    assert admin_client.get(CHANGELIST, {"q": policy.title, "status": "draft"}).status_code == 200
    page = admin_client.get(reverse("admin:policies_policy_change", args=[policy.pk])).content.decode()
    assert f'href="{policy.get_absolute_url()}"' in page
    assert "预览政策页面" in page


def test_saving_in_admin_goes_through_the_service_and_refreshes_the_search_tokens(admin_client):
    policy = PolicyFactory()

    response = admin_client.post(
        reverse("admin:policies_policy_change", args=[policy.pk]), _form_data(policy, title="契税补贴办法")
    )

    assert response.status_code == 302
    assert Policy.objects.get(pk=policy.pk).search_title == "契税 补贴 办法"


def test_admin_refuses_to_empty_the_guide_of_a_published_policy(admin_client):
    policy = PolicyFactory(status="published")

    response = admin_client.post(
        reverse("admin:policies_policy_change", args=[policy.pk]), _form_data(policy, guide_phone="")
    )

    assert response.status_code == 200
    assert "已发布的政策须有完整的申兑指南，缺少：咨询电话。" in response.content.decode()
    assert Policy.objects.get(pk=policy.pk).guide_phone == policy.guide_phone


def test_an_executable_uploaded_as_an_attachment_in_admin_is_refused(admin_client):
    policy = PolicyFactory()
    data = _form_data(policy)
    data["attachments-0-file"] = SimpleUploadedFile("表.pdf", b"MZ\x90\x00" + b"\x00" * 100)

    response = admin_client.post(reverse("admin:policies_policy_change", args=[policy.pk]), data)

    assert response.status_code == 200
    assert "只接受 PDF、DOCX、XLSX 格式的附件" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_a_pdf_uploaded_in_admin_is_attached_through_the_service(admin_client):
    policy = PolicyFactory()
    data = _form_data(policy)
    data["attachments-0-file"] = SimpleUploadedFile("申报表.pdf", b"%PDF-1.4 test")

    response = admin_client.post(reverse("admin:policies_policy_change", args=[policy.pk]), data)

    assert response.status_code == 302
    assert list(Attachment.objects.values_list("name", "kind")) == [("申报表.pdf", "pdf")]


def test_the_publish_action_publishes_complete_drafts_and_names_what_the_others_miss(admin_client):
    ready = PolicyFactory()
    lacking = PolicyFactory(title="缺指南的政策", guide_office="")

    response = admin_client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [ready.pk, lacking.pk]}, follow=True
    )

    page = response.content.decode()
    assert "已发布 1 项政策。" in page
    assert "《缺指南的政策》的申兑指南不完整，不能发布。缺少：受理地址。" in page
    assert Policy.objects.get(pk=ready.pk).status == PolicyStatus.PUBLISHED
    assert Policy.objects.get(pk=lacking.pk).status == PolicyStatus.DRAFT


def test_the_repeal_action_asks_for_a_reason_then_repeals(admin_client):
    policy = PolicyFactory(status="published")
    selected = {"action": "repeal_selected", "_selected_action": [policy.pk]}

    asked = admin_client.post(CHANGELIST, selected)
    assert asked.status_code == 200
    assert "废止原因" in asked.content.decode()
    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.PUBLISHED

    done = admin_client.post(CHANGELIST, {**selected, "apply": "1", "reason": "已被新政策替代"}, follow=True)

    assert "已废止 1 项政策。" in done.content.decode()
    policy.refresh_from_db()
    assert (policy.status, policy.repeal_reason) == (PolicyStatus.REPEALED, "已被新政策替代")


def test_subscriptions_are_listed_but_not_edited_in_admin(admin_client):
    assert admin_client.get(reverse("admin:policies_subscription_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:policies_subscription_add")).status_code == 403
