"""Fixtures every test may use: one user per role, and an agent's logged-in client."""

import pytest
from huey.contrib.djhuey import HUEY

from tests.factories import make_user

# Tasks run in the calling process, on in-memory storage, without a worker.
HUEY.immediate = True


@pytest.fixture
def agent(db):
    return make_user("agent")


@pytest.fixture
def supervisor(db):
    return make_user("supervisor")


@pytest.fixture
def technician(db):
    return make_user("technician")


@pytest.fixture
def manager(db):
    return make_user("manager")


@pytest.fixture
def administrator(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """A staff user with no role at all: sees nothing of the archive."""
    return make_user(None, username="outsider")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client
