"""Pages at urlpatterns; API routes at api_urlpatterns, mounted under /api/v1/."""

urlpatterns = []
api_urlpatterns = []
