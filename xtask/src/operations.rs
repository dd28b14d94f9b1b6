//! The operation table and the `Call` impls: what the spec says about each operation beyond
//! its types (vendor extensions, JSON Schemas with every limit, examples), generated for
//! `jelou-client`'s `OPERATIONS` and read by every other crate.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value, json};

/// The Rust type names of one operation's answers, read from the generated builder.
struct Answers {
    output: syn::Type,
    failure: syn::Type,
}

/// `cache_get` → `CacheGet`, as progenitor names builders.
pub(crate) fn pascal(operation_id: &str) -> String {
    operation_id
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `startAt` → `start_at`, `sort[field]` → `sort_field`, as progenitor names setters.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// The items of the generated `builder` module (none when there is no such module).
fn builder_items(client: &syn::File) -> &[syn::Item] {
    client
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "builder" => module.content.as_ref(),
            _ => None,
        })
        .map_or(&[], |(_, items)| items.as_slice())
}

/// The type each builder's setter `field` stores, by builder and field name: `T` of the
/// field's `Result<T, String>` (or `Result<Option<T>, String>`).
fn builder_fields(client: &syn::File) -> BTreeMap<(String, String), syn::Type> {
    let mut fields = BTreeMap::new();
    for item in builder_items(client) {
        let syn::Item::Struct(structure) = item else {
            continue;
        };
        for field in &structure.fields {
            let Some(name) = &field.ident else {
                continue;
            };
            let Some(inner) = generic_args(&field.ty).and_then(|args| args.into_iter().next())
            else {
                continue;
            };
            let is_option = matches!(&inner, syn::Type::Path(path)
                if path.path.segments.last().is_some_and(|s| s.ident == "Option"));
            let stored = if is_option {
                generic_args(&inner)
                    .and_then(|args| args.into_iter().next())
                    .unwrap_or(inner)
            } else {
                inner
            };
            fields.insert((structure.ident.to_string(), name.to_string()), stored);
        }
    }
    fields
}

/// The output and failure types of each builder's `send`, by builder name.
fn builder_answers(client: &syn::File) -> BTreeMap<String, Answers> {
    let mut answers = BTreeMap::new();
    for item in builder_items(client) {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_type) = block.self_ty.as_ref() else {
            continue;
        };
        let Some(name) = self_type.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for member in &block.items {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            if function.sig.ident != "send" {
                continue;
            }
            if let syn::ReturnType::Type(_, returned) = &function.sig.output
                && let Some([ok, err]) = generic_args(returned).as_deref()
                && let (Some([output]), Some([failure])) =
                    (generic_args(ok).as_deref(), generic_args(err).as_deref())
            {
                answers.insert(
                    name.clone(),
                    Answers {
                        output: output.clone(),
                        failure: failure.clone(),
                    },
                );
            }
        }
    }
    answers
}

/// The type arguments of `Name<A, B>`.
fn generic_args(ty: &syn::Type) -> Option<Vec<syn::Type>> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|arg| match arg {
                syn::GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
            .collect(),
    )
}

/// Follows a local `$ref` (`#/components/...`) in the raw spec.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> Result<&'a Value> {
    let mut value = value;
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Ok(value);
        };
        let pointer = reference
            .strip_prefix('#')
            .ok_or_else(|| anyhow!("only local references are supported, got {reference}"))?;
        value = spec
            .pointer(pointer)
            .ok_or_else(|| anyhow!("{reference} does not resolve"))?;
    }
    bail!("a $ref chain longer than 32 links")
}

/// An OpenAPI 3.0 schema as a JSON Schema (draft 7) document, with every reference resolved
/// inline: `nullable` becomes a `null` type, the boolean `exclusiveMinimum`/`exclusiveMaximum`
/// become numbers, `x-jelou-key-pattern` becomes `propertyNames`, `x-jelou-format` becomes
/// `format`, and documentation-only
/// keywords are dropped.
pub(crate) fn json_schema(spec: &Value, schema: &Value, depth: usize) -> Result<Value> {
    if depth > 32 {
        bail!("a schema nested more than 32 levels deep (a recursive schema?)");
    }
    let schema = resolve(spec, schema)?;
    let Some(object) = schema.as_object() else {
        return Ok(schema.clone());
    };
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "description" | "example" | "examples" | "externalDocs" | "xml" | "deprecated"
            | "discriminator" | "readOnly" | "writeOnly" | "title" | "nullable"
            | "exclusiveMinimum" | "exclusiveMaximum" | "default" => {}
            "x-jelou-key-pattern" => {
                out.insert("propertyNames".into(), json!({ "pattern": value }));
            }
            "x-jelou-format" => {
                out.insert("format".into(), value.clone());
            }
            key if key.starts_with("x-") => {}
            "properties" => {
                let mut properties = Map::new();
                for (name, property) in value.as_object().into_iter().flatten() {
                    properties.insert(name.clone(), json_schema(spec, property, depth + 1)?);
                }
                out.insert(key.into(), Value::Object(properties));
            }
            "items" | "not" => {
                out.insert(key.into(), json_schema(spec, value, depth + 1)?);
            }
            "additionalProperties" if value.is_object() => {
                out.insert(key.into(), json_schema(spec, value, depth + 1)?);
            }
            "allOf" | "anyOf" | "oneOf" => {
                let parts = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|part| json_schema(spec, part, depth + 1))
                    .collect::<Result<Vec<_>>>()?;
                out.insert(key.into(), Value::Array(parts));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if object.get(flag) == Some(&Value::Bool(true))
            && let Some(limit) = out.remove(bound)
        {
            out.insert(flag.into(), limit);
        }
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        match out.get("type").cloned() {
            Some(Value::String(ty)) => {
                out.insert("type".into(), json!([ty, "null"]));
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            _ => return Ok(json!({ "anyOf": [Value::Object(out), { "type": "null" }] })),
        }
    }
    Ok(Value::Object(out))
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn compact(value: &Value) -> String {
    value.to_string()
}

fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(text) => quote! { Some(#text) },
        None => quote! { None },
    }
}

/// The JSON content of a request body or response, resolved.
fn json_content<'a>(spec: &'a Value, holder: &'a Value) -> Result<Option<&'a Value>> {
    let holder = resolve(spec, holder)?;
    Ok(holder
        .get("content")
        .and_then(|c| c.get("application/json")))
}

/// The example of a media type: its own `example`, the first of its `examples`, or its
/// schema's `example`.
fn media_example(spec: &Value, media: &Value) -> Result<Option<Value>> {
    if let Some(example) = media.get("example") {
        return Ok(Some(example.clone()));
    }
    if let Some(first) = media
        .get("examples")
        .and_then(Value::as_object)
        .and_then(|examples| examples.values().next())
    {
        let first = resolve(spec, first)?;
        if let Some(value) = first.get("value") {
            return Ok(Some(value.clone()));
        }
    }
    match media.get("schema") {
        Some(schema) => Ok(resolve(spec, schema)?.get("example").cloned()),
        None => Ok(None),
    }
}

fn pagination(at: &str, spec: &Value, operation: &Value) -> Result<TokenStream> {
    let Some(paging) = operation.get("x-jelou-pagination") else {
        return Ok(quote! { None });
    };
    let field = |name: &str| -> Result<String> {
        paging
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{at}: x-jelou-pagination needs `{name}`"))
    };
    let parameter = field("parameter")?;
    let items = field("items")?;
    match field("style")?.as_str() {
        "page" => {
            let total_pages = field("totalPages")?;
            Ok(quote! {
                Some(Pagination::Page {
                    parameter: #parameter,
                    items: #items,
                    total_pages: #total_pages,
                })
            })
        }
        "cursor" => {
            let cursor_field = field("cursorField")?;
            let size_parameter = field("sizeParameter")?;
            let default_size = parameters(spec, operation)?
                .into_iter()
                .find(|p| text(p.get("name")) == size_parameter)
                .and_then(|p| {
                    resolve(spec, p.get("schema")?)
                        .ok()?
                        .get("default")?
                        .as_u64()
                })
                .ok_or_else(|| {
                    anyhow!("{at}: the size parameter `{size_parameter}` needs a default")
                })?;
            Ok(quote! {
                Some(Pagination::Cursor {
                    parameter: #parameter,
                    items: #items,
                    cursor_field: #cursor_field,
                    size_parameter: #size_parameter,
                    default_size: #default_size,
                })
            })
        }
        other => bail!("{at}: x-jelou-pagination style {other:?} is neither page nor cursor"),
    }
}

fn logic_error(at: &str, operation: &Value) -> Result<TokenStream> {
    let Some(rule) = operation.get("x-jelou-logic-error") else {
        return Ok(quote! { None });
    };
    let field = text(rule.get("field"));
    let value = text(rule.get("equals"));
    if field.is_empty() || value.is_empty() {
        bail!("{at}: x-jelou-logic-error needs `field` and `equals`");
    }
    let exact_shape = match rule.get("shape").and_then(Value::as_str) {
        None | Some("any") => false,
        Some("exact") => true,
        Some(other) => bail!("{at}: x-jelou-logic-error shape {other:?} is neither exact nor any"),
    };
    Ok(quote! {
        Some(LogicError { field: #field, value: #value, exact_shape: #exact_shape })
    })
}

/// The operation's own host (`servers`, each named by the same `x-jelou-server`), or `None`.
fn server(at: &str, operation: &Value) -> Result<TokenStream> {
    let Some(servers) = operation.get("servers") else {
        return Ok(quote! { None });
    };
    let servers = servers
        .as_array()
        .filter(|servers| !servers.is_empty())
        .ok_or_else(|| anyhow!("{at}: `servers` must be a list of at least one server"))?;
    let mut name = None;
    let mut urls = Vec::new();
    for server in servers {
        let url = text(server.get("url"));
        let own = text(server.get("x-jelou-server"));
        if url.is_empty() || url.contains('{') {
            bail!("{at}: a server needs a plain `url` (no variables), got {url:?}");
        }
        if own.is_empty() {
            bail!("{at}: the server {url} needs `x-jelou-server`, the name it is configured by");
        }
        if name.get_or_insert_with(|| own.clone()) != &own {
            bail!("{at}: its servers are named both {name:?} and {own:?}; one host, one name");
        }
        urls.push(url.trim_end_matches('/').to_owned());
    }
    let name = name.unwrap_or_default();
    let url = &urls[0];
    let alternatives = &urls[1..];
    Ok(quote! {
        Some(ServerSpec { name: #name, url: #url, alternatives: &[#(#alternatives),*] })
    })
}

/// The operation's security (its own, or the spec's), each requirement one scheme.
fn auth(at: &str, spec: &Value, operation: &Value) -> Result<Vec<TokenStream>> {
    let requirements = operation
        .get("security")
        .or_else(|| spec.get("security"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut schemes = Vec::new();
    for requirement in &requirements {
        let names: Vec<&String> = requirement
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        let [name] = names.as_slice() else {
            bail!("{at}: a security requirement must name exactly one scheme, got {requirement}");
        };
        let scheme = spec
            .pointer(&format!("/components/securitySchemes/{name}"))
            .ok_or_else(|| anyhow!("{at}: no security scheme {name}"))?;
        let header = text(scheme.get("name"));
        schemes.push(match (text(scheme.get("type")).as_str(), text(scheme.get("in")).as_str()) {
            ("http", _) if text(scheme.get("scheme")).eq_ignore_ascii_case("basic") => {
                quote! { AuthScheme::Basic }
            }
            ("apiKey", "header") => match scheme.get("x-jelou-signature").and_then(Value::as_str) {
                None => quote! { AuthScheme::ApiKey { header: #header } },
                Some("hmac-sha256") => quote! { AuthScheme::Signature { header: #header } },
                Some(other) => bail!("{at}: x-jelou-signature {other:?} is not hmac-sha256"),
            },
            (kind, place) => bail!(
                "{at}: the security scheme {name} ({kind} in {place:?}) is neither http basic nor an apiKey header"
            ),
        });
    }
    Ok(schemes)
}

/// JSON pointers to the strings of `format: password` in the operation's successful
/// answers' schemas (through objects' properties, not into lists).
fn secret_fields(spec: &Value, operation: &Value) -> Result<Vec<String>> {
    fn walk(
        spec: &Value,
        schema: &Value,
        at: String,
        depth: usize,
        out: &mut Vec<String>,
    ) -> Result<()> {
        let schema = resolve(spec, schema)?;
        if depth > 8 {
            return Ok(());
        }
        if schema.get("format").and_then(Value::as_str) == Some("password") {
            out.push(at.clone());
        }
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let escaped = name.replace('~', "~0").replace('/', "~1");
            walk(spec, property, format!("{at}/{escaped}"), depth + 1, out)?;
        }
        Ok(())
    }
    let mut out = Vec::new();
    for (status, response) in operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !status.starts_with('2') {
            continue;
        }
        if let Some(schema) = json_content(spec, response)?.and_then(|media| media.get("schema")) {
            walk(spec, schema, String::new(), 0, &mut out)?;
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The path item's parameters followed by the operation's, resolved.
fn parameters<'a>(spec: &'a Value, operation: &'a Value) -> Result<Vec<&'a Value>> {
    let mut all = Vec::new();
    for parameter in operation
        .get("x-path-parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            operation
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
    {
        all.push(resolve(spec, parameter)?);
    }
    Ok(all)
}

/// The operation table and every builder's `Call` (and `PagedCall`) impl.
///
/// `order` lists `(path, method)` in spec order: plain JSON objects do not keep it.
pub(crate) fn generate(
    spec: &Value,
    client: &TokenStream,
    order: &[(String, String)],
) -> Result<TokenStream> {
    let client: syn::File = syn::parse2(client.clone()).context("the client does not parse")?;
    let answers = builder_answers(&client);
    let fields = builder_fields(&client);
    let mut entries = Vec::new();
    let mut impls = Vec::new();
    for (path, method) in order {
        let method = method.as_str();
        let item = spec
            .get("paths")
            .and_then(|paths| paths.get(path))
            .ok_or_else(|| anyhow!("path {path} is not in the spec"))?;
        {
            let Some(operation) = item.get(method) else {
                continue;
            };
            // The path item's own parameters come first, as progenitor takes them.
            let mut operation = operation.clone();
            if let Some(shared) = item.get("parameters") {
                operation["x-path-parameters"] = shared.clone();
            }
            // An operation's own `servers` replace its path item's.
            if operation.get("servers").is_none()
                && let Some(servers) = item.get("servers")
            {
                operation["servers"] = servers.clone();
            }
            let id = text(operation.get("operationId"));
            let at = format!("operation {id}");
            let index = entries.len();
            let builder = format_ident!("{}", pascal(&id));
            let Answers { output, failure } = answers
                .get(&builder.to_string())
                .ok_or_else(|| anyhow!("{at}: no generated builder {builder} with a send"))?;
            let decode = quote! { decode_answer::<#output, #failure> };
            // The builder keeps its body as the type's builder (`types::builder::X`); the
            // body itself is `types::X`.
            let body_type = fields
                .get(&(builder.to_string(), "body".to_owned()))
                .and_then(|ty| match ty {
                    syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.clone()),
                    _ => None,
                })
                .map(|ident| quote! { types::#ident });
            entries.push(entry(
                spec,
                path,
                method,
                &operation,
                &decode,
                body_type.as_ref(),
            )?);
            impls.push(quote! {
                impl<'a> Call<'a> for builder::#builder<'a> {
                    type Output = #output;
                    type Failure = #failure;
                    fn operation() -> &'static OperationSpec {
                        &OPERATIONS[#index]
                    }
                    fn send(self) -> CallFuture<'a, #output, #failure> {
                        Box::pin(builder::#builder::send(self))
                    }
                }
            });
            if let Some(paging) = operation.get("x-jelou-pagination") {
                let setter = format_ident!("{}", snake(&text(paging.get("parameter"))));
                let body = match text(paging.get("style")).as_str() {
                    "page" => {
                        let stored = fields
                            .get(&(builder.to_string(), setter.to_string()))
                            .ok_or_else(|| {
                                anyhow!("{at}: the builder {builder} has no field {setter}")
                            })?;
                        // Whatever integer type the page is (`NonZeroU32`, `u64`, …), it
                        // reads from text.
                        quote! {
                            match token {
                                PageToken::Page(page) => page
                                    .to_string()
                                    .parse::<#stored>()
                                    .ok()
                                    .map(|page| self.#setter(page)),
                                PageToken::Cursor(_) => None,
                            }
                        }
                    }
                    _ => quote! {
                        match token {
                            PageToken::Cursor(cursor) => Some(self.#setter(cursor.as_str())),
                            PageToken::Page(_) => None,
                        }
                    },
                };
                impls.push(quote! {
                    impl<'a> PagedCall<'a> for builder::#builder<'a> {
                        fn at(self, token: &PageToken) -> Option<Self> {
                            #body
                        }
                    }
                });
            }
        }
    }
    Ok(quote! {
        #![allow(unused_imports)]
        use crate::operation::{
            AuthScheme, BodySpec, Call, CallFuture, LogicError, decode_answer, decode_body, OperationSpec, PageToken, PagedCall, Pagination,
            ParameterLocation, ParameterSpec, ResponseSpec, ServerSpec,
        };
        use crate::generated::{builder, types};

        /// Every operation of the spec, in spec order.
        pub static OPERATIONS: &[OperationSpec] = &[#(#entries),*];

        #(#impls)*
    })
}

fn entry(
    spec: &Value,
    path: &str,
    method: &str,
    operation: &Value,
    decode: &TokenStream,
    body_type: Option<&TokenStream>,
) -> Result<TokenStream> {
    let id = text(operation.get("operationId"));
    let at = format!("operation {id}");
    let method_upper = method.to_uppercase();
    let summary = text(operation.get("summary"));
    let tags: Vec<String> = operation
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    let idempotent = match operation.get("x-jelou-idempotent") {
        Some(Value::Bool(flag)) => *flag,
        Some(other) => bail!("{at}: x-jelou-idempotent must be true or false, got {other}"),
        None => matches!(method, "get" | "head"),
    };
    let pagination = pagination(&at, spec, operation)?;
    let logic_error = logic_error(&at, operation)?;
    let server = server(&at, operation)?;
    let auth = auth(&at, spec, operation)?;

    let mut parameter_entries = Vec::new();
    for parameter in parameters(spec, operation)? {
        let name = text(parameter.get("name"));
        let location = match parameter.get("in").and_then(Value::as_str) {
            Some("path") => quote! { ParameterLocation::Path },
            Some("query") => quote! { ParameterLocation::Query },
            Some("header") => quote! { ParameterLocation::Header },
            other => bail!("{at}: parameter {name} is in {other:?}, not path, query or header"),
        };
        let required = parameter.get("required") == Some(&Value::Bool(true));
        let description = text(parameter.get("description"));
        let example = parameter
            .get("example")
            .or_else(|| resolve(spec, parameter.get("schema")?).ok()?.get("example"))
            .map(|example| match example {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            });
        let example = option_str(example);
        let schema = compact(&json_schema(
            spec,
            parameter.get("schema").unwrap_or(&json!({})),
            0,
        )?);
        parameter_entries.push(quote! {
            ParameterSpec {
                name: #name,
                location: #location,
                required: #required,
                description: #description,
                schema: #schema,
                example: #example,
            }
        });
    }

    let body = match operation.get("requestBody") {
        None => quote! { None },
        Some(body) => {
            let required = resolve(spec, body)?.get("required") == Some(&Value::Bool(true));
            let media = json_content(spec, body)?
                .ok_or_else(|| anyhow!("{at}: the request body is not application/json"))?;
            let schema = compact(&json_schema(
                spec,
                media.get("schema").unwrap_or(&json!({})),
                0,
            )?);
            let example = option_str(media_example(spec, media)?.as_ref().map(compact));
            let body_type =
                body_type.ok_or_else(|| anyhow!("{at}: the generated builder takes no body"))?;
            quote! {
                Some(BodySpec {
                    required: #required,
                    schema: #schema,
                    example: #example,
                    decode: decode_body::<#body_type>,
                })
            }
        }
    };

    let mut responses = Vec::new();
    for (status, response) in operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let example = match json_content(spec, response)? {
            Some(media) => option_str(media_example(spec, media)?.as_ref().map(compact)),
            None => quote! { None },
        };
        responses.push(quote! { ResponseSpec { status: #status, example: #example } });
    }

    let secrets = secret_fields(spec, operation)?;

    Ok(quote! {
        OperationSpec {
            id: #id,
            method: #method_upper,
            path: #path,
            summary: #summary,
            tags: &[#(#tags),*],
            server: #server,
            auth: &[#(#auth),*],
            idempotent: #idempotent,
            pagination: #pagination,
            logic_error: #logic_error,
            parameters: &[#(#parameter_entries),*],
            body: #body,
            responses: &[#(#responses),*],
            secrets: &[#(#secrets),*],
            decode: #decode,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_openapi_schema_becomes_json_schema() {
        let spec = json!({
            "components": {"schemas": {"Title": {"type": "string", "maxLength": 24, "description": "d"}}}
        });
        let schema = json!({
            "type": "object",
            "description": "dropped",
            "properties": {
                "title": {"$ref": "#/components/schemas/Title"},
                "note": {"type": "string", "nullable": true, "example": "x"},
                "kind": {"type": "string", "enum": ["a"], "nullable": true},
                "count": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
                "attributes": {"type": "object", "x-jelou-key-pattern": "^[a-z]+$"}
            }
        });
        let converted = json_schema(&spec, &schema, 0).expect("converts");
        assert_eq!(
            converted,
            json!({
                "type": "object",
                "properties": {
                    "title": {"type": "string", "maxLength": 24},
                    "note": {"type": ["string", "null"]},
                    "kind": {"type": ["string", "null"], "enum": ["a", null]},
                    "count": {"type": "integer", "exclusiveMinimum": 0},
                    "attributes": {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}}
                }
            })
        );
    }

    #[test]
    fn a_reference_that_does_not_resolve_is_named() {
        let error = json_schema(&json!({}), &json!({"$ref": "#/components/schemas/Gone"}), 0)
            .expect_err("unresolved");
        assert!(
            error.to_string().contains("#/components/schemas/Gone"),
            "{error}"
        );
    }

    #[test]
    fn builder_names_follow_the_operation_id() {
        assert_eq!(pascal("cache_get"), "CacheGet");
        assert_eq!(pascal("user_session_update"), "UserSessionUpdate");
        assert_eq!(snake("startAt"), "start_at");
        assert_eq!(snake("sort[field]"), "sort_field");
        assert_eq!(snake("page"), "page");
    }
}
