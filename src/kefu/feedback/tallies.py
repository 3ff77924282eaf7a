"""The satisfaction rollup: SatisfactionTally += one answer, per dimension, in the week it came.

Called by the service that records an answer, inside its transaction, so the figures move with
the answer or not at all. One multi-row upsert in a fixed order (dimension, key): two answers of
the same week never lose a count and never deadlock on each other's rows.
"""

from django.db import connection

from kefu.core.dates import week_of
from kefu.feedback.models import Dimension, Survey


def dimension_keys(survey: Survey) -> list[tuple[str, str]]:
    """(dimension, key) for every dimension the survey counts in, in the upsert's order. ALL always;
    a dimension whose value is unknown counts under key "" (so each dimension's rows add up to ALL;
    TECHNICIAN only when the subject had one)."""
    keys = [
        (Dimension.AGENT, str(survey.agent_id or "")),
        (Dimension.ALL, ""),
        (Dimension.CATEGORY, survey.category or ""),
        (Dimension.CHANNEL, survey.channel or ""),
        (Dimension.REGION, survey.region or ""),
        (Dimension.TEAM, str(survey.team_id or "")),
    ]
    if survey.technician_id:
        keys.append((Dimension.TECHNICIAN, str(survey.technician_id)))
    return sorted((str(dimension), key) for dimension, key in keys)


def count_answer(survey: Survey) -> None:
    """Add the survey's answer (answered_at and is_satisfied set) to the tallies of its week."""
    if survey.answered_at is None or survey.is_satisfied is None:
        raise ValueError("count_answer needs an answered survey")
    week = connection.ops.adapt_datefield_value(week_of(survey.answered_at))
    unhappy = 0 if survey.is_satisfied else 1
    rows = dimension_keys(survey)
    table = connection.ops.quote_name("feedback_satisfactiontally")
    values = ", ".join(["(%s, %s, %s, 1, %s)"] * len(rows))
    params: list = []
    for dimension, key in rows:
        params += [week, dimension, key, unhappy]
    key = connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (week, dimension, {key}, answered, dissatisfied) "
            f"VALUES {values} ON CONFLICT (dimension, {key}, week) DO UPDATE SET "
            f"answered = {table}.answered + excluded.answered, "
            f"dissatisfied = {table}.dissatisfied + excluded.dissatisfied",
            params,
        )
