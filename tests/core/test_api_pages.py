"""Every list answers one shape (API.md "Lists"): {"items": [...], "next_cursor": "…" | null},
from one generic schema (core.api.schema.Page), whatever app it belongs to."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def paged_operations(schema: dict) -> list[tuple[str, dict]]:
    """The operations that take a cursor, and the component each one answers 200 with."""
    components = schema["components"]["schemas"]
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if not any(p["name"] == "cursor" for p in operation.get("parameters", [])):
                continue
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            name = ok["$ref"].rsplit("/", 1)[-1]
            found.append((f"{method.upper()} {path} → {name}", components[name]))
    return found


def test_every_list_operation_answers_a_page():
    schema = Client().get("/api/v1/openapi.json").json()
    operations = paged_operations(schema)

    assert len(operations) >= 8  # customers, timeline, products, life events, catalogue ×2, tokens, users
    for where, component in operations:
        assert {"items", "next_cursor"} <= set(component["required"]), where
        assert component["properties"]["items"]["type"] == "array", where
        kinds = {branch.get("type") for branch in component["properties"]["next_cursor"]["anyOf"]}
        assert kinds == {"string", "null"}, where
