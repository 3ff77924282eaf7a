"""Every limit the server enforces is declared in the OpenAPI schema, for every operation that
exists now or is added later: clients learn the limits from the schema, and the fuzzer
(tests/guards/test_fuzz.py) stays inside what the server means to accept."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# Strings whose values the schema fixes in another way.
SELF_BOUNDED_FORMATS = {"date", "date-time"}


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def unbounded(schema: dict, components: dict, where: str) -> list[str]:
    """The places under `schema` that accept input without a declared limit."""
    schema = _resolve(schema, components)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for index, branch in enumerate(schema.get(key, [])):
            found += unbounded(branch, components, f"{where}|{index}")
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema and "const" not in schema:
        if "maxLength" not in schema and schema.get("format") not in SELF_BOUNDED_FORMATS:
            found.append(f"{where}: string without maxLength")
        free_text = schema.get("format") not in SELF_BOUNDED_FORMATS
        if free_text and re.fullmatch(schema.get("pattern", ".*"), "a\x00b", flags=re.DOTALL):
            found.append(f"{where}: string whose pattern lets a NUL character through")
    elif kind in ("integer", "number"):
        if "maximum" not in schema or "minimum" not in schema:
            found.append(f"{where}: {kind} without minimum and maximum")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: array without maxItems")
        found += unbounded(schema.get("items", {}), components, f"{where}[]")
    elif kind == "object" or "properties" in schema:
        for name, inner in schema.get("properties", {}).items():
            found += unbounded(inner, components, f"{where}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                found.append(f"{where}: object without maxProperties")
            found += unbounded(extra, components, f"{where}{{}}")
            names = schema.get("propertyNames")
            if names is not None:
                found += unbounded(names, components, f"{where}{{key}}")
    return found


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    with django_db_blocker.unblock():
        return Client().get("/api/v1/openapi.json").json()


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_input_of_every_operation_declares_its_limits(openapi):
    components = openapi.get("components", {}).get("schemas", {})
    problems = []
    for path, method, operation in operations(openapi):
        name = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", []):
            problems += unbounded(
                parameter["schema"], components, f"{name} {parameter['in']} {parameter['name']}"
            )
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            problems += unbounded(body["schema"], components, f"{name} body")
    assert problems == []


def test_every_operation_documents_the_refusals_of_the_request_guard(openapi):
    for path, method, operation in operations(openapi):
        statuses = set(operation["responses"])
        assert {"400", "401"} <= statuses, f"{method} {path}"
        if "requestBody" in operation:
            assert {"413", "415"} <= statuses, f"{method} {path}"


def test_the_guard_finds_what_is_unbounded():
    """The walk itself: a string, a list, a map and an integer without limits are each found."""
    components = {"Thing": {"type": "object", "properties": {"name": {"type": "string"}}}}
    schema = {
        "type": "object",
        "properties": {
            "ref": {"$ref": "#/components/schemas/Thing"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}},
            "map": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "count": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
            "day": {"type": "string", "format": "date"},
            "kind": {"type": "string", "enum": ["a", "b"]},
        },
    }

    assert sorted(unbounded(schema, components, "x")) == [
        "x.count|0: integer without minimum and maximum",
        "x.map: object without maxProperties",
        "x.ref.name: string whose pattern lets a NUL character through",
        "x.ref.name: string without maxLength",
        "x.tags: array without maxItems",
        "x.tags[]: string whose pattern lets a NUL character through",
    ]
