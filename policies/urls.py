"""Pages at urlpatterns; API routes at api_urlpatterns, mounted under /api/v1/."""

from django.urls import path

from policies import api, views

app_name = "policies"

urlpatterns = [
    path("policies/", views.policy_list, name="list"),
    path("policies/subscriptions/", views.subscriptions, name="subscriptions"),
    path("policies/<slug:code>/", views.policy_detail, name="detail"),
    path("policies/<slug:code>/print/", views.policy_print, name="print"),
    path("policies/<slug:code>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]

api_urlpatterns = [
    path("policies/", api.PolicyListApi.as_view(), name="policy-list"),
    path("policies/<slug:code>/", api.PolicyDetailApi.as_view(), name="policy-detail"),
    path("policies/<slug:code>/publish/", api.PolicyPublishApi.as_view(), name="policy-publish"),
    path("policies/<slug:code>/repeal/", api.PolicyRepealApi.as_view(), name="policy-repeal"),
]
