"""The staff admin and the sign-in lockout in the reader's language: the lockout records (django-axes,
translated in src/kefu/locale_vendor) with their times in Asia/Shanghai, permission names in the
permission pickers, and the lock page's words and minutes."""

import datetime

import polib
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.admin_pages import admin_url
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

VENDOR_CATALOGUE = settings.BASE_DIR / "locale_vendor" / "zh_Hans" / "LC_MESSAGES"
# 02:05 UTC is 10:05 in Asia/Shanghai.
ATTEMPTED_AT = datetime.datetime(2026, 3, 9, 2, 5, tzinfo=datetime.UTC)
LOCAL_TIME = "2026年3月9日 10:05"


@pytest.fixture
def zh_admin(client, administrator):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(administrator)
    return client


def record(model, **fields):
    common = {
        "username": "agent",
        "ip_address": "203.0.113.10",
        "user_agent": "Firefox",
        "path_info": "/login/",
    }
    obj = model.objects.create(**common, **fields)
    model.objects.filter(pk=obj.pk).update(attempt_time=ATTEMPTED_AT)  # auto_now_add stamps now
    return obj


@pytest.fixture
def attempt(db):
    return record(AccessAttempt, get_data="", post_data="", failures_since_start=2)


# --- The lockout records ---------------------------------------------------------------------


def test_the_vendor_catalogue_is_translated_and_compiled():
    po = polib.pofile(str(VENDOR_CATALOGUE / "django.po"))
    mo = polib.mofile(str(VENDOR_CATALOGUE / "django.mo"))
    assert po.untranslated_entries() == []
    assert {e.msgid: e.msgstr for e in mo} == {e.msgid: e.msgstr for e in po}, "run `make messages`"


def test_the_attempts_list_reads_in_chinese_with_local_times(zh_admin, attempt):
    html = zh_admin.get(admin_url(AccessAttempt, "changelist")).content.decode()

    for chinese in (
        "登录锁定",
        "登录尝试",
        "尝试时间",
        "IP 地址",
        "失败次数",
        "状态",
        "3 次机会剩余",
        LOCAL_TIME,
    ):
        assert chinese in html
    for english in (
        "Axes",
        "Access attempts",
        "Attempt Time",
        "IP Address",
        "Failed Logins",
        "Attempt Remaining",
    ):
        assert english not in html
    assert "02:05" not in html


def test_an_attempt_is_named_by_who_when_in_local_time_and_where(zh_admin, attempt):
    title = f"agent，{LOCAL_TIME}，来自 203.0.113.10"
    pages = {
        "change": zh_admin.get(admin_url(AccessAttempt, "change", attempt.pk)),
        "history": zh_admin.get(admin_url(AccessAttempt, "history", attempt.pk)),
        "delete": zh_admin.get(admin_url(AccessAttempt, "delete", attempt.pk)),
    }
    for view, page in pages.items():
        html = page.content.decode()
        assert page.status_code == 200, view
        assert title in html, view
        assert "Attempted Access" not in html, view
        assert "+00:00" not in html, view
    change = pages["change"].content.decode()
    for chinese in ("表单数据", "请求信息", "浏览器标识", "登录尝试过期时间"):
        assert chinese in change
    for english in ("Form Data", "Meta Data", "User Agent", "Expiration"):
        assert english not in change


def test_deleting_an_attempt_from_its_page_still_deletes_it(zh_admin, attempt):
    response = zh_admin.post(admin_url(AccessAttempt, "delete", attempt.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("model", "fields", "chinese", "english"),
    [
        (AccessLog, {}, ("登录记录", "退出时间"), ("Access logs", "Logout Time", "Access Log for")),
        (
            AccessFailureLog,
            {"locked_out": True},
            ("登录失败记录", "已锁定"),
            ("Access failures", "Failed access"),
        ),
    ],
)
def test_the_logs_read_in_chinese_with_local_times(zh_admin, model, fields, chinese, english):
    obj = record(model, **fields)
    listing = zh_admin.get(admin_url(model, "changelist")).content.decode()
    change = zh_admin.get(admin_url(model, "change", obj.pk)).content.decode()
    for word in chinese:
        assert word in listing
    for html in (listing, change):
        assert LOCAL_TIME in html
        assert f"agent，{LOCAL_TIME}，来自 203.0.113.10" in html
        for word in english:
            assert word not in html


def test_english_readers_get_axes_words_and_still_local_times(client, administrator):
    client.force_login(administrator)  # before the attempt: a sign-in clears attempts (AXES_RESET_ON_SUCCESS)
    attempt = record(AccessAttempt, get_data="", post_data="", failures_since_start=2)
    html = client.get(
        admin_url(AccessAttempt, "change", attempt.pk), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "agent, March 9, 2026, 10:05 a.m., from 203.0.113.10" in html
    assert "Form Data" in html


# --- Permission names -------------------------------------------------------------------------


def test_the_permission_pickers_show_permissions_in_the_readers_language(zh_admin, agent):
    group = Group.objects.get(name="agent")
    for url in (admin_url(type(agent), "change", agent.pk), admin_url(Group, "change", group.pk)):
        html = zh_admin.get(url).content.decode()
        assert "客户档案 | 客户 | 可以添加客户" in html
        assert "可将重复的客户档案合并到另一份档案" in html  # declared in Customer.Meta.permissions
        assert "Can add customer" not in html
        assert "Can merge a duplicate customer record" not in html


# --- The page shown during a lock ------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    moment = {"now": timezone.now()}
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment["now"])
    monkeypatch.setattr("axes.handlers.proxy.now", lambda: moment["now"])
    return moment


@pytest.fixture
def lockout_settings():
    with override_settings(
        AXES_FAILURE_LIMIT=3,
        LOGIN_ADDRESS_FAILURE_LIMIT=5,
        AXES_COOLOFF_TIME=0.25,
        TRUSTED_PROXY_COUNT=0,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


def sign_in(username, password, language="zh-hans"):
    return Client().post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR="203.0.113.10",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_the_lock_page_blames_the_username_and_says_the_minutes_left(lockout_settings, agent, clock):
    for _attempt in range(3):
        locked = sign_in("agent", "wrong")
    assert locked.status_code == 429
    assert "15 分钟后再试" in locked.content.decode()
    assert "为此用户名输错密码" in locked.content.decode()
    assert "PT15M" not in locked.content.decode()

    clock["now"] += datetime.timedelta(minutes=10)
    later = sign_in("agent", PASSWORD, language="en")
    assert later.status_code == 429
    assert "Try again in 5 minutes." in later.content.decode()
    assert "for this username" in later.content.decode()


def test_the_lock_page_blames_the_address_when_the_address_is_locked(lockout_settings, agent, clock):
    for number in range(5):
        sign_in(f"guess{number}", "wrong")
    locked = sign_in("agent", PASSWORD)
    assert locked.status_code == 429
    assert "从您的网络地址输错密码的次数过多" in locked.content.decode()
    assert "15 分钟后再试" in locked.content.decode()
