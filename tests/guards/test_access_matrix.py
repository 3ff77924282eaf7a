"""The role × operation matrix: every operation of the API, as each role, as a user without a
role, as a superuser, with no token and with a bad token, answers as its app's table says
(tests/guards/matrix.py). A new operation fails here until its app declares who may call it."""

import json

import pytest
from django.test import Client

from kefu.api import api
from tests.guards.matrix import CALLERS, Op, World, build_world, declared_tables

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema(path_prefix="/api/v1/")
OPERATIONS = {
    operation["operationId"]: (method.upper(), path)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
}


def all_declared() -> dict[str, Op]:
    declared: dict[str, Op] = {}
    for table in declared_tables().values():
        declared.update(table)
    return declared


DECLARED = all_declared()


def send(client: Client, operation_id: str, call, token: str | None):
    method, path = OPERATIONS[operation_id]
    url = path.format(**call.path)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    form = getattr(call, "form", None)
    if form:  # a multipart body (files): tests/tickets/access_portal.py's FormCall
        return client.post(url, form, headers=headers)
    if method == "GET":
        return client.get(url, call.query, headers=headers)
    body = json.dumps(call.body) if call.body is not None else ""
    return client.generic(method, url, body, content_type="application/json", headers=headers)


def describe(response) -> str:
    try:
        return f"{response.status_code} {response.json().get('code', '')}".strip()
    except ValueError:
        return str(response.status_code)


@pytest.fixture
def world(db, settings) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # ten users a test
    return build_world()


def test_every_operation_is_declared_in_its_apps_table_and_nothing_else_is():
    tables = declared_tables()
    names = [name for table in tables.values() for name in table]

    assert sorted(set(OPERATIONS) - set(DECLARED)) == [], "declare these in tests/<app>/access.py"
    assert sorted(set(DECLARED) - set(OPERATIONS)) == [], "these rows name no operation"
    assert len(names) == len(set(names)), "an operation is declared twice"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_each_caller_gets_what_the_table_promises(operation_id, world):
    op = DECLARED.get(operation_id)
    if op is None:
        pytest.fail(f"{operation_id} is in no table: declare it in tests/<app>/access.py", pytrace=False)
    client = Client()
    differences = []
    for caller in CALLERS:
        user = world.users[caller]
        response = send(client, operation_id, op.call(world, user), world.tokens[caller])
        if op.allows(caller):
            succeeds = getattr(op, "succeeds_with", range(200, 300))  # a redirect, for some
            if response.status_code not in succeeds:
                differences.append(f"{caller}: may, but got {describe(response)}")
        elif response.status_code != op.refused_with:
            differences.append(
                f"{caller}: may not (expected {op.refused_with}), but got {describe(response)}"
            )
    someone = world.users[CALLERS[0]]
    for label, token in (("no token", None), ("a bad token", "kf_not-a-token-anyone-was-given")):
        response = send(client, operation_id, op.call(world, someone), token)
        if op.public:
            if response.status_code == 401:
                differences.append(f"{label}: the operation is public, but got 401")
        elif response.status_code != 401 or response.json().get("code") != "not_authenticated":
            differences.append(f"{label}: expected 401, but got {describe(response)}")

    assert differences == [], f"{operation_id} ({' '.join(OPERATIONS[operation_id])})"
