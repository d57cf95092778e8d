"""Reading JSON and YAML files into plain values: the one place this package touches disk.

A `.yaml` / `.yml` file is YAML; anything else is JSON. YAML is read with the
core schema of YAML 1.2 rather than PyYAML's default YAML 1.1, because 1.1
turns the values IAM users write into the wrong things: `Version: 2012-10-17`
becomes a date (and the policy is rejected), `no` / `on` become booleans,
`1:30` becomes 90. Here only `true` / `false` are booleans and timestamps stay
strings. Numbers with a leading zero (`012345678901`, an account ID) stay
strings too: IAM compares strings, and no IAM value is an octal number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from codeconn.policytest.errors import DocumentError

YAML_SUFFIXES = (".yaml", ".yml")

_YAML11_TAGS = frozenset({
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp",
})


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema booleans and numbers, and no timestamps."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in _YAML11_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?[eE][-+]?[0-9]+)$"),
    list("-+.0123456789"))


def is_yaml(path: str | Path) -> bool:
    return Path(path).suffix.lower() in YAML_SUFFIXES


def decode_document(text: str, path: str | Path) -> Any:
    """Decode text as the file's suffix says; a DocumentError gives the line and column of the fault."""
    if is_yaml(path):
        try:
            return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
            raise DocumentError(path, f"not valid YAML: {problem}{where}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def read_document(path: str | Path) -> Any:
    """The decoded contents of a JSON or YAML file, or a DocumentError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(path, "cannot read: not UTF-8 text") from None
    except OSError as exc:
        raise DocumentError(path, f"cannot read: {exc.strerror or exc}") from None
    return decode_document(text, path)
