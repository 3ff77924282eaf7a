from django.urls import path

from kefu.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("answers/", views.answers, name="answers"),
    path("complaints/", views.complaints, name="complaints"),
    path("at-risk/", views.at_risk, name="at_risk"),
]
