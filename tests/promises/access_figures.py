"""Who may read the promise-kept figure (the role × operation matrix,
tests/guards/test_access_matrix.py): supervisors, managers and administrators, as the figure's
page in the menu."""

from tests.guards.matrix import Call, Op

FIGURE_READERS = frozenset({"supervisor", "manager", "admin"})

ACCESS = {
    "figure_promise_kept": Op(
        FIGURE_READERS, lambda world, user: Call(query={"from": "2026-06-01", "to": "2026-06-30"})
    ),
}
