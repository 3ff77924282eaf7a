"""The complaints' rollup: ComplaintTally per week (of the complaint's opening) and cause.

Called by the complaints' services inside their transaction: a complaint counts once when its row
is created (cause "" until classified), moves between causes when reclassified, and adds to
`resolved_not_our_fault` while its outcome is that. Each call is one upsert per row touched, in
a fixed order (week, cause), so concurrent changes never lose a count or deadlock.
"""

import datetime

from django.db import connection


def add(rows: list[tuple[datetime.date, str, int, int]]) -> None:
    """ComplaintTally += (complaints, resolved_not_our_fault) for each (week, cause code). A row
    that adds no complaint (one leaving its old cause, an outcome changing) updates the row that
    already counts it; one that adds complaints is an upsert. (The CHECKs hold the proposed row of
    an upsert too, so "-1" or "0 complaints, 1 not our fault" could not be upserted.)"""
    table = connection.ops.quote_name("complaints_complainttally")
    for week, cause, complaints, not_our_fault in sorted(rows):
        if not complaints and not not_our_fault:
            continue
        day = connection.ops.adapt_datefield_value(week)
        with connection.cursor() as cursor:
            if complaints <= 0:
                cursor.execute(
                    f"UPDATE {table} SET complaints = complaints + %s, "
                    f"resolved_not_our_fault = resolved_not_our_fault + %s WHERE week = %s AND cause = %s",
                    [complaints, not_our_fault, day, cause],
                )
                continue
            cursor.execute(
                f"INSERT INTO {table} (week, cause, complaints, resolved_not_our_fault) "
                f"VALUES (%s, %s, %s, %s) ON CONFLICT (week, cause) DO UPDATE SET "
                f"complaints = {table}.complaints + excluded.complaints, "
                f"resolved_not_our_fault = {table}.resolved_not_our_fault + excluded.resolved_not_our_fault",
                [day, cause, complaints, not_our_fault],
            )


def moved(
    *, week: datetime.date, old_cause: str, new_cause: str, old_not_our_fault: bool, new_not_our_fault: bool
) -> None:
    """A complaint's cause or outcome changed: move its count from the old row to the new one."""
    rows = []
    if old_cause != new_cause:
        rows.append((week, old_cause, -1, -int(old_not_our_fault)))
        rows.append((week, new_cause, 1, int(new_not_our_fault)))
    elif old_not_our_fault != new_not_our_fault:
        rows.append((week, new_cause, 0, int(new_not_our_fault) - int(old_not_our_fault)))
    add(rows)
