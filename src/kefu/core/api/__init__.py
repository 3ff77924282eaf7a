"""Shared plumbing of the public REST API (API.md): the NinjaAPI subclass, errors, auth,
idempotent creates and the helpers every router uses. Routers live in each app's api.py."""

import functools

from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from kefu.core.api import errors
from kefu.core.api.parser import HygienicParser


def _json_method_not_allowed(view):
    """ninja answers a wrong method with an empty 405; give it the error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            response = errors.error_response(
                405,
                "method_not_allowed",
                _("The method %(method)s is not allowed here; use %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return errors.error_response(404, "not_found", _("There is no such address in the API."))


_not_found.csrf_exempt = True  # type: ignore[attr-defined]


# How every answer is written (the API's renderer): also by `answer`, for a body built by hand.
RENDERER = JSONRenderer()


def answer(request: HttpRequest, data, *, status: int = 200) -> HttpResponse:
    """`data` written as the API writes an operation's result (ninja's create_response), for an
    operation that builds its answer itself rather than through its response schema (the
    schema then only documents it: a test must hold the two together)."""
    return HttpResponse(
        RENDERER.render(request, data, response_status=status),
        status=status,
        content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}",
    )


# Every operation may answer these, whatever it lists itself: the request guard and the body
# parser refuse before the operation runs (core.middleware, core.api.parser).
ALWAYS = (400, 401)
WITH_A_BODY = (413, 415)


class KefuAPI(NinjaAPI):
    """A NinjaAPI whose every answer, even for an unknown path or method, is JSON, whose body
    parser refuses what no field may hold, and whose schema lists the errors every operation
    may answer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("parser", HygienicParser())
        kwargs.setdefault("renderer", RENDERER)
        super().__init__(**kwargs)
        errors.install(self)

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for methods in schema["paths"].values():
            for operation in methods.values():
                statuses = ALWAYS + (WITH_A_BODY if "requestBody" in operation else ())
                responses = operation.setdefault("responses", {})
                declared = {int(code) for code in responses}
                for status in statuses:
                    if status in declared:
                        continue
                    responses.setdefault(
                        status,
                        {
                            "description": errors.ERROR_DESCRIPTIONS[status],
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                            },
                        },
                    )
                operation["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))
                for parameter in operation.get("parameters", []):
                    _declare_no_nul(parameter.get("schema", {}))
        for component in schema.get("components", {}).get("schemas", {}).values():
            _declare_no_nul(component)
        return schema

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _json_method_not_allowed(pattern.callback)
        return [*patterns, re_path(r"^.*$", _not_found, name="not-found")]


# The body parser and the request guard refuse a NUL character in any text (PostgreSQL cannot
# store one); the schema says so, so that clients and the fuzzer know it.
NO_NUL = r"^[^\x00]*$"


def _declare_no_nul(schema: dict) -> None:
    """Add NO_NUL to every free text under `schema` (not to enums, dates or patterned texts)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "string" and not {"enum", "const", "format", "pattern"} & node.keys():
            node["pattern"] = NO_NUL
        stack.extend(node.get("properties", {}).values())
        for key in ("items", "additionalProperties", "propertyNames"):
            stack.append(node.get(key))
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend(node.get(key, []))
