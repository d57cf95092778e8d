"""AWS Query, server side: IAM and STS.

A request is a flat form (`application/x-www-form-urlencoded` body, or the query
string of a GET) with `Action` and `Version` naming the operation. The input
structure is flattened into dotted keys, which `parse_request` folds back by walking
the input shape:

- structure members: `Parent.Member`
- lists: `Names.member.1`, `Names.member.2` (an empty list is the bare key `Names=`);
  flattened lists drop `.member`
- maps: `Attributes.entry.1.key` / `Attributes.entry.1.value`; flattened maps drop `.entry`
- scalars are strings: integers, booleans (`true`/`false`), ISO 8601 timestamps and
  base64 blobs are converted by their shape; a string that does not convert is
  passed through for the validator to report

A response is XML: `<{Op}Response xmlns="{xmlNamespace}"><{Op}Result>...</{Op}Result>
<ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></{Op}Response>`, lists
as `<member>` elements, maps as `<entry><key/><value/></entry>`, timestamps in ISO
8601 UTC. An error is `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/>
<Message/></Error><RequestId/></ErrorResponse>` with the model's `error.code`
(`NoSuchEntity`, not `NoSuchEntityException`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import OperationModel, ServiceModel, Shape

from codeconn.wire.errors import Family, WireError
from codeconn.wire.headers import lowered
from codeconn.wire.model import (
    Response,
    ServiceModels,
    error_shape,
    error_status,
)

NAME = "query"
FAMILY: Family = "query"
CONTENT_TYPE = "text/xml"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
NO_VERSION = "NO_VERSION_SPECIFIED"


class MissingAction(WireError):
    """The form has no `Action`."""

    code = "MissingAction"
    status = 400
    default_message = "The request is missing an action or a required parameter."


class InvalidAction(WireError):
    """`Action` and `Version` name no operation of a hosted Query service."""

    code = "InvalidAction"
    status = 400
    default_message = "The action or operation requested is invalid. Verify that the action is typed correctly."


class MalformedQueryString(WireError):
    """The form cannot be decoded (bad UTF-8 or percent-encoding); AWS answers 404."""

    code = "MalformedQueryString"
    status = 404
    default_message = "The query string contains a syntax error."


def parse_request(
    method: str, path: str, headers: Mapping[str, str], body: bytes, models: ServiceModels
) -> tuple[OperationModel, dict[str, Any]]:
    """Find the operation `Action`/`Version` name and fold the form into its input.

    Fields come from the URL's query string and, unless the body is declared as
    something other than a form, from the body. Unknown fields are ignored, as AWS
    ignores them.
    """
    values = _Form.fields(path, lowered(headers), body)
    action = values.get("Action")
    if not action:
        raise MissingAction()
    version = values.get("Version") or NO_VERSION
    operation = models.actions.get((version, action))
    if operation is None:
        raise InvalidAction(f"Could not find operation {action} for version {version}")
    shape = operation.input_shape
    if shape is None:
        return operation, {}
    params = _read_structure(shape, _Form.of(values, _roots(shape)), "")
    return operation, params or {}


def serialize_response(operation: OperationModel, output: Mapping[str, Any], request_id: str) -> Response:
    """The 200 XML response carrying `output` inside the operation's result wrapper."""
    name = operation.name
    shape = operation.output_shape
    result = ""
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
        result = f"<{wrapper}>{_members_xml(shape, output or {})}</{wrapper}>"
    metadata = f"<ResponseMetadata><RequestId>{_escape(request_id)}</RequestId></ResponseMetadata>"
    xml = f"<{name}Response{_xmlns(operation.service_model)}>{result}{metadata}</{name}Response>"
    return 200, _headers(request_id), xml.encode("utf-8")


def serialize_error(
    service: ServiceModel | None,
    code: str,
    message: str,
    *,
    status: int | None = None,
    fields: Mapping[str, Any] | None = None,
    request_id: str,
) -> Response:
    """An `<ErrorResponse>` botocore turns into the modelled exception class for `code`.

    `code` is an error shape's name or wire code; the wire carries the model's
    `error.code`. `Type` is the model's `senderFault`, else Sender below 500.
    """
    shape = error_shape(service, code)
    status = status or error_status(shape)
    trait = shape.metadata.get("error", {}) if shape is not None else {}
    sender = trait.get("senderFault", status < 500)
    extra = {key: value for key, value in (fields or {}).items() if key.lower() != "message"}
    details = (
        _members_xml(shape, extra)
        if shape is not None
        else "".join(f"<{key}>{_escape(str(value))}</{key}>" for key, value in extra.items())
    )
    error = (
        f"<Error><Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"<Code>{_escape(shape.error_code if shape is not None else code)}</Code>"
        f"<Message>{_escape(message)}</Message>{details}</Error>"
    )
    xml = f"<ErrorResponse{_xmlns(service)}>{error}<RequestId>{_escape(request_id)}</RequestId></ErrorResponse>"
    return status, _headers(request_id), xml.encode("utf-8")


# --- reading the form ---------------------------------------------------------------


@dataclass(frozen=True)
class _Form:
    """The form's fields, and the tree of their dotted names, for the input shape's members only.

    `tree` holds `A.member.1.B` as A -> member -> 1 -> B: built in time linear in the
    names' length and asked in time linear in one name's (a set of every dotted
    prefix of every name, as before, was quadratic: 40 KB of `a.a.a...` took 400 MB).
    Names whose first part is no member of the input are left out of it: nothing reads them.
    """

    values: dict[str, str]
    tree: dict[str, Any]

    @staticmethod
    def fields(path: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The fields of the URL's query string and of a form body, the last of a name winning."""
        content_type = headers.get("content-type", FORM_CONTENT_TYPE).split(";")[0].strip().lower()
        parts = [path.split("?", 1)[1]] if "?" in path else []
        try:
            if body and content_type == FORM_CONTENT_TYPE:
                parts.append(body.decode("utf-8"))
            pairs = [pair for part in parts for pair in parse_qsl(part, keep_blank_values=True, errors="strict")]
        except UnicodeDecodeError:
            raise MalformedQueryString() from None
        return dict(pairs)

    @classmethod
    def of(cls, values: dict[str, str], roots: frozenset[str]) -> _Form:
        tree: dict[str, Any] = {}
        for key in values:
            segments = key.split(".")
            if segments[0] not in roots:
                continue
            node = tree
            for segment in segments:
                node = node.setdefault(segment, {})
        return cls(values, tree)

    def has(self, key: str) -> bool:
        """Whether some field is named `key` or starts with `key.`."""
        node: dict[str, Any] | None = self.tree
        for segment in key.split("."):
            node = node.get(segment) if node is not None else None
            if node is None:
                return False
        return True


def _roots(shape: Any) -> frozenset[str]:
    """The first parts of the field names an input's members are read from (a flattened list's item name too)."""
    names = set()
    for name, member in shape.members.items():
        names.add(_query_name(name, member))
        if member.type_name == "list" and member.serialization.get("flattened"):
            names.add(member.member.serialization.get("name") or _query_name(name, member))
    return frozenset(names)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _query_name(name: str, member: Shape) -> str:
    found: str = member.serialization.get("queryName") or member.serialization.get("name", name)
    return found


def _read(shape: Shape, form: _Form, key: str) -> Any:
    return _READERS.get(shape.type_name, _read_scalar)(shape, form, key)


def _read_structure(shape: Any, form: _Form, key: str) -> Any:
    if key and not form.has(key):
        return None
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = _read(member, form, _join(key, _query_name(name, member)))
        if value is not None:
            out[name] = value
    return out


def _read_list(shape: Any, form: _Form, key: str) -> Any:
    item_name = shape.member.serialization.get("name")
    if shape.serialization.get("flattened"):
        base = ".".join([*key.split(".")[:-1], item_name]) if item_name else key
    else:
        base = f"{key}.{item_name or 'member'}"
    if not form.has(key) and not form.has(base):
        return None
    items, index = [], 1
    while form.has(f"{base}.{index}"):
        items.append(_read(shape.member, form, f"{base}.{index}"))
        index += 1
    return items


def _read_map(shape: Any, form: _Form, key: str) -> Any:
    base = key if shape.serialization.get("flattened") else f"{key}.entry"
    if not form.has(key) and not form.has(base):
        return None
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out, index = {}, 1
    while form.has(f"{base}.{index}"):
        entry_key = _read(shape.key, form, f"{base}.{index}.{key_name}")
        if entry_key is not None:
            out[entry_key] = _read(shape.value, form, f"{base}.{index}.{value_name}")
        index += 1
    return out


def _read_scalar(shape: Shape, form: _Form, key: str) -> Any:
    raw = form.values.get(key)
    if raw is None:
        return None
    convert = _FROM_TEXT.get(shape.type_name)
    if convert is None:
        return raw
    try:
        return convert(raw)
    except (ValueError, binascii.Error):
        return raw


def _text_to_datetime(text: str) -> datetime:
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text_to_int(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(text)
    return int(text)


def _text_to_bool_or_fail(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(text)
    return text == "true"


_READERS: dict[str, Callable[[Any, _Form, str], Any]] = {
    "structure": _read_structure,
    "list": _read_list,
    "map": _read_map,
}
_INTEGER_TYPES = ("integer", "long", "short", "byte")
_FROM_TEXT: dict[str, Callable[[str], Any]] = {
    **{kind: _text_to_int for kind in _INTEGER_TYPES},
    "float": float,
    "double": float,
    "boolean": _text_to_bool_or_fail,
    "timestamp": _text_to_datetime,
    "blob": lambda text: base64.b64decode(text, validate=True),
}


# --- writing XML --------------------------------------------------------------------


def _members_xml(shape: Any, value: Mapping[str, Any]) -> str:
    parts = []
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        tag = member.serialization.get("name", name)
        if member.type_name in ("list", "map") and member.serialization.get("flattened"):
            parts.append(_flattened_xml(member, tag, item))
        else:
            parts.append(f"<{tag}>{_value_xml(member, item)}</{tag}>")
    return "".join(parts)


def _flattened_xml(shape: Any, tag: str, value: Any) -> str:
    if shape.type_name == "list":
        item_tag = shape.member.serialization.get("name", tag)
        return "".join(f"<{item_tag}>{_value_xml(shape.member, item)}</{item_tag}>" for item in value)
    return "".join(f"<{tag}>{_entry_xml(shape, key, item)}</{tag}>" for key, item in value.items())


def _value_xml(shape: Any, value: Any) -> str:
    writer = _XML_WRITERS.get(shape.type_name)
    return writer(shape, value) if writer is not None else _escape(_TO_TEXT.get(shape.type_name, str)(value))


def _list_xml(shape: Any, value: Any) -> str:
    tag = shape.member.serialization.get("name", "member")
    return "".join(f"<{tag}>{_value_xml(shape.member, item)}</{tag}>" for item in value)


def _map_xml(shape: Any, value: Any) -> str:
    return "".join(f"<entry>{_entry_xml(shape, key, item)}</entry>" for key, item in value.items())


def _entry_xml(shape: Any, key: Any, value: Any) -> str:
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    return f"<{key_tag}>{_value_xml(shape.key, key)}</{key_tag}><{value_tag}>{_value_xml(shape.value, value)}</{value_tag}>"


def iso8601(value: Any) -> str:
    """`2024-05-17T12:34:56Z`, or `...56.789Z` when there are milliseconds; UTC always.

    Naive datetimes are taken as UTC; numbers as epoch seconds.
    """
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(float(value), UTC)
    moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    millis = moment.microsecond // 1000
    return str(moment.strftime("%Y-%m-%dT%H:%M:%S")) + (f".{millis:03d}" if millis else "") + "Z"


def _float_text(value: Any) -> str:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    return ("Infinity" if number > 0 else "-Infinity") if math.isinf(number) else repr(number)


_XML_WRITERS: dict[str, Callable[[Any, Any], str]] = {
    "structure": _members_xml,
    "list": _list_xml,
    "map": _map_xml,
}
_TO_TEXT: dict[str, Callable[[Any], str]] = {
    "boolean": lambda value: "true" if value else "false",
    "timestamp": iso8601,
    "blob": lambda value: base64.b64encode(value.encode() if isinstance(value, str) else value).decode("ascii"),
    "float": _float_text,
    "double": _float_text,
}

# XML 1.0 cannot carry most C0 controls, lone surrogates or U+FFFE/U+FFFF even as
# character references; they become U+FFFD. CR is escaped so parsers keep it.
_XML_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("\r"): "&#xD;"}
_XML_ESCAPES.update({code: "\ufffd" for code in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]})
_XML_ESCAPES.update({code: "\ufffd" for code in range(0xD800, 0xE000)})


def _escape(text: str) -> str:
    return text.translate(_XML_ESCAPES)


def _xmlns(service: ServiceModel | None) -> str:
    namespace = service.metadata.get("xmlNamespace") if service is not None else None
    return f' xmlns="{_escape(namespace)}"' if namespace else ""


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id}


__all__ = [
    "CONTENT_TYPE",
    "FAMILY",
    "FORM_CONTENT_TYPE",
    "NAME",
    "NO_VERSION",
    "InvalidAction",
    "MalformedQueryString",
    "MissingAction",
    "iso8601",
    "parse_request",
    "serialize_error",
    "serialize_response",
]
