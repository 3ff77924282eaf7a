"""What tickets tell people, and the one place where tickets call the notifications app.

The services call these inside their transaction. The notifications app (merged later) writes
each notification to its outbox in that same transaction and delivers it after commit, so a
change and the notice of it commit or roll back together. Until it is wired, these send nothing.
"""


def transferred(ticket, transfer) -> None:
    """Tell the new owner (`transfer.to_user`) that the ticket is now theirs, with the reason and
    who handed it over; when the ticket is bouncing (two transfers or more), tell the team's
    supervisor too. In-app always; email/SMS as the user's preferences say."""


def urged(ticket, event) -> None:
    """Tell the owner that the customer (or an agent on the phone) urged the ticket: its number,
    subject, how many urges so far (`ticket.urge_count`) and the note (`event.data["note"]`)."""


def customer_replied(ticket, comment) -> None:
    """Tell the owner (and the collaborators) that the customer answered through their link:
    the ticket's number and the start of the reply (`comment.body`)."""


def mentioned(ticket, comment, users) -> None:
    """Tell each of `users` (active staff named as @username in `comment`) that they were
    mentioned on the ticket, with the start of the comment. The author is never among them."""
