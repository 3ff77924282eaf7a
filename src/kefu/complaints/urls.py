from django.urls import path

from kefu.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaints, name="complaints"),
    path("problems/", views.problems, name="problems"),
    path("problems/<int:problem_id>/", views.problem, name="problem"),
    path("problems/<int:problem_id>/edit/", views.edit_problem, name="edit_problem"),
    path("problems/<int:problem_id>/link/", views.link_ticket, name="link_ticket"),
    path("problems/<int:problem_id>/close/", views.close_problem, name="close_problem"),
    path("tickets/<str:ref>/classify/", views.classify, name="classify"),
    path("tickets/<str:ref>/apology/", views.apology, name="apology"),
    path("tickets/<str:ref>/compensation/", views.compensation, name="compensation"),
    path("tickets/<str:ref>/escalate/", views.escalate, name="escalate"),
]
