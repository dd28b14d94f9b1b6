//! Checks that the spec stays within what progenitor 0.15 can generate and within the
//! project's own rules, so that a bad spec gets a list of named problems instead of a
//! panic from deep inside the generator.

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, QueryStyle, ReferenceOr, Response,
    Schema, SchemaKind, StatusCode, Type,
};

/// Returns every problem found, each naming the operation or schema it concerns.
pub(crate) fn check(spec: &OpenAPI) -> Vec<String> {
    let mut problems = Vec::new();
    if !spec.openapi.starts_with("3.0.") {
        problems.push(format!("openapi version {} is not 3.0.x", spec.openapi));
    }
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            problems.push(format!("path {path}: a $ref path item is not supported"));
            continue;
        };
        for parameter in &item.parameters {
            check_parameter(spec, &format!("path {path}"), parameter, &mut problems);
        }
        for (method, operation) in item.iter() {
            let name = match &operation.operation_id {
                Some(id) => id.clone(),
                None => {
                    problems.push(format!("{} {path}: no operationId", method.to_uppercase()));
                    continue;
                }
            };
            if !operation_ids.insert(name.clone()) {
                problems.push(format!("operation {name}: operationId used twice"));
            }
            check_operation(spec, &name, operation, &mut problems);
        }
    }
    if let Some(components) = &spec.components {
        for (name, schema) in &components.schemas {
            if let ReferenceOr::Item(schema) = schema {
                check_schema_docs(&format!("schema {name}"), schema, true, &mut problems);
            }
        }
    }
    problems
}

fn check_operation(spec: &OpenAPI, name: &str, operation: &Operation, problems: &mut Vec<String>) {
    let at = format!("operation {name}");
    if !is_noun_verb(name) {
        problems.push(format!("{at}: operationId must be snake_case noun_verb"));
    }
    if operation.description.as_deref().is_none_or(str::is_empty) {
        problems.push(format!("{at}: no description"));
    }
    if operation.tags.is_empty() {
        problems.push(format!("{at}: no tag"));
    }
    for parameter in &operation.parameters {
        check_parameter(spec, &at, parameter, problems);
    }
    if let Some(body) = &operation.request_body {
        match resolve_body(spec, body) {
            Some(body) if body.content.len() != 1 => problems.push(format!(
                "{at}: the request body has {} content types; progenitor takes exactly one",
                body.content.len()
            )),
            Some(_) => {}
            None => problems.push(format!("{at}: the request body $ref does not resolve")),
        }
    }
    if operation.responses.default.is_some() {
        problems.push(format!(
            "{at}: a `default` response counts as both success and error; use 4XX and 5XX"
        ));
    }
    let mut success = std::collections::BTreeSet::new();
    let mut failure = std::collections::BTreeSet::new();
    for (status, response) in &operation.responses.responses {
        let Some(response) = resolve_response(spec, response) else {
            problems.push(format!("{at}: response {status} $ref does not resolve"));
            continue;
        };
        let schemas: Vec<String> = response
            .content
            .values()
            .map(|media| format!("{:?}", media.schema))
            .collect();
        let class = match status {
            StatusCode::Code(code) => code / 100,
            StatusCode::Range(range) => *range,
        };
        match class {
            2 => success.extend(schemas),
            4 | 5 => failure.extend(schemas),
            _ => {}
        }
    }
    if success.len() > 1 {
        problems.push(format!(
            "{at}: {} different success schemas; progenitor takes one",
            success.len()
        ));
    }
    if failure.len() > 1 {
        problems.push(format!(
            "{at}: {} different error schemas; progenitor takes one (share ApiError)",
            failure.len()
        ));
    }
}

fn check_parameter(
    spec: &OpenAPI,
    at: &str,
    parameter: &ReferenceOr<Parameter>,
    problems: &mut Vec<String>,
) {
    let parameter = match parameter {
        ReferenceOr::Item(parameter) => parameter,
        ReferenceOr::Reference { reference } => {
            let name = reference.trim_start_matches("#/components/parameters/");
            match spec
                .components
                .as_ref()
                .and_then(|c| c.parameters.get(name))
                .and_then(ReferenceOr::as_item)
            {
                Some(parameter) => parameter,
                None => {
                    problems.push(format!("{at}: parameter {reference} does not resolve"));
                    return;
                }
            }
        }
    };
    let data = parameter.parameter_data_ref();
    if data.description.as_deref().is_none_or(str::is_empty) {
        problems.push(format!("{at}: parameter {} has no description", data.name));
    }
    if let Parameter::Query {
        style: QueryStyle::DeepObject,
        ..
    } = parameter
    {
        problems.push(format!(
            "{at}: parameter {} uses deepObject style, which progenitor does not support",
            data.name
        ));
    }
    if let ParameterSchemaOrContent::Content(_) = data.format {
        problems.push(format!(
            "{at}: parameter {} uses `content`; progenitor takes `schema`",
            data.name
        ));
    }
}

/// Every schema and every inline property must say what it is. A `$ref` property is
/// described by the schema it points to, which is checked on its own.
fn check_schema_docs(at: &str, schema: &Schema, named: bool, problems: &mut Vec<String>) {
    if named
        && schema
            .schema_data
            .description
            .as_deref()
            .is_none_or(str::is_empty)
    {
        problems.push(format!("{at}: no description"));
    }
    if let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind {
        for (property, value) in &object.properties {
            if let ReferenceOr::Item(inner) = value {
                check_schema_docs(&format!("{at}.{property}"), inner, true, problems);
            }
        }
    }
}

fn resolve_body<'a>(
    spec: &'a OpenAPI,
    body: &'a ReferenceOr<openapiv3::RequestBody>,
) -> Option<&'a openapiv3::RequestBody> {
    match body {
        ReferenceOr::Item(body) => Some(body),
        ReferenceOr::Reference { reference } => spec
            .components
            .as_ref()?
            .request_bodies
            .get(reference.trim_start_matches("#/components/requestBodies/"))?
            .as_item(),
    }
}

fn resolve_response<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Option<&'a Response> {
    match response {
        ReferenceOr::Item(response) => Some(response),
        ReferenceOr::Reference { reference } => spec
            .components
            .as_ref()?
            .responses
            .get(reference.trim_start_matches("#/components/responses/"))?
            .as_item(),
    }
}

/// `noun_verb`: lowercase ASCII words joined by single underscores, at least two words.
fn is_noun_verb(id: &str) -> bool {
    let words: Vec<&str> = id.split('_').collect();
    words.len() >= 2
        && words.iter().all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> OpenAPI {
        serde_yaml::from_str(yaml).expect("test spec parses")
    }

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n";

    #[test]
    fn the_project_spec_passes() {
        let text = include_str!("../../openapi/jelou.yaml");
        let problems = check(&spec(text));
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn default_response_is_named_with_its_operation() {
        let problems = check(&spec(&format!(
            "{HEAD}paths:\n  /x:\n    get:\n      operationId: thing_get\n      tags: [a]\n      description: d\n      responses:\n        default: {{description: d}}\n"
        )));
        assert_eq!(
            problems,
            [
                "operation thing_get: a `default` response counts as both success and error; use 4XX and 5XX"
            ]
        );
    }

    #[test]
    fn two_success_schemas_are_refused() {
        let problems = check(&spec(&format!(
            "{HEAD}paths:\n  /x:\n    get:\n      operationId: thing_get\n      tags: [a]\n      description: d\n      responses:\n        '200': {{description: d, content: {{application/json: {{schema: {{type: string}}}}}}}}\n        '201': {{description: d, content: {{application/json: {{schema: {{type: integer}}}}}}}}\n"
        )));
        assert_eq!(
            problems,
            ["operation thing_get: 2 different success schemas; progenitor takes one"]
        );
    }

    #[test]
    fn deep_object_and_missing_descriptions_are_refused() {
        let problems = check(&spec(&format!(
            "{HEAD}paths:\n  /x:\n    get:\n      operationId: getThing\n      responses: {{}}\n      parameters:\n        - {{name: f, in: query, style: deepObject, schema: {{type: object}}}}\n"
        )));
        assert_eq!(
            problems,
            [
                "operation getThing: operationId must be snake_case noun_verb",
                "operation getThing: no description",
                "operation getThing: no tag",
                "operation getThing: parameter f has no description",
                "operation getThing: parameter f uses deepObject style, which progenitor does not support",
            ]
        );
    }

    #[test]
    fn noun_verb_names() {
        assert!(is_noun_verb("user_session_update"));
        assert!(!is_noun_verb("users"));
        assert!(!is_noun_verb("userGet"));
        assert!(!is_noun_verb("user__get"));
    }
}
