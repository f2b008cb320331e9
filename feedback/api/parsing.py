"""One JSON body parser for every endpoint, with limits that keep odd input from becoming a 500.

The standard library parses whatever it is given: 990 nested brackets end in RecursionError,
a 5,000-digit number in a ValueError about ``int`` digits, ``NaN`` and ``1e999`` in values no
column can store, and a NUL or lone surrogate in a field *name* reaches the error message. The
limits here are far beyond any body our clients send, and each refusal is a 400 in Chinese.
Field *values* with NUL or surrogates are refused per field by ``feedback.api.fields.String``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import flask
import flask_smorest
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import NotFound

from feedback.api.fields import has_unsafe_chars
from feedback.errors import InvalidJson, UnsupportedMediaType

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64


class JsonRejected(ValueError):
    """A body that is JSON but outside our limits; a ValueError so ``get_json(silent=True)`` copes."""


def _number(text: str, convert) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRejected("请求体中的数字过长")
    value = convert(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise JsonRejected("请求体中的数字超出范围")
    return value


def _constant(name: str) -> Any:
    raise JsonRejected(f"请求体中的数字无效（JSON 不允许 {name}）")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if any(has_unsafe_chars(key) for key, _ in pairs):
        raise JsonRejected("请求体的字段名含有无效字符")
    return dict(pairs)


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JsonRejected(f"请求体嵌套层数过多（最多 {MAX_DEPTH} 层）")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def loads(data: str | bytes | bytearray) -> Any:
    """``json.loads`` within our limits; JsonRejected (a ValueError) for anything beyond them."""
    try:
        value = json.loads(
            data,
            parse_int=lambda t: _number(t, int),
            parse_float=lambda t: _number(t, float),
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except RecursionError:
        raise JsonRejected(f"请求体嵌套层数过多（最多 {MAX_DEPTH} 层）") from None
    _check_depth(value)
    return value


class JsonProvider(DefaultJSONProvider):
    """``request.get_json()`` anywhere in the app uses the same limits as the schemas' parser."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class Parser(FlaskParser):
    """webargs parser: JSON within limits, and a clear answer when the body is not JSON at all."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if req.get_data(cache=True):
                raise UnsupportedMediaType("请以 JSON 格式提交（请求头 Content-Type: application/json）")
            return core.missing
        try:
            return loads(req.get_data(cache=True))
        except JsonRejected as error:
            raise InvalidJson(str(error)) from None

    def _handle_invalid_json_error(self, error: Exception, req: flask.Request, *args: Any, **kwargs: Any):
        raise InvalidJson() from None


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint whose ``arguments`` use our parser."""

    ARGUMENTS_PARSER = Parser()


def refuse_unsafe_path_values(app: flask.Flask) -> None:
    """A NUL in a path segment (``/ledger/points/GC%0001``) names nothing: 404 before any query runs."""

    @app.url_value_preprocessor
    def _refuse(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and any(isinstance(v, str) and has_unsafe_chars(v) for v in values.values()):
            raise NotFound()
