from django.urls import path

from kefu.promises import views

app_name = "promises"

urlpatterns = [
    path("figures/", views.figures, name="figures"),
]
