//! The sandbox through `jelou-ext`: every operation answers in the documented shape and keeps
//! state, and every refusal is a documented envelope that `jelou-ext` decodes.

use jelou_ext::retry::RetryPolicy;
use jelou_ext::{
    Attributes, ChatInput, Error, HistoryQuery, Jelou, Language, Message, NewUser, UserQuery,
};
use jelou_sandbox::{
    DEMO_BOT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PHONE, DEMO_USER_ID, RunningSandbox,
    Sandbox, Seed,
};
use serde_json::{Value, json};

async fn demo() -> RunningSandbox {
    Sandbox::new(Seed::demo())
        .start("127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the sandbox starts")
}

fn client(sandbox: &RunningSandbox, secret: &str) -> Jelou {
    Jelou::builder()
        .base_url(sandbox.base_url())
        .credentials(DEMO_CLIENT_ID, secret)
        .build()
        .expect("builds")
}

fn api(error: &Error) -> &jelou_ext::ApiError {
    error
        .api()
        .unwrap_or_else(|| panic!("expected an API error, got {error:?}"))
}

#[tokio::test]
async fn every_operation_answers_in_the_documented_shape_and_keeps_state() {
    let sandbox = demo().await;
    let jelou = client(&sandbox, DEMO_CLIENT_SECRET);

    let cache = jelou
        .get_cache(DEMO_PHONE, Some(DEMO_BOT))
        .await
        .expect("cache");
    assert_eq!(cache.get("orderNumber"), Some(&json!("ORD-12345")));
    let params = [
        ("groupId".to_owned(), json!("grp-1")),
        ("orderNumber".to_owned(), json!("ORD-2")),
    ];
    jelou
        .set_cache(DEMO_PHONE, DEMO_BOT, params.into_iter().collect())
        .await
        .expect("set");
    let cache = jelou.get_cache(DEMO_PHONE, None).await.expect("merged");
    assert_eq!(
        Value::Object(cache),
        json!({"groupId": "grp-1", "orderNumber": "ORD-2"})
    );

    let sent = jelou
        .send_message(DEMO_BOT, &Message::text(DEMO_PHONE, "¿Todo bien?"))
        .await
        .expect("sent");
    assert_eq!(sent.message_id, "msg_000000001");
    let page = jelou
        .history_page(
            DEMO_BOT,
            &HistoryQuery {
                limit: Some(2),
                page: 2,
                ..HistoryQuery::default()
            },
        )
        .await
        .expect("history");
    assert_eq!(
        (
            page.pagination.total,
            page.pagination.total_pages,
            page.pagination.offset
        ),
        (4, 2, Some(2))
    );
    assert_eq!(
        page.results.last().map(|m| m.message_id.as_str()),
        Some("msg_000000001")
    );
    let only = jelou
        .history_page(
            DEMO_BOT,
            &HistoryQuery {
                message_id: Some("msg-demo-0002".into()),
                ..HistoryQuery::default()
            },
        )
        .await
        .expect("filtered");
    assert_eq!(only.results.len(), 1);
    let ranged = jelou
        .history_page(
            DEMO_BOT,
            &HistoryQuery {
                start_at: Some("2025-01-15T10:32:00Z".into()),
                end_at: Some("2025-01-15".into()),
                ..HistoryQuery::default()
            },
        )
        .await
        .expect("ranged");
    assert_eq!(ranged.pagination.total, 2);

    let created = jelou
        .create_user(&NewUser::with_user_id(
            "ext-42",
            Attributes::new().with("default_city", "Quito"),
        ))
        .await
        .expect("created");
    let new_id = created[0].id.clone().expect("an id");
    assert_eq!(new_id.len(), 24);
    let list = jelou
        .list_users(&UserQuery {
            filters: vec![json!({"field": "default_city", "value": "Quito"})],
            ..UserQuery::default()
        })
        .await
        .expect("listed");
    assert_eq!(
        list.data.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        [new_id.as_str()]
    );
    let after = jelou
        .list_users(&UserQuery {
            after: Some(DEMO_USER_ID.into()),
            ..UserQuery::default()
        })
        .await
        .expect("after the cursor");
    assert_eq!(after.data.len(), 1);
    jelou
        .update_user(&new_id, &Attributes::new().with("default_name", "Ana"))
        .await
        .expect("updated");
    jelou
        .update_session(
            &new_id,
            "session-0001",
            &Attributes::new().with("step", "2"),
        )
        .await
        .expect("session");
    let user = jelou.get_user(&new_id).await.expect("read back");
    let name = user
        .attributes
        .as_ref()
        .and_then(|a| a.get("default_name").cloned().flatten());
    assert_eq!(name.as_deref(), Some("Ana"));
    assert_eq!(
        user.session_attributes.get("step"),
        Some(&Some("2".to_owned()))
    );

    let answer = jelou
        .chat(&ChatInput::new("session-0001").query("hola"))
        .await
        .expect("chat");
    let result = answer.result.expect("a result");
    assert_eq!(
        result.interaction.and_then(|i| i.name).as_deref(),
        Some("greeting")
    );
    assert_eq!(result.fulfillment.len(), 1);
}

#[tokio::test]
async fn a_user_without_a_cache_gets_the_documented_logic_error() {
    let sandbox = demo().await;
    let error = client(&sandbox, DEMO_CLIENT_SECRET)
        .get_cache("111", None)
        .await
        .expect_err("no cache");
    assert!(api(&error).is_logic_failure());
}

#[tokio::test]
async fn wrong_credentials_get_the_bare_401() {
    let sandbox = demo().await;
    let error = client(&sandbox, "wrong")
        .get_user(DEMO_USER_ID)
        .await
        .expect_err("401");
    let api = api(&error);
    assert_eq!(api.status().as_u16(), 401);
    assert_eq!(api.messages(), ["Authentication failed"]);
}

#[tokio::test]
async fn an_unknown_bot_gets_bot_not_found() {
    let sandbox = demo().await;
    let jelou = client(&sandbox, DEMO_CLIENT_SECRET);
    let error = jelou
        .send_message("no-such-bot", &Message::text(DEMO_PHONE, "hola"))
        .await
        .expect_err("404");
    let api = api(&error);
    assert_eq!(
        (api.status().as_u16(), api.code(), api.key()),
        (404, Some("E1019"), Some("BOT_NOT_FOUND"))
    );
    assert_eq!(
        api.client_message(Language::Portuguese),
        Some("A Bot não pôde ser encontrada no momento.")
    );
}

#[tokio::test]
async fn invalid_input_gets_validator_error_in_three_languages() {
    let sandbox = demo().await;
    let jelou = client(&sandbox, DEMO_CLIENT_SECRET);
    let error = jelou
        .history_page(
            DEMO_BOT,
            &HistoryQuery {
                start_at: Some("yesterday".into()),
                ..HistoryQuery::default()
            },
        )
        .await
        .expect_err("422");
    let api = api(&error);
    assert_eq!(
        (api.status().as_u16(), api.code(), api.key()),
        (422, Some("E0422"), Some("VALIDATOR_ERROR"))
    );
    assert_eq!(
        api.field_messages("startAt", Language::Spanish),
        ["el campo startAt debe ser una fecha"]
    );
    assert_eq!(
        api.field_messages("startAt", Language::English),
        ["the startAt field must be a Date"]
    );
    assert_eq!(
        api.field_messages("startAt", Language::Portuguese),
        ["o campo startAt deve ser uma data"]
    );
}

#[tokio::test]
async fn a_sixth_request_within_a_second_gets_429_with_retry_after() {
    let sandbox = demo().await;
    let unlimited = Jelou::builder()
        .base_url(sandbox.base_url())
        .credentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .disable_rate_limit()
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("builds");
    for _ in 0..5 {
        unlimited
            .get_user(DEMO_USER_ID)
            .await
            .expect("within the limit");
    }
    let error = unlimited
        .get_user(DEMO_USER_ID)
        .await
        .expect_err("the sixth");
    let api = api(&error);
    assert_eq!(
        (api.status().as_u16(), api.code(), api.key()),
        (429, Some("E0429"), Some("TOO_MANY_REQUESTS"))
    );
    assert_eq!(api.retry_after(), Some(std::time::Duration::from_secs(1)));

    // The rate-limited client keeps to five per second and never sees a 429.
    let limited = client(&sandbox, DEMO_CLIENT_SECRET);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for _ in 0..7 {
        limited.get_user(DEMO_USER_ID).await.expect("spaced out");
    }
}

/// Method, URL, body, the status expected and the field the envelope must name.
type BadRequest = (
    reqwest::Method,
    String,
    Option<String>,
    u16,
    Option<&'static str>,
);

#[tokio::test]
async fn bad_input_of_any_kind_gets_an_envelope() {
    let sandbox = demo().await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", sandbox.base_url());
    let title_25 = json!({"type": "text", "userId": "u", "text": "t", "options": [{"title": "Opción número veinticinco"}]});
    let eleven: Vec<Value> = (0..11).map(|i| json!({"title": format!("o{i}")})).collect();
    let cases: Vec<BadRequest> = vec![
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some("not json".into()),
            422,
            Some("body"),
        ),
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some(String::new()),
            422,
            Some("body"),
        ),
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some(title_25.to_string()),
            422,
            Some("options[0].title"),
        ),
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some(
                json!({"type": "text", "userId": "u", "text": "t", "options": eleven}).to_string(),
            ),
            422,
            Some("options"),
        ),
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some(r#"{"type":"carta","userId":"u","text":"t"}"#.into()),
            422,
            Some("type"),
        ),
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some(r#"{"type":"video","userId":"u","text":"t"}"#.into()),
            422,
            Some("mediaUrl"),
        ),
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some(r#"{"type":"image","userId":"u","mediaUrl":"http://e.com/a.png"}"#.into()),
            422,
            Some("mediaUrl"),
        ),
        (
            reqwest::Method::POST,
            url("/v1/bots/demo-bot/messages"),
            Some(format!(
                "{{\"type\":\"text\",\"userId\":\"u\",\"text\":\"{}\"}}",
                "x".repeat(2 * 1024 * 1024)
            )),
            413,
            None,
        ),
        (
            reqwest::Method::GET,
            url("/v1/external/messages/history/demo-bot?limit=abc&page=1"),
            None,
            422,
            Some("limit"),
        ),
        (
            reqwest::Method::GET,
            url("/v1/external/messages/history/demo-bot?page=1"),
            None,
            422,
            Some("limit"),
        ),
        (
            reqwest::Method::GET,
            url("/users?limit=41"),
            None,
            422,
            Some("limit"),
        ),
        (
            reqwest::Method::GET,
            url("/users?filters=%7Bnot"),
            None,
            422,
            Some("filters"),
        ),
        (
            reqwest::Method::GET,
            url("/users?filters=%5B%5D"),
            None,
            422,
            Some("filters"),
        ),
        (
            reqwest::Method::GET,
            url("/users?filters=%5B1%2C2%2C3%2C4%2C5%2C6%5D"),
            None,
            422,
            Some("filters"),
        ),
        (reqwest::Method::GET, url("/users/nobody"), None, 404, None),
        (reqwest::Method::GET, url("/no/such/path"), None, 404, None),
        // A path of the API with a method it does not take there: 405, with `Allow`.
        (reqwest::Method::DELETE, url("/users"), None, 405, None),
        (
            reqwest::Method::POST,
            url("/query"),
            Some(r#"{"sessionId":"session-0001"}"#.into()),
            422,
            Some("query"),
        ),
    ];
    for (method, url, body, status, field) in cases {
        // A fresh second for each case: the rate limit is not what is tested here.
        tokio::time::sleep(std::time::Duration::from_millis(210)).await;
        let mut request = http
            .request(method.clone(), &url)
            .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("an answer");
        assert_eq!(response.status().as_u16(), status, "{method} {url}");
        if status == 405 {
            assert_eq!(
                response.headers().get("allow").map(|v| v.as_bytes()),
                Some(&b"GET, POST"[..]),
                "{method} {url}"
            );
        }
        let envelope: jelou_ext::types::ApiError = response.json().await.expect("an envelope");
        assert_eq!(
            envelope.status_message.as_deref(),
            Some("failed"),
            "{method} {url}"
        );
        if let Some(field) = field {
            assert!(
                envelope.validation_error.contains_key(field),
                "{method} {url}: {:?}",
                envelope.validation_error.keys()
            );
        }
    }
}

/// What a tool generating requests from the spec found the sandbox accepting although the
/// spec and the SDK refuse it: each is now a 422 naming the field, from the spec's own rules.
#[tokio::test]
async fn requests_the_spec_refuses_are_refused_with_the_field_named() {
    let sandbox = demo().await;
    let http = reqwest::Client::new();
    let attributes = |map: Value| json!({"attributes": map});
    let too_many: serde_json::Map<String, Value> =
        (0..100).map(|i| (format!("k{i}"), json!("v"))).collect();
    let message = |extra: Value| {
        let mut body = json!({"type": "text", "userId": "u", "text": "hola"});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        body
    };
    let cases = [
        (
            "/v1/bots/demo-bot/messages",
            message(json!({"title": null})),
            "title",
        ),
        (
            "/v1/bots/demo-bot/messages",
            message(json!({"options": []})),
            "options",
        ),
        (
            &format!("/users/{DEMO_USER_ID}"),
            attributes(json!({})),
            "attributes",
        ),
        (
            &format!("/users/{DEMO_USER_ID}"),
            attributes(Value::Object(too_many)),
            "attributes",
        ),
        (
            &format!("/users/{DEMO_USER_ID}"),
            attributes(json!({"a.b": "v"})),
            "attributes",
        ),
        (
            &format!("/users/{DEMO_USER_ID}"),
            attributes(json!({"ñ": "v"})),
            "attributes",
        ),
        (
            &format!("/users/{DEMO_USER_ID}"),
            attributes(json!({"": "v"})),
            "attributes",
        ),
    ];
    for (path, body, field) in cases {
        tokio::time::sleep(std::time::Duration::from_millis(210)).await;
        let method = if path.starts_with("/users") {
            reqwest::Method::PUT
        } else {
            reqwest::Method::POST
        };
        let response = http
            .request(method, format!("{}{path}", sandbox.base_url()))
            .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
            .json(&body)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status().as_u16(), 422, "{path} {body}");
        let envelope: jelou_ext::types::ApiError = response.json().await.expect("an envelope");
        let messages = envelope
            .validation_error
            .get(field)
            .unwrap_or_else(|| panic!("{body}: {:?}", envelope.validation_error.keys()));
        let english = messages[0].en.as_deref().unwrap_or_default();
        assert!(
            english.starts_with(&format!("the {field} field must be ")),
            "{body}: {english}"
        );
    }
}

/// Answers never hold `null` where the spec says string, and a segment is listed once.
#[tokio::test]
async fn answers_leave_out_what_they_do_not_know_and_list_a_segment_once() {
    let sandbox = demo().await;
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{}{path}", sandbox.base_url()))
            .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(210)).await;
            let response = request.send().await.expect("an answer");
            assert!(response.status().is_success(), "{}", response.status());
            response.json::<Value>().await.expect("JSON")
        }
    };
    let segment = "5b7ff847cc3c3fb33c9249a9";
    let new_user = json!({
        "attributes": {"default_email": "ana@example.com"},
        "segments": [segment]
    });
    let created = call(
        reqwest::Method::POST,
        "/users".into(),
        Some(new_user.clone()),
    )
    .await;
    let again = call(reqwest::Method::POST, "/users".into(), Some(new_user)).await;
    assert_eq!(
        created[0]["id"], again[0]["id"],
        "the same e-mail is the same user"
    );
    let id = created[0]["id"].as_str().expect("an id").to_owned();
    let user = call(reqwest::Method::GET, format!("/users/{id}"), None).await;
    assert!(user.get("userId").is_none(), "{user}");
    assert_eq!(user["segments"], json!([{"id": segment}]), "{user}");
    let chat = call(
        reqwest::Method::POST,
        "/query".into(),
        Some(json!({"sessionId": "session-0001", "query": "hola"})),
    )
    .await;
    assert!(chat["result"].get("storyId").is_none(), "{chat}");
}

/// A user switched to `manual` gets no answer from the bot until switched back to `auto`.
#[tokio::test]
async fn a_user_in_manual_state_gets_no_bot_answers() {
    let sandbox = demo().await;
    let jelou = client(&sandbox, DEMO_CLIENT_SECRET);
    let session = "demo-session-1";
    jelou
        .update_session(
            DEMO_USER_ID,
            session,
            &jelou_ext::Attributes::new().with("step", "start"),
        )
        .await
        .expect("the session is the demo user's");
    let answers = |reply: jelou_ext::types::ChatQueryResponse| {
        reply.result.map_or(0, |result| result.fulfillment.len())
    };
    let chat = ChatInput::new(session).query("hola");
    assert_eq!(answers(jelou.chat(&chat).await.expect("chat")), 1);

    let state = |state: &str| {
        jelou_ext::JsonRequest::new().body(json!({
            "botId": DEMO_BOT, "userId": DEMO_PHONE, "state": state, "ttl": 3600,
        }))
    };
    let manual = jelou
        .send_json("user_state_set", state("manual"))
        .await
        .expect("switched");
    assert_eq!(manual["state"], "manual");
    let read = jelou
        .send(jelou.raw().user_state_get().user_id(DEMO_PHONE))
        .await
        .expect("read");
    assert_eq!(read.state.as_deref(), Some("manual"));
    assert_eq!(answers(jelou.chat(&chat).await.expect("chat")), 0);

    jelou
        .send_json("user_state_set", state("auto"))
        .await
        .expect("switched back");
    assert_eq!(answers(jelou.chat(&chat).await.expect("chat")), 1);

    let unknown = jelou
        .send(jelou.raw().user_state_get().user_id("111"))
        .await
        .expect_err("unknown user");
    assert_eq!(api(&unknown).status().as_u16(), 404);
}

#[tokio::test]
async fn every_kind_of_message_and_every_template_send_lands_in_the_history() {
    use jelou_ext::TemplateSend;

    let sandbox = demo().await;
    let jelou = client(&sandbox, DEMO_CLIENT_SECRET);
    let to = DEMO_PHONE;
    let kinds = [
        Message::image(to, "https://example.com/a.png").caption("Foto"),
        Message::quick_reply(to, "¿Seguimos?")
            .reply("Sí")
            .reply("No"),
        Message::location(to, -0.18, -78.47),
        Message::template(to, "TEMPLATE_ID").parameter("nombre", "Ana"),
    ];
    for message in &kinds {
        jelou.send_message(DEMO_BOT, message).await.expect("sent");
    }
    let sent = jelou
        .send_template(
            DEMO_BOT,
            &TemplateSend::new("recordatorio_cita")
                .to("593999999999")
                .to("593988888888")
                .parameter("Ana"),
        )
        .await
        .expect("sent");
    let destinations: Vec<_> = sent.iter().filter_map(|s| s.destination.clone()).collect();
    assert_eq!(destinations, ["593999999999", "593988888888"]);
    assert!(sent.iter().all(|s| s.id.is_some()), "{sent:?}");

    let page = jelou
        .history_page(
            DEMO_BOT,
            &HistoryQuery {
                limit: Some(50),
                ..HistoryQuery::default()
            },
        )
        .await
        .expect("history");
    let bubbles: Vec<Value> = page
        .results
        .iter()
        .skip(3) // the demo's three messages
        .map(|m| serde_json::to_value(m.bubble.as_ref().expect("a bubble")).expect("json"))
        .collect();
    let kinds: Vec<&str> = bubbles
        .iter()
        .map(|b| b["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["IMAGE", "QUICK_REPLY", "LOCATION", "TEMPLATE", "HSM", "HSM"]
    );
    assert_eq!(bubbles[0]["mediaUrl"], "https://example.com/a.png");
    assert_eq!(bubbles[0]["text"], "Foto");
    assert_eq!(
        bubbles[2]["coordinates"],
        json!({"lat": -0.18, "long": -78.47})
    );
    assert_eq!(bubbles[4]["elementName"], "recordatorio_cita");
    let recipients: Vec<_> = page.results[7..]
        .iter()
        .map(|m| m.recipient.as_ref().and_then(|r| r.id.clone()))
        .collect();
    assert_eq!(
        recipients,
        [
            Some("593999999999".to_owned()),
            Some("593988888888".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_created_template_is_listed_as_pending_beside_the_approved_one() {
    use jelou_ext::JsonRequest;

    let sandbox = demo().await;
    let jelou = client(&sandbox, DEMO_CLIENT_SECRET);
    jelou
        .send_json(
            "template_create",
            JsonRequest::new().path("botId", DEMO_BOT).body(json!({
                "elementName": "pedido_enviado", "category": "UTILITY",
                "template": "Tu pedido {{1}} va en camino.",
            })),
        )
        .await
        .expect("created");
    let list = |query: &'static [(&'static str, &'static str)]| {
        let jelou = jelou.clone();
        async move {
            let mut request = JsonRequest::new().path("botId", DEMO_BOT);
            for (name, value) in query {
                request = request.query(*name, *value);
            }
            let answer = jelou
                .send_json("template_list", request)
                .await
                .expect("listed");
            answer["data"]
                .as_array()
                .expect("a list")
                .iter()
                .map(|t| {
                    format!(
                        "{} {}",
                        t["elementName"].as_str().unwrap_or("?"),
                        t["status"].as_str().unwrap_or("?")
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(&[]).await,
        ["recordatorio_cita APPROVED", "pedido_enviado PENDING"]
    );
    assert_eq!(
        list(&[("status", "PENDING")]).await,
        ["pedido_enviado PENDING"]
    );
    assert_eq!(
        list(&[("query", "cita")]).await,
        ["recordatorio_cita APPROVED"]
    );
    assert!(list(&[("category", "MARKETING")]).await.is_empty());
}

#[tokio::test]
async fn rows_are_written_read_updated_paged_and_deleted_under_the_database_schema() {
    use futures_util::TryStreamExt;
    use jelou_ext::JsonRequest;

    let sandbox = demo().await;
    let jelou = client(&sandbox, DEMO_CLIENT_SECRET);
    let database = "123456789";
    let create = |fields: Value| {
        JsonRequest::new()
            .path("databaseId", database)
            .body(json!({ "fields": fields }))
    };
    let missing = jelou
        .send_json("row_create", create(json!({"total": "1"})))
        .await
        .expect_err("name is required");
    assert_eq!(api(&missing).status().as_u16(), 422);
    assert!(
        !api(&missing)
            .field_messages("fields.name", Language::English)
            .is_empty(),
        "{missing:?}"
    );
    let unknown = jelou
        .send_json(
            "row_create",
            create(json!({"total": "1", "name": "x", "color": "red"})),
        )
        .await
        .expect_err("no such field");
    assert!(
        !api(&unknown)
            .field_messages("fields.color", Language::English)
            .is_empty(),
        "{unknown:?}"
    );

    let mut ids = Vec::new();
    for n in 0..3 {
        let row = jelou
            .send_json(
                "row_create",
                create(json!({"total": n.to_string(), "name": format!("n{n}")})),
            )
            .await
            .expect("created");
        ids.push(row["data"]["_id"].as_str().expect("an id").to_owned());
    }
    let row = |id: &str| {
        JsonRequest::new()
            .path("databaseId", database)
            .path("rowId", id)
    };
    jelou
        .send_json(
            "row_update",
            row(&ids[0]).body(json!({"fields": {"total": "99"}})),
        )
        .await
        .expect("updated");
    let read = jelou
        .send_json("row_get", row(&ids[0]))
        .await
        .expect("read");
    assert_eq!(read["data"]["total"], "99");
    assert_eq!(read["data"]["name"], "n0", "the other fields stay");

    // Two rows a page: two pages, newest first, every field kept.
    let rows: Vec<_> = jelou.rows(database, 2).try_collect().await.expect("rows");
    let names: Vec<_> = rows
        .iter()
        .map(|r| {
            r.extra
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(names, ["n2", "n1", "n0"]);

    jelou
        .send_json("row_delete", row(&ids[1]))
        .await
        .expect("deleted");
    let gone = jelou
        .send_json("row_get", row(&ids[1]))
        .await
        .expect_err("deleted");
    assert_eq!(api(&gone).status().as_u16(), 404);
    let nowhere = jelou
        .send_json(
            "row_list",
            JsonRequest::new().path("databaseId", "no-such-db"),
        )
        .await
        .expect_err("no such database");
    assert_eq!(api(&nowhere).status().as_u16(), 404);
}

/// A client of the sandbox's panel: the project's key and the sandbox's panel hosts. Every
/// such client shares one rate limiter: the sandbox counts the account's requests together.
fn panel_client(
    sandbox: &RunningSandbox,
    api_key: Option<&str>,
    limiter: &std::sync::Arc<dyn jelou_ext::RateLimiter>,
) -> Jelou {
    let mut builder = Jelou::builder()
        .base_url(sandbox.base_url())
        .rate_limiter(std::sync::Arc::clone(limiter));
    builder = match api_key {
        Some(key) => builder.api_key(key),
        None => builder.credentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    };
    for (server, base_url) in sandbox.server_base_urls() {
        builder = builder.server_base_url(server, base_url);
    }
    builder
        .retry_policy(RetryPolicy::default().with_max_retries(0))
        .build()
        .expect("builds")
}

#[tokio::test]
async fn the_panel_connects_hands_over_replies_signed_and_closes() {
    use jelou_ext::{PanelReply, SigningSecret};
    use jelou_sandbox::{DEMO_API_KEY, DEMO_PROJECT};

    let sandbox = demo().await;
    let limiter: std::sync::Arc<dyn jelou_ext::RateLimiter> = std::sync::Arc::new(
        jelou_ext::SlidingWindowLimiter::new(jelou_ext::RateLimit::JELOU),
    );
    let jelou = panel_client(&sandbox, Some(DEMO_API_KEY), &limiter);
    let created = jelou
        .send_json(
            "panel_integration_create",
            jelou_ext::JsonRequest::new()
                .path("projectId", DEMO_PROJECT)
                .body(json!({"webhookUrl": "https://example.com/hook", "authType": "bearer", "authorization": "tok-1"})),
        )
        .await
        .expect("created");
    let secret = created["signingSecret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    assert_eq!(secret.len(), 64, "{created}");
    let read = jelou
        .send_json(
            "panel_integration_get",
            jelou_ext::JsonRequest::new().path("projectId", DEMO_PROJECT),
        )
        .await
        .expect("read");
    assert_eq!(read["data"]["webhookUrl"], "https://example.com/hook");
    assert!(
        read["data"].get("signingSecret").is_none() && read["data"].get("authorization").is_none(),
        "{read}"
    );

    // Basic works too, and another project's key opens nothing.
    let account = panel_client(&sandbox, None, &limiter);
    account
        .send_json(
            "panel_integration_get",
            jelou_ext::JsonRequest::new().path("projectId", DEMO_PROJECT),
        )
        .await
        .expect("Basic");
    let stranger = panel_client(&sandbox, Some("not-a-key"), &limiter);
    let error = stranger
        .send_json(
            "panel_integration_get",
            jelou_ext::JsonRequest::new().path("projectId", DEMO_PROJECT),
        )
        .await
        .expect_err("unknown key");
    assert_eq!(api(&error).status().as_u16(), 401);

    let start = |user: &str| {
        jelou_ext::JsonRequest::new()
            .path("projectId", DEMO_PROJECT)
            .body(json!({"botId": DEMO_BOT, "userId": user, "initialMessage": "Un agente te atiende"}))
    };
    let started = jelou
        .send_json("panel_conversation_start", start(DEMO_PHONE))
        .await
        .expect("started");
    let conversation = started["data"]["_id"].as_str().expect("an id").to_owned();
    let room = started["data"]["roomId"]
        .as_str()
        .expect("a room")
        .to_owned();
    let again = jelou
        .send_json("panel_conversation_start", start(DEMO_PHONE))
        .await
        .expect_err("already active");
    assert_eq!(api(&again).status().as_u16(), 422);

    // The reply is refused unsigned or signed with another secret, and accepted signed.
    let reply =
        PanelReply::new(DEMO_PROJECT, room.as_str(), DEMO_BOT, DEMO_PHONE).text("Hola, soy Ana");
    let error = jelou
        .send_panel_message(&reply)
        .await
        .expect_err("no secret");
    assert!(error.to_string().contains("signing secret"), "{error}");
    jelou.set_signing_secret(SigningSecret::new("another").expect("secret"));
    let error = jelou
        .send_panel_message(&reply)
        .await
        .expect_err("wrong secret");
    assert_eq!(api(&error).status().as_u16(), 401);
    jelou.set_signing_secret(SigningSecret::new(secret).expect("secret"));
    jelou.send_panel_message(&reply).await.expect("sent");
    let history = jelou
        .history_page(
            DEMO_BOT,
            &HistoryQuery {
                limit: Some(50),
                ..HistoryQuery::default()
            },
        )
        .await;
    // The API key opens the panel only: the history needs the account.
    assert!(history.is_err());
    let texts: Vec<String> = account
        .history_page(
            DEMO_BOT,
            &HistoryQuery {
                limit: Some(50),
                ..HistoryQuery::default()
            },
        )
        .await
        .expect("history")
        .results
        .iter()
        .filter_map(|m| m.bubble.as_ref()?.text.clone())
        .collect();
    assert!(
        texts.ends_with(&[
            "Un agente te atiende".to_owned(),
            "Hola, soy Ana".to_owned()
        ]),
        "{texts:?}"
    );

    let closed = jelou
        .send_json(
            "panel_conversation_close",
            jelou_ext::JsonRequest::new()
                .path("projectId", DEMO_PROJECT)
                .body(json!({"botId": DEMO_BOT, "userId": DEMO_PHONE, "redirectPayload": {"type": "text", "text": "Gracias"}})),
        )
        .await
        .expect("closed");
    assert_eq!(closed["data"]["state"], "closed");
    let read = jelou
        .send_json(
            "panel_conversation_get",
            jelou_ext::JsonRequest::new()
                .path("projectId", DEMO_PROJECT)
                .path("conversationId", conversation.as_str()),
        )
        .await
        .expect("read");
    assert_eq!(
        (read["data"]["state"].as_str(), read["data"]["_id"].as_str()),
        (Some("closed"), Some(conversation.as_str()))
    );
    let error = jelou
        .send_panel_message(&reply)
        .await
        .expect_err("closed conversation");
    assert_eq!(api(&error).status().as_u16(), 404);
}
