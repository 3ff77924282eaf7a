"""The API's refusal, checked the same way by every app's tests."""


def assert_refused(response, status: int, field: str | None = None, code: str = "invalid") -> dict:
    """The error shape, the status and, for input errors, the one field named: listed under
    `fields` with a message, and named in the summary `message` too."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    if field is not None:
        assert field in body["fields"], body
        assert all(body["fields"][field])
        assert field in body["message"], body
    return body
