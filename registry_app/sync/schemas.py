"""The JSON Schemas of the sync formats (resources/schemas), shared by the office and the province
side so both check the same rules, and the table of province reason codes."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from registry_app.resources import resources_dir


def schemas_dir():
    return resources_dir() / "schemas"


@lru_cache(maxsize=None)
def _fast_check(name: str):
    """A compiled validator for the fast path. It may only ever be stricter than jsonschema (it also
    asserts `format`), never more lenient: the schemas use no keyword that differs between the drafts
    it implements and 2020-12 (checked by tests/unit/test_schema_fast_path.py)."""
    schema = json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema)


@lru_cache(maxsize=None)
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _path(parts) -> str:
    return "/" + "/".join(str(p) for p in parts) if parts else "/"


def _describe(error) -> str:
    # Name the rule, not the value: values are personal data and reports end up in logs.
    if error.validator in ("required", "additionalProperties", "propertyNames"):
        return error.message
    rule = json.dumps(error.validator_value, ensure_ascii=False)
    return f"violates {error.validator} {rule[:120]}"


def schema_errors(name: str, instance: Any) -> list[tuple[str, str]]:
    """(JSON pointer of the offending value, what rule it breaks), sorted so reports are stable."""
    try:
        _fast_check(name)(instance)
        return []  # the common case: a compiled validator, ~50x faster than jsonschema per event
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema (the reference implementation) decides and names every problem
    validator = _validator(name)
    errors = validator.iter_errors(instance)
    return sorted({(_path(e.absolute_path), _describe(e)) for e in errors})


@lru_cache(maxsize=None)
def reason_codes() -> dict[str, dict[str, str]]:
    table = json.loads((schemas_dir() / "reason-codes-v1.json").read_text(encoding="utf-8"))
    return table["codes"]


def reason_message(code: str) -> str | None:
    entry = reason_codes().get(code)
    return entry["zh"] if entry else None
