"""Reading a JSON body, with the checks that no single field should have to remember.

Every text, key or value, anywhere in the body: no NUL character (PostgreSQL cannot store it)
and no lone surrogate (no database can encode it). Every number: an integer that fits in 64
bits, or a finite float. No deeper nesting than any schema of ours needs. A refusal names the
top-level field at fault, so the client sees which one to fix (HTTP 400).
"""

import json
import math
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.parser import Parser

from kefu.core.errors import InvalidRequest

# The largest integer a column (and an id) holds: PostgreSQL's bigint, SQLite's INTEGER.
MAX_INTEGER = 2**63 - 1
MAX_DEPTH = 16

NUL = _("This text contains a NUL character, which is not allowed.")
SURROGATE = _("This text contains an invalid character (a lone surrogate).")
TOO_BIG = _("This number is too large.")
NOT_FINITE = _("Enter a finite number.")
TOO_DEEP = _("This value is nested too deeply.")


def _refuse_constant(name: str) -> float:
    """JSON has no NaN or Infinity; Python's reader accepts them unless told otherwise."""
    raise ValueError(f"{name} is not JSON")


def text_problem(text: str):
    """Why a text cannot be stored, or None."""
    if "\x00" in text:
        return NUL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def _value_problem(value: Any):
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_INTEGER:
        return TOO_BIG
    if isinstance(value, float) and not math.isfinite(value):
        return NOT_FINITE
    return None


def body_problems(data: Any) -> dict[str, list]:
    """{top-level field: [message]} for every field whose value holds something unstorable."""
    problems: dict[str, list] = {}
    roots = data.items() if isinstance(data, dict) else [("", data)]
    for root, value in roots:
        field = root if isinstance(root, str) and root else "body"
        key_problem = text_problem(root) if isinstance(root, str) else None
        if key_problem:
            problems.setdefault(field.replace("\x00", ""), []).append(key_problem)
            continue
        # Walk without recursion: (value, depth) pairs still to look at.
        stack = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_DEPTH:
                problems.setdefault(field, []).append(TOO_DEEP)
                break
            if isinstance(item, dict):
                for key, inner in item.items():
                    problem = text_problem(key)
                    if problem:
                        problems.setdefault(field, []).append(problem)
                        stack.clear()
                        break
                    stack.append((inner, depth + 1))
            elif isinstance(item, list):
                stack.extend((inner, depth + 1) for inner in item)
            else:
                problem = _value_problem(item)
                if problem:
                    problems.setdefault(field, []).append(problem)
                    break
    return problems


class HygienicParser(Parser):
    """ninja's JSON parser, strict about the encoding and about what the values may hold."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(message=_("The request body is not valid UTF-8.")) from None
        data = json.loads(text, parse_constant=_refuse_constant)
        problems = body_problems(data)
        if problems:
            raise InvalidRequest(problems)
        return data
