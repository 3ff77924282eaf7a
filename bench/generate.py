"""The data generator's figures (DESIGN.md: 1M customers + 2M products + 10M tickets in < 5 min
on PostgreSQL). Read from the data set's marker: the generator runs once per size and database,
when the data set is built, and the marker keeps its time, split between the archive's step
(customers, products, their timelines) and the tickets' (tickets, transfers, comments, events,
search rows; the planner's statistics at the end are counted with the tickets)."""

from bench import Figure

TARGET_SECONDS = 300.0


def figures(marker: dict, vendor: str) -> list[Figure]:
    """The target is set for PostgreSQL (at 1M + 2M + 10M); SQLite's time is shown for information."""
    generator = marker["generator"]
    seconds = generator["seconds"]
    tickets = marker.get("tickets", 0)
    label = f"{marker['customers']:,} customers + {marker['products']:,} products + {tickets:,} tickets"
    on_postgres = vendor == "postgresql"
    result = [
        Figure(
            "data generator: customers+products+tickets per second",
            round(generator.get("main_rows_per_second", generator["customers_products_per_second"])),
            "rows/s",
            "(info)",
            None,
        ),
        # As before tickets: on PostgreSQL every size is held to the large size's target.
        Figure(
            f"data generator: time for {label}",
            round(seconds, 1),
            "s",
            "< 300 s for 1M+2M+10M tickets" if on_postgres else "(info; target is PostgreSQL's)",
            seconds < TARGET_SECONDS if on_postgres else None,
        ),
    ]
    steps = generator.get("steps", {})
    if "tickets" in steps:
        result += [
            Figure(
                f"data generator: the archive's step ({label})",
                round(steps["archive"], 1),
                "s",
                "(info)",
                None,
            ),
            Figure(
                f"data generator: the tickets' step ({tickets:,} tickets with their rows)",
                round(steps["tickets"], 1),
                "s",
                "(info)",
                None,
            ),
        ]
    if "statistics" in steps:
        result.append(
            Figure(
                "data generator: the statistics (VACUUM ANALYZE)",
                round(steps["statistics"], 1),
                "s",
                "(info)",
                None,
            )
        )
    cpu = generator.get("cpu_seconds", {})
    for who, label in (("process", "the generating process"), ("backend", "its PostgreSQL backend")):
        if cpu.get(who) is not None:
            result.append(Figure(f"data generator: CPU time of {label}", cpu[who], "s", "(info)", None))
    load = generator.get("load_average")
    if load:
        result.append(
            Figure(
                f"data generator: load average before / after: {load['before']} / {load['after']}",
                float(load["after"].split()[0]) if load["after"] else 0.0,
                "",
                "(info)",
                None,
            )
        )
    return result
