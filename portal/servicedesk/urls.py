"""Pages at urlpatterns; API routes at api_urlpatterns, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from portal.servicedesk import api, views

app_name = "servicedesk"

urlpatterns = [
    path("me/problems/", views.problem_list, name="problem_list"),
    path("me/problems/new/", views.problem_new, name="problem_new"),
    path("me/problems/<int:pk>/", views.problem_detail, name="problem_detail"),
    path("me/problems/<int:pk>/rate/", views.problem_rate, name="problem_rate"),
    path("me/problems/<int:pk>/withdraw/", views.problem_withdraw, name="problem_withdraw"),
    path("servicedesk/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]

router = SimpleRouter()
router.register("problems", api.ProblemViewSet, basename="problem")
api_urlpatterns = router.urls
