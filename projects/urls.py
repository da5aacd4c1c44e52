"""Pages at urlpatterns; API routes at api_urlpatterns, mounted under /api/v1/."""

from django.urls import path

from projects import api, views

app_name = "projects"

urlpatterns = [
    path("me/projects/", views.my_projects, name="mine"),
    path("me/projects/<int:pk>/", views.my_project, name="detail"),
    path("staff/dispatch/", views.dispatch, name="dispatch"),
    path("staff/dispatch/xlsx/", views.dispatch_xlsx, name="dispatch_xlsx"),
    path("staff/dispatch/build/", views.dispatch_build_now, name="dispatch_build"),
]
api_urlpatterns = [
    path("projects/", api.ProjectListView.as_view(), name="projects"),
    path("projects/<int:pk>/", api.ProjectDetailView.as_view(), name="project"),
]
