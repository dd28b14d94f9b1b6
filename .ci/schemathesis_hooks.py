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
   generated types stay plain strings. Values that are not such a date are not sent as valid
   data.
"""

import datetime
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


def keeps_format(schema, value):
    """Whether `value` is the date or date-time its schema's `x-jelou-format` asks for."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return True
    wanted = schema.get("x-jelou-format")
    if wanted and isinstance(value, str):
        try:
            if wanted == "date":
                datetime.date.fromisoformat(value)
                return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            rfc3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
            return re.fullmatch(rfc3339, value) is not None
        except ValueError:
            return False
    if isinstance(value, dict):
        for key, item in value.items():
            inner = schema.get("properties", {}).get(key)
            if inner is not None and not keeps_format(inner, item):
                return False
    return True


def query_keeps_formats(ctx, query):
    for parameter in operation_of(ctx).get("parameters", []):
        parameter = resolve(parameter)
        if parameter.get("in") == "query" and parameter.get("name") in (query or {}):
            if not keeps_format(parameter.get("schema", {}), query[parameter["name"]]):
                return False
    return True


def operation_of(ctx):
    operation = ctx.operation
    return SPEC["paths"].get(operation.path, {}).get(operation.method.lower(), {})


@schemathesis.hook
def filter_body(ctx, body):
    content = operation_of(ctx).get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema is None or (keys_follow_the_spec(schema, body) and keeps_format(schema, body))


@schemathesis.hook
def filter_query(ctx, query):
    if not query_keeps_formats(ctx, query):
        return False
    if operation_of(ctx).get("operationId") != "user_list" or not query:
        return True
    if "filters" not in query:
        return True
    try:
        filters = json.loads(query["filters"])
    except (TypeError, ValueError):
        return False
    return isinstance(filters, list) and 1 <= len(filters) <= MAX_FILTERS
