"""Pages at urlpatterns; API routes at api_urlpatterns, mounted under /api/v1/."""

from django.urls import path

from subsidies import api, views

app_name = "subsidies"

urlpatterns = [
    path("me/awards/", views.my_awards, name="my-awards"),
    path("me/awards/<int:pk>/", views.award_detail, name="award"),
    path("me/awards/<int:pk>/confirm/", views.award_confirm, name="award-confirm"),
    path("me/awards/<int:pk>/decline/", views.award_decline, name="award-decline"),
    path("resident/awards/<int:pk>/", views.resident_award, name="resident-award"),
    path("resident/awards/<int:pk>/confirm/", views.resident_award_confirm, name="resident-award-confirm"),
    path("resident/awards/<int:pk>/decline/", views.resident_award_decline, name="resident-award-decline"),
    path("calculator/", views.calculator, name="calculator"),
    path("publicity/", views.publicity, name="publicity"),
    path("publicity/<slug:code>/", views.publicity_scheme, name="publicity-scheme"),
]

api_urlpatterns = [
    path("awards/", api.AwardListApi.as_view(), name="award-list"),
    path("awards/<int:pk>/", api.AwardDetailApi.as_view(), name="award-detail"),
    path("awards/<int:pk>/confirm/", api.AwardConfirmApi.as_view(), name="award-confirm"),
    path("awards/<int:pk>/decline/", api.AwardDeclineApi.as_view(), name="award-decline"),
    path("schemes/", api.SchemeListApi.as_view(), name="scheme-list"),
    path("calculator/", api.CalculatorApi.as_view(), name="calculator"),
]
