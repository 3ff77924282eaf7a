"""The permission backend reads a user's permissions in one statement, and the same ones Django's would."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from kefu.accounts.backends import ModelPermissionBackend
from kefu.accounts.models import User

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache


@pytest.fixture
def person():
    user = User.objects.create_user("clerk", password="x")
    group = Group.objects.create(name="clerks")
    group.permissions.add(Permission.objects.get(codename="view_customer"))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return user


def test_own_and_group_permissions_come_in_one_statement(person, django_assert_num_queries):
    user = fresh(person)
    with django_assert_num_queries(1):
        assert user.has_perm("customers.view_customer")
        assert user.has_perm("core.view_auditevent")
        assert not user.has_perm("customers.add_customer")


def test_the_same_permissions_as_djangos_backend(person, agent, technician):
    for user in (person, agent, technician):
        assert ModelPermissionBackend().get_all_permissions(
            fresh(user)
        ) == ModelBackend().get_all_permissions(fresh(user))
        assert ModelPermissionBackend().get_all_permissions(fresh(user))


def test_an_inactive_user_and_an_object_have_none(person):
    user = fresh(person)
    assert ModelPermissionBackend().get_all_permissions(user, obj=object()) == set()
    user.is_active = False
    assert not user.has_perm("customers.view_customer")
    assert ModelPermissionBackend().get_all_permissions(user) == set()


def test_an_active_superuser_has_every_permission():
    boss = User.objects.create_superuser("boss", password="x")
    assert ModelPermissionBackend().get_all_permissions(fresh(boss)) == ModelBackend().get_all_permissions(
        fresh(boss)
    )
