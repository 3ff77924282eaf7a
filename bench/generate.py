"""The data generator's figures (DESIGN.md: 1M customers + 2M products + 10M tickets in
< 5 min on PostgreSQL). Read from the data set's marker: the generator runs once per size
and database, when the data set is built. Tickets do not exist yet, so the time measured
covers customers (with phones and addresses) and products only."""

from bench import Figure

TARGET_SECONDS = 300.0


def figures(marker: dict, vendor: str) -> list[Figure]:
    """The target is set for PostgreSQL; on SQLite the time is shown for information."""
    generator = marker["generator"]
    seconds = generator["seconds"]
    label = f"{marker['customers']:,} customers + {marker['products']:,} products"
    return [
        Figure(
            "data generator: customers+products per second",
            round(generator["customers_products_per_second"]),
            "rows/s",
            "(info)",
            None,
        ),
        Figure(
            f"data generator: time for {label} (no tickets yet)",
            round(seconds, 1),
            "s",
            "< 300 s for 1M+2M+10M tickets" if vendor == "postgresql" else "(info; target is PostgreSQL's)",
            seconds < TARGET_SECONDS if vendor == "postgresql" else None,
        ),
    ]
