from django.urls import path, register_converter

from kefu.tickets import views

app_name = "tickets"


class TicketRef:
    """A ticket in an address: its id (123) or its number (KF2611240001, any case)."""

    regex = r"[0-9]{1,18}|[Kk][Ff][0-9]{10,11}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value) -> str:
        return str(value)


register_converter(TicketRef, "ticket")

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("<ticket:ref>/", views.detail, name="detail"),
    path("<ticket:ref>/reply/", views.reply, name="reply"),
    path("<ticket:ref>/transfer/", views.transfer, name="transfer"),
    path("<ticket:ref>/claim/", views.claim, name="claim"),
    path("<ticket:ref>/status/", views.status, name="status"),
    path("<ticket:ref>/tags/", views.add_tag, name="tag"),
    path("<ticket:ref>/timeline/", views.timeline_page, name="timeline"),
    path("<ticket:ref>/urge/", views.urge, name="urge"),
    path("<ticket:ref>/edit/", views.edit, name="edit"),
    path("<ticket:ref>/collaborators/", views.add_collaborator, name="collaborate"),
    path("<ticket:ref>/link/", views.link, name="link"),
    path("<ticket:ref>/merge/", views.merge, name="merge"),
    path("<ticket:ref>/unmerge/", views.unmerge, name="unmerge"),
    path("<ticket:ref>/files/<int:pk>/", views.attachment, name="attachment"),
]
