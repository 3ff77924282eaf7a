"""Who may call each operation of the accounts API (the role × operation matrix,
tests/guards/test_access_matrix.py)."""

from tests.guards.matrix import EVERYONE, Call, Op, credentials

ACCESS = {
    # Anyone with a username and password gets a token; no other credentials are needed.
    "create_token": Op(
        EVERYONE,
        lambda world, user: Call(body={**credentials(user), "name": world.unique("cli-")}),
        public=True,
    ),
    "list_tokens": Op(EVERYONE, lambda world, user: Call()),
    "get_me": Op(EVERYONE, lambda world, user: Call()),
    # Any colleague may list colleagues, e.g. to pick whom to transfer a ticket to.
    "list_users": Op(EVERYONE, lambda world, user: Call(query={"role": "agent"})),
    # A colleague's token: only an administrator may revoke it; to anyone else it is not there.
    "revoke_token": Op(
        frozenset({"admin"}),
        lambda world, user: Call(path={"token_id": world.colleagues_token().pk}),
        refused_with=404,
    ),
}
