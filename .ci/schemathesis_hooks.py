"""Schemathesis hooks for `.ci/run`: the two rules of openapi/jelou.yaml that OpenAPI 3.0 cannot
state in a way Schemathesis reads, so that it does not generate "valid" requests the spec
itself calls invalid. Each is a named exclusion; everything else is checked as generated.

1. `x-jelou-key-pattern`: the keys of attribute and parameter maps must match a pattern
   (`propertyNames` exists only from JSON Schema draft 6 / OpenAPI 3.1). Bodies with a key that
   breaks the pattern the spec gives are not sent as valid data.
2. `filters` of `GET /users`: a JSON array of 1 to 5 filters, carried as text because the
   generator cannot take a parameter with `content`; the rule is in the parameter's
   description. Queries whose `filters` is not such an array are not sent as valid data.
3. `x-jelou-format`: a string's `date` or `date-time` format, kept out of `format` so that the
   generated types stay plain strings. It becomes `format` again when Schemathesis loads the
   spec, as the SDK's generator does for its request checks, so that every phase generates
   such dates as valid data.
"""

import json
import pathlib
import re

import schemathesis
import yaml

SPEC = yaml.safe_load(
    (pathlib.Path(__file__).resolve().parent.parent / "openapi" / "jelou.yaml").read_text()
)
MAX_FILTERS = 5


def resolve(schema):
    """Follows local `$ref`s."""
    for _ in range(32):
        if not isinstance(schema, dict) or "$ref" not in schema:
            return schema
        node = SPEC
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def keys_follow_the_spec(schema, value):
    """Whether every map in `value` keeps the key pattern its schema gives."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return True
    if isinstance(value, dict):
        pattern = schema.get("x-jelou-key-pattern")
        # The spec's `\w` is ECMAScript's: ASCII letters, digits and `_`.
        if pattern and not all(re.search(pattern, key, re.ASCII) for key in value):
            return False
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            inner = properties.get(key, extra if isinstance(extra, dict) else None)
            if inner is not None and not keys_follow_the_spec(inner, item):
                return False
    if isinstance(value, list) and "items" in schema:
        return all(keys_follow_the_spec(schema["items"], item) for item in value)
    return True


def operation_of(ctx):
    operation = ctx.operation
    return SPEC["paths"].get(operation.path, {}).get(operation.method.lower(), {})


@schemathesis.hook
def filter_body(ctx, body):
    content = operation_of(ctx).get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema is None or keys_follow_the_spec(schema, body)


@schemathesis.hook
def filter_query(ctx, query):
    if operation_of(ctx).get("operationId") != "user_list" or not query:
        return True
    if "filters" not in query:
        return True
    try:
        filters = json.loads(query["filters"])
    except (TypeError, ValueError):
        return False
    return isinstance(filters, list) and 1 <= len(filters) <= MAX_FILTERS


def formats_from_extension(node):
    """`x-jelou-format: date` becomes `format: date`, everywhere in the spec."""
    if isinstance(node, dict):
        if "x-jelou-format" in node:
            node["format"] = node["x-jelou-format"]
        for value in node.values():
            formats_from_extension(value)
    elif isinstance(node, list):
        for value in node:
            formats_from_extension(value)


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    formats_from_extension(raw_schema)
