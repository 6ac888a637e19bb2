"""IAM policy documents of the Terraform tree, rendered and evaluated in Python.

A document's statements are read with python-hcl2 and their references substituted: the values a
test gives (`var.kms_key_arn`, `local.lake_bucket_arn`, ...) first, then the module's own locals,
recursively, including `[for x in local.list : "...${x}"]` lists and `source_policy_documents`.
`allows` then answers as IAM would for Allow statements: the action and every resource matched by
wildcard, and each StringLike/StringEquals/ArnEquals condition met by the request's keys.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.unit.infra.terraform_tree import MODULES_DIR, parse

Value = str | list[str]
_REFERENCE = re.compile(r"\$\{([^${}]+)\}")
_FOR = re.compile(r'^\$\{\[for (\w+) in ([\w.]+) : "(.*)"\]\}$')
_OPTIONAL = re.compile(r'^\$\{([\w.]+) == "" \? \[\] : \[([\w.]+)\]\}$')
"""`${var.x == "" ? [] : [var.x]}`: a statement present only when a value is set."""
_WHEN = re.compile(r"^\$\{([\w.]+) \? \[([\w.]+)\] : \[\]\}$")
"""`${local.flag ? [var.x] : []}`: a statement present only when a flag is true."""


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]


def _locals(module: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file in sorted(module.glob("*.tf")):
        for block in parse(file).get("locals", []):
            merged.update(block)
    return merged


def _documents(module: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for file in sorted(module.glob("*.tf")):
        for entry in parse(file).get("data", []):
            for name, body in entry.get("aws_iam_policy_document", {}).items():
                found[name] = body
    return found


class Renderer:
    def __init__(self, module: str, values: Mapping[str, Value]) -> None:
        self.module = MODULES_DIR / module
        self.values = dict(values)
        self.locals = _locals(self.module)
        self.documents = _documents(self.module)

    def resolve(self, text: Any) -> Value:
        """A string or list from the tree with every reference replaced."""
        if isinstance(text, list):
            flat: list[str] = []
            for item in text:
                resolved = self.resolve(item)
                flat += resolved if isinstance(resolved, list) else [resolved]
            return flat
        text = str(text)
        optional = _OPTIONAL.match(text)
        if optional:
            value = self._reference(optional[1])
            return [] if value == "" else [str(self._reference(optional[2]))]
        when = _WHEN.match(text)
        if when:
            flag = str(self._reference(when[1])).lower()
            assert flag in ("true", "false"), f"{when[1]} is not a flag: {flag}"
            return [str(self._reference(when[2]))] if flag == "true" else []
        loop = _FOR.match(text)
        if loop:
            name, source, template = loop.groups()
            items = self.resolve(f"${{{source}}}")
            assert isinstance(items, list), source
            return [str(self.resolve(template.replace(f"${{{name}}}", item))) for item in items]
        whole = _REFERENCE.fullmatch(text)
        if whole:
            return self._reference(whole[1])
        return _REFERENCE.sub(lambda m: str(self._reference(m[1])), text)

    def _reference(self, name: str) -> Value:
        name = name.strip()
        if name in self.values:
            return self.resolve(self.values[name])
        if name.startswith("local.") and name.removeprefix("local.") in self.locals:
            return self.resolve(self.locals[name.removeprefix("local.")])
        raise KeyError(f"{self.module.name}: give the test a value for {name}")

    def statements(self, document: str) -> list[Statement]:
        body = self.documents[document]
        found: list[Statement] = []
        for source in body.get("source_policy_documents", []):
            match = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", source)
            assert match, source
            found += self.statements(match[1])
        raw = body.get("statement", [])
        raw = list(raw) if isinstance(raw, list) else [raw]
        for dynamic in body.get("dynamic", []):
            if "statement" in dynamic:
                items = self.resolve(dynamic["statement"]["for_each"])
                for item in items if isinstance(items, list) else [items]:
                    for content in dynamic["statement"]["content"]:
                        raw.append(
                            {
                                k: str(v).replace("${statement.value}", item)
                                if isinstance(v, str)
                                else [str(x).replace("${statement.value}", item) for x in v]
                                if isinstance(v, list)
                                else v
                                for k, v in content.items()
                            }
                        )
        for statement in raw:
            if statement.get("effect", "Allow") != "Allow":
                continue
            actions = self.resolve(statement["actions"])
            resources = self.resolve(statement["resources"])
            conditions = tuple(
                (
                    str(condition["test"]),
                    str(condition["variable"]),
                    tuple(self.resolve(condition["values"])),
                )
                for condition in statement.get("condition", [])
            )
            found.append(
                Statement(
                    str(statement.get("sid", "")),
                    tuple(actions if isinstance(actions, list) else [actions]),
                    tuple(resources if isinstance(resources, list) else [resources]),
                    conditions,
                )
            )
        return found


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _condition_met(
    test: str, variable: str, values: tuple[str, ...], context: Mapping[str, str]
) -> bool:
    if variable not in context:
        return False
    actual = context[variable]
    if test == "StringLike":
        return any(_matches(value, actual) for value in values)
    if test in ("StringEquals", "ArnEquals"):
        return actual in values
    raise AssertionError(f"condition test {test} is not evaluated here")


def allows(
    statements: list[Statement], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    """Whether an Allow statement grants `action` on `resource` with the request's `context`."""
    service, _, name = action.partition(":")
    return any(
        any(
            _matches(granted.lower(), action.lower())
            or granted.lower() == f"{service}:{name}".lower()
            for granted in statement.actions
        )
        and any(_matches(pattern, resource) for pattern in statement.resources)
        and all(_condition_met(*condition, context) for condition in statement.conditions)
        for statement in statements
    )


def granted_actions(statements: list[Statement]) -> set[str]:
    return {action for statement in statements for action in statement.actions}
