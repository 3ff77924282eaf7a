"""The customer's pages, without login (a signed link, the public request form), and the staff's
door to a stored file. Mounted at /t/."""

from django.urls import path

from kefu.tickets import views_portal as views

app_name = "portal"
urlpatterns = [
    path("request/", views.request_form, name="request"),
    path("files/<int:attachment_id>/", views.staff_file, name="staff_file"),
    path("<str:token>/", views.ticket_page, name="ticket"),
    path("<str:token>/reply/", views.reply, name="reply"),
    path("<str:token>/urge/", views.urge, name="urge"),
    path("<str:token>/files/<int:attachment_id>/", views.public_file, name="file"),
]
