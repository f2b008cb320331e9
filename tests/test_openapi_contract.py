"""The OpenAPI document tells a client generator how to authenticate and what each operation may
answer, and the app behaves as documented (issue 8, item 27)."""

from __future__ import annotations

import re

import pytest

MP, STAFF = "/api/mp/v1/", "/api/staff/v1/"
PUBLIC = {"/api/mp/v1/session", "/api/staff/v1/auth/login"}
ERROR_REF = "#/components/schemas/Error"
PATH_EXAMPLES = {"{month}": "2026-09", "{day}": "2026-09-01", "{code}": "GC01"}


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def resolve(spec, response):
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def test_security_schemes_and_per_operation_requirements(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["mpToken"] == {**schemes["mpToken"], "type": "http", "scheme": "bearer"}
    assert schemes["staffToken"]["scheme"] == "bearer"
    for path, _method, operation in operations(spec):
        if path in PUBLIC:
            assert operation["security"] == [], path
        elif path.startswith(MP):
            assert operation["security"] == [{"mpToken": []}], path
        elif path.startswith(STAFF):
            assert operation["security"] == [{"staffToken": []}], path


def test_error_responses_are_documented_with_the_error_shape(spec):
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "request_id"}
    assert set(error["properties"]) == {"code", "message", "errors", "request_id"}
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        expected = set()
        if path not in PUBLIC:
            expected |= {"401"} if path.startswith(MP) else {"401", "403"}
        if path.startswith(MP) or path == "/api/staff/v1/auth/login":
            expected.add("429")
        if method in ("post", "put"):
            expected.add("413")
        assert expected <= set(responses), (path, method, expected - set(responses))
        for status, response in responses.items():
            if status[0] in "45":
                schema = resolve(spec, response)["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (path, method, status)
        if "429" in responses:
            assert "Retry-After" in resolve(spec, responses["429"])["headers"]


def test_idempotency_key_and_multipart_upload_are_described(spec):
    submit = spec["paths"]["/api/mp/v1/feedback"]["post"]
    header = next(p for p in submit["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"] == {"type": "string", "minLength": 16, "maxLength": 128}
    assert {"200", "201"} <= set(submit["responses"])
    upload = spec["paths"]["/api/mp/v1/uploads"]["post"]["requestBody"]
    form = upload["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"] == {
        **form["properties"]["file"],
        "type": "string",
        "format": "binary",
    }


def test_every_operation_documented_as_needing_a_token_answers_401_without_one(client, spec):
    checked = 0
    for path, method, operation in operations(spec):
        if not operation.get("security"):
            continue
        url = re.sub(r"\{[^}]+\}", lambda m: PATH_EXAMPLES.get(m.group(0), "1"), path)
        reply = client.open(url, method=method.upper(), json={} if method != "get" else None)
        assert reply.status_code == 401, (method, url, reply.status_code)
        assert set(reply.get_json()) == {"code", "message", "request_id"}
        checked += 1
    assert checked >= 45
