"""The bell and the notification page: counts, marking read with and without htmx, escaping."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.notifications import services
from kefu.notifications.models import Notification
from tests.factories import make_user
from tests.notifications.conftest import CONTEXT

pytestmark = pytest.mark.django_db
LIST = "/notifications/"


def notify(kind, user, count=1, link="/customers/"):
    for _ in range(count):
        services.notify(kind=kind, recipients=[user], context=CONTEXT, link=link)


def test_the_bell_shows_the_unread_count_with_one_count_query(
    kind, agent, agent_client, django_assert_num_queries
):
    agent_client.get("/")
    with CaptureQueriesContext(connection) as without:
        agent_client.get("/")
    notify(kind, agent, 3)

    with django_assert_num_queries(len(without.captured_queries)) as counted:
        page = agent_client.get("/").content.decode()

    assert 'class="kf-bell-count" aria-hidden="true">3</span>' in page
    counts = [q["sql"] for q in counted.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT(" in counts[0].upper()


def test_the_bell_shows_99_plus_beyond_99(kind, agent, agent_client):
    Notification.objects.bulk_create(Notification(recipient=agent, kind=kind, title="x") for _ in range(120))

    assert ">99+</span>" in agent_client.get(LIST).content.decode()


def test_no_bell_and_no_query_for_someone_not_signed_in(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = client.get(reverse("accounts:login")).content.decode()
    assert "kf-bell" not in page


def test_the_page_lists_ones_own_escaped_newest_first(kind, agent, agent_client):
    other = make_user("agent", username="other")
    notify(kind, agent, 2)
    services.notify(kind=kind, recipients=[other], context={**CONTEXT, "number": "OTHER-ONE"})

    page = agent_client.get(LIST).content.decode()

    assert page.count('class="kf-notification is-unread"') == 2
    assert "&lt;b&gt;空调&lt;/b&gt; &amp; 外机" in page
    assert "<b>空调</b>" not in page
    assert "OTHER-ONE" not in page


def test_the_page_pages_by_cursor_in_the_same_queries(kind, agent, agent_client, django_assert_num_queries):
    notify(kind, agent, 35)
    agent_client.get(LIST)
    with CaptureQueriesContext(connection) as first_page:
        first = agent_client.get(LIST)
    cursor = first.context["next_cursor"]

    with django_assert_num_queries(len(first_page.captured_queries)):
        second = agent_client.get(LIST, {"cursor": cursor})

    assert len(first.context["notifications"]) == 30
    assert len(second.context["notifications"]) == 5
    assert agent_client.get(LIST, {"cursor": "forged"}).status_code == 200  # back to the first page


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(kind, agent, agent_client):
    notify(kind, agent, link="/customers/?q=5566")
    mine = Notification.objects.get()

    response = agent_client.post(reverse("notifications:read", args=[mine.pk]), {"next": mine.link})

    assert response.status_code == 302
    assert response["Location"] == "/customers/?q=5566"
    mine.refresh_from_db()
    assert mine.is_read


def test_mark_read_never_redirects_off_the_site(kind, agent, agent_client):
    notify(kind, agent)
    mine = Notification.objects.get()

    response = agent_client.post(
        reverse("notifications:read", args=[mine.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("notifications:list")


def test_with_htmx_mark_read_answers_the_row(kind, agent, agent_client):
    notify(kind, agent)
    mine = Notification.objects.get()

    response = agent_client.post(
        reverse("notifications:read", args=[mine.pk]), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<li class="kf-notification"')
    assert "is-unread" not in html
    assert '<a href="/customers/">' in html


def test_with_htmx_mark_read_also_swaps_the_bell_with_the_new_count(kind, agent, agent_client):
    notify(kind, agent, 2)
    first, second = Notification.objects.order_by("pk")
    htmx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/notifications/"}
    assert 'class="kf-bell-count" aria-hidden="true">2</span>' in agent_client.get(LIST).content.decode()

    html = agent_client.post(reverse("notifications:read", args=[first.pk]), headers=htmx).content.decode()

    bell = html[html.index('<a class="kf-bell"') :]
    assert 'id="kf-bell"' in bell
    assert 'hx-swap-oob="true"' in bell
    assert 'class="kf-bell-count" aria-hidden="true">1</span>' in bell
    assert 'aria-current="page"' in bell  # still on the list's page

    html = agent_client.post(reverse("notifications:read", args=[second.pk]), headers=htmx).content.decode()

    bell = html[html.index('<a class="kf-bell"') :]
    assert 'hx-swap-oob="true"' in bell
    assert "kf-bell-count" not in bell


def test_the_pages_bell_is_not_out_of_band(kind, agent, agent_client):
    notify(kind, agent)

    assert "hx-swap-oob" not in agent_client.get(LIST).content.decode()


def test_anothers_notification_is_a_404_and_stays_unread(kind, agent_client):
    other = make_user("agent", username="other")
    notify(kind, other)
    theirs = Notification.objects.get()

    assert agent_client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_and_the_unread_filter(kind, agent, agent_client):
    notify(kind, agent, 2)

    response = agent_client.post(reverse("notifications:read_all"))

    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert agent_client.get(LIST, {"unread": "1"}).context["notifications"] == []


def test_the_page_works_in_english(kind, agent, agent_client):
    agent_client.post(reverse("set_language"), {"language": "en", "next": LIST})
    html = agent_client.get(LIST).content.decode()
    assert "Mark all read" in html


def test_htmx_asks_for_the_next_page_of_the_list_only(kind, agent, agent_client):
    notify(kind, agent, 35)
    cursor = agent_client.get(LIST).context["next_cursor"]

    response = agent_client.get(
        LIST, {"cursor": cursor}, headers={"HX-Request": "true", "HX-Target": "kf-notification-list"}
    )

    html = response.content.decode()
    assert html.startswith('<div id="kf-notification-list">')
    assert "<html" not in html
    assert html.count('class="kf-notification is-unread"') == 5
