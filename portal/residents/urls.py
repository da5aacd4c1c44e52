from django.urls import path

from portal.residents import views

app_name = "residents"

urlpatterns = [
    path("resident/", views.home, name="home"),
    path("resident/privacy/", views.privacy, name="privacy"),
    path("resident/my-data/", views.my_data, name="my_data"),
    path("resident/login/", views.login_mobile, name="login"),
    path("resident/login/code/", views.login_code, name="login_code"),
    path("resident/login/identity/", views.login_identity, name="login_identity"),
]
