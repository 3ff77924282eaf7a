"""Who may call each operation of the tickets' API (the role × operation matrix,
tests/guards/test_access_matrix.py), as docs/user-guide.md's table of roles promises.

The world's ticket was opened by the agent, and the technician helps with it: a technician holds
no right to view tickets and sees only those they own or help with, so they read this one, may
comment on it, and change nothing.
"""

from kefu.tickets import services
from tests.guards.matrix import EVERY_ROLE, Call, Op

# Everyone with a role reads the tickets they may see (a technician, the ones they work on).
READERS = EVERY_ROLE
# Hotline, supervisors, sales, service centres and administrators open and work tickets.
WORKERS = frozenset({"agent", "supervisor", "sales", "centre", "admin"})
# Who comments: the workers, and a technician on a ticket they help with.
COMMENTERS = WORKERS | {"technician"}
# Who transfers: the owner among the workers; a manager through transfer_any_ticket.
TRANSFERRERS = WORKERS | {"manager"}
# Supervisors, managers and administrators merge duplicates (decision 0022).
MERGERS = frozenset({"supervisor", "manager", "admin"})


def ticket(world, user):
    return Call(path={"ticket": world.ticket.pk})


def _fresh(world, *, owner=None, by=None):
    return services.open_ticket(
        by=by if by is not None else world.users["agent"],
        customer=world.customer,
        subject="洗衣机漏水",
        type="repair",
        channel="phone",
        owner=owner,
    )


def transfer(world, user):
    """A ticket the caller owns, handed to a colleague."""
    owned = _fresh(world, owner=user)
    return Call(path={"ticket": owned.pk}, body={"to_user": world.colleague.pk, "reason": "片区调整"})


def claim(world, user):
    unassigned = services.open_ticket(
        by=None, customer=world.customer, subject="官网报修", type="repair", channel="portal"
    )
    return Call(path={"ticket": unassigned.pk})


def merge(world, user):
    """A fresh pair for each caller: a ticket merged once takes no second merge."""
    return Call(path={"ticket": _fresh(world).pk}, body={"into": str(_fresh(world).pk)})


def unmerge(world, user):
    duplicate = _fresh(world)
    services.merge_ticket(duplicate=duplicate, into=_fresh(world), by=None)
    return Call(path={"ticket": duplicate.pk})


ACCESS = {
    "list_tickets": Op(READERS, lambda world, user: Call(query={"queue": "mine"})),
    "get_ticket": Op(READERS, ticket),
    "get_ticket_timeline": Op(READERS, ticket),
    "list_ticket_comments": Op(READERS, ticket),
    "create_ticket": Op(
        WORKERS,
        lambda world, user: Call(
            body={
                "customer": world.customer.pk,
                "subject": "空调不制冷",
                "type": "repair",
                "channel": "phone",
            }
        ),
    ),
    "update_ticket": Op(
        WORKERS,
        lambda world, user: Call(
            path={"ticket": world.ticket.pk},
            body={"version": world.fresh(world.ticket).version, "subject": world.unique("空调不制冷 ")},
        ),
    ),
    "transition_ticket": Op(
        WORKERS, lambda world, user: Call(path={"ticket": _fresh(world).pk}, body={"status": "open"})
    ),
    "transfer_ticket": Op(TRANSFERRERS, transfer),
    "claim_ticket": Op(WORKERS, claim),
    "add_ticket_collaborator": Op(
        WORKERS,
        lambda world, user: Call(path={"ticket": _fresh(world).pk}, body={"user": world.colleague.pk}),
    ),
    "add_ticket_comment": Op(
        COMMENTERS,
        lambda world, user: Call(
            path={"ticket": world.ticket.pk}, body={"body": "已联系客户", "public": False}
        ),
    ),
    "urge_ticket": Op(
        WORKERS, lambda world, user: Call(path={"ticket": world.ticket.pk}, body={"note": "来电催"})
    ),
    "link_tickets": Op(
        WORKERS,
        lambda world, user: Call(
            path={"ticket": _fresh(world).pk}, body={"to_ticket": world.ticket.number, "kind": "related"}
        ),
    ),
    "merge_ticket": Op(MERGERS, merge),
    "unmerge_ticket": Op(MERGERS, unmerge),
}
