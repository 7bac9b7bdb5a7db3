"""The compiled fast path of the sync schema checks must never accept what the reference validator
(jsonschema, draft 2020-12) refuses."""
from __future__ import annotations

import json

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from registry_app.sync.schemas import _fast_check, schema_errors, schemas_dir

NAMES = ["event-v1", "manifest-v1", "manifest-v2", "ack-v1", "ack-v2", "reference-v1", "public-key-v1"]
# keywords whose meaning differs between 2020-12 and the older drafts the compiled validator implements
DRAFT_SPECIFIC = {"prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentRequired",
                  "dependentSchemas", "$dynamicRef", "$anchor", "minContains", "maxContains"}


def _keys(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, node
            yield from _keys(v)
    elif isinstance(node, list):
        for v in node:
            yield from _keys(v)


@pytest.mark.parametrize("name", NAMES)
def test_schemas_use_no_keyword_whose_meaning_differs_between_drafts(name):
    schema = json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    for key, node in _keys(schema):
        assert key not in DRAFT_SPECIFIC, key
        if key == "$ref":
            assert len(node) == 1, "a $ref with siblings means different things in different drafts"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.text(max_size=12),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), json_values)
def test_fast_path_is_never_more_lenient(name, instance):
    reference = Draft202012Validator(json.loads((schemas_dir() / f"{name}.schema.json").read_text("utf-8")))
    try:
        _fast_check(name)(instance)
        fast_ok = True
    except fastjsonschema.JsonSchemaException:
        fast_ok = False
    if fast_ok:
        assert reference.is_valid(instance)
    assert (schema_errors(name, instance) == []) == reference.is_valid(instance)
