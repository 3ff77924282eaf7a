"""The customer's survey page (no login: the signed link is the key), mounted at /s/."""

from django.urls import path

from kefu.feedback import views_public

app_name = "survey"
urlpatterns = [
    path("<str:token>/", views_public.survey_page, name="page"),
]
