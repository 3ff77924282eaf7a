"""Staff pages of surveys and follow-ups, mounted at /feedback/ (the customer's survey page is
urls_public, at /s/)."""

from django.urls import path

from kefu.feedback import views, views_followups

app_name = "feedback"
urlpatterns = [
    path("recovery/", views.recovery_queue, name="recovery_queue"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey"),
    path("surveys/<int:survey_id>/answer/", views.record_answer, name="record_answer"),
    # Follow-ups (回访): the queue, one follow-up, its outcome (S2).
    path("follow-ups/", views_followups.follow_up_queue, name="follow_ups"),
    path("follow-ups/<int:follow_up_id>/", views_followups.follow_up_detail, name="follow_up"),
    path(
        "follow-ups/<int:follow_up_id>/outcome/",
        views_followups.record_outcome,
        name="record_follow_up_outcome",
    ),
]
