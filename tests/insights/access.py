"""Who may read the satisfaction and complaint figures (the role × operation matrix,
tests/guards/test_access_matrix.py): supervisors, managers and administrators, as the 报表 page."""

from tests.guards.matrix import Call, Op

FIGURE_READERS = frozenset({"supervisor", "manager", "admin"})
RANGE = {"from": "2026-06-01", "to": "2026-06-30"}

ACCESS = {
    "figure_dissatisfied_per_hundred": Op(
        FIGURE_READERS, lambda world, user: Call(query={**RANGE, "by": "agent"})
    ),
    "figure_consistency": Op(FIGURE_READERS, lambda world, user: Call(query={**RANGE, "min_answers": 5})),
    "figure_complaint_causes": Op(FIGURE_READERS, lambda world, user: Call(query=RANGE)),
    "figure_iceberg": Op(FIGURE_READERS, lambda world, user: Call(query={**RANGE, "share": 0.05})),
    "figure_at_risk_customers": Op(FIGURE_READERS, lambda world, user: Call(query={"days": 30})),
    "export_figure": Op(
        FIGURE_READERS, lambda world, user: Call(path={"figure": "complaint-causes"}, query=RANGE)
    ),
}
