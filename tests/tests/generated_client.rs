//! The bare generated client, one operation at a time: it sends the documented method, path,
//! query, headers and body, and decodes the documented example answer.

use std::num::NonZeroU32;

use httpmock::MockServer;
use jelou_client::types;
use jelou_client_httpmock::MockServerExt;
use jelou_conformance::{EXPECTED_AUTHORIZATION, fixture, fixture_as, generated_client};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("test values are positive")
}

#[tokio::test]
async fn cache_get_reads_the_users_cache() {
    let server = MockServer::start_async().await;
    let mock = server.cache_get(|when, then| {
        when.user_id("593987654321")
            .bot_id(None)
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("accept", "application/json");
        then.ok(&fixture_as("cache_get.200.json"));
    });

    let cache = generated_client(&server.base_url())
        .cache_get()
        .user_id("593987654321")
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(cache.get("groupId"), Some(&"grp-67890".into()));
    assert_eq!(cache.get("orderNumber"), Some(&"ORD-12345".into()));
    assert_eq!(cache.len(), 2);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn cache_set_posts_params_and_bot_id() {
    let server = MockServer::start_async().await;
    let body: types::CacheSetRequest = fixture_as("cache_set.request.json");
    let mock = server.cache_set(|when, then| {
        when.user_id("593987654321")
            .body(&body)
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("content-type", "application/json")
            .json_body(fixture("cache_set.request.json"));
        then.ok(&fixture_as("cache_set.200.json"));
    });

    let answer = generated_client(&server.base_url())
        .cache_set()
        .user_id("593987654321")
        .body(body.clone())
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(answer.status.as_deref(), Some("success"));
    assert_eq!(
        answer.message,
        vec!["User cache set successfully.".to_owned()]
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn message_send_posts_the_documented_payload() {
    let server = MockServer::start_async().await;
    let mock = server.message_send(|when, then| {
        when.bot_id("BOT_ID")
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("content-type", "application/json")
            .json_body(fixture("message_send.request.json"));
        then.ok(&fixture_as("message_send.200.json"));
    });

    let body = types::MessageSendRequest::builder()
        .type_(types::MessageType::Text)
        .text("Por favor selecciona una opción")
        .user_id("USER_ID")
        .title(Some("Elige una opción".to_owned()))
        .button_text(Some(
            types::MessageButtonText::builder()
                .type_(types::ButtonContentType::Text)
                .text("Ver Opciones".to_owned())
                .try_into()
                .expect("valid button"),
        ))
        .options(
            [1, 2, 3]
                .iter()
                .zip(["primera", "segunda", "tercera"])
                .map(|(n, nth)| {
                    types::MessageOption::builder()
                        .id(Some(format!("option_{n}")))
                        .title(
                            format!("Opción {n}")
                                .parse::<types::MessageOptionTitle>()
                                .expect("short"),
                        )
                        .description(Some(
                            format!("Esta es la {nth} opción").parse().expect("short"),
                        ))
                        .try_into()
                        .expect("valid option")
                })
                .collect::<Vec<types::MessageOption>>(),
        );
    let sent = generated_client(&server.base_url())
        .message_send()
        .bot_id("BOT_ID")
        .body(body)
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(sent.success, Some(true));
    assert_eq!(sent.message_id, "msg_123456789");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn history_list_sends_limit_and_page_and_decodes_a_page() {
    let server = MockServer::start_async().await;
    let mock = server.history_list(|when, then| {
        when.bot_id("BOT_ID")
            .limit(nz(10))
            .page(nz(1))
            .start_at(None)
            .end_at(None)
            .client_id(None)
            .message_id(None)
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION);
        then.ok(&fixture_as("history_list.200.json"));
    });

    let page = generated_client(&server.base_url())
        .history_list()
        .bot_id("BOT_ID")
        .limit(nz(10))
        .page(nz(1))
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    let pagination = &page.pagination;
    assert_eq!(
        (
            pagination.limit,
            pagination.page,
            pagination.total,
            pagination.offset,
            pagination.total_pages
        ),
        (10, 1, 1, Some(0), 1)
    );
    assert_eq!(page.results.len(), 1);
    let message = &page.results[0];
    assert_eq!(message.message_id, "msg-12345-67890-4a38-abcde-fghij");
    assert_eq!(message.by.as_deref(), Some("bot"));
    assert_eq!(message.status.as_deref(), Some("DELIVERED_USER"));
    assert_eq!(
        message.created_at.as_deref(),
        Some("2025-01-15T10:30:00.000Z")
    );
    let recipient = message.recipient.as_ref().expect("recipient");
    assert_eq!(recipient.id.as_deref(), Some("1234567890"));
    assert_eq!(recipient.names.as_deref(), Some("John Doe"));
    let sender = message.sender.as_ref().expect("sender");
    assert_eq!(sender.id.as_deref(), Some("bot-12345-67890-abcde-fghij"));
    assert_eq!(sender.name.as_deref(), Some("Your Company Bot"));
    assert_eq!(sender.type_.as_deref(), Some("Whatsapp"));
    let bubble = message.bubble.as_ref().expect("bubble");
    assert_eq!(bubble.type_.as_deref(), Some("TEXT"));
    assert_eq!(bubble.text.as_deref(), Some("Hello, welcome to Jelou"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn history_list_sends_every_filter_when_set() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET")
            .path("/v1/external/messages/history/bot%201")
            .query_param("limit", "40")
            .query_param("page", "3")
            .query_param("startAt", "2025-01-15")
            .query_param("endAt", "2025-01-16T00:00:00.000Z")
            .query_param("clientId", "593987654321")
            .query_param("messageId", "msg-1");
        then.status(200).json_body(fixture("history_list.200.json"));
    });

    generated_client(&server.base_url())
        .history_list()
        .bot_id("bot 1")
        .limit(nz(40))
        .page(nz(3))
        .start_at("2025-01-15")
        .end_at("2025-01-16T00:00:00.000Z")
        .client_id("593987654321")
        .message_id("msg-1")
        .send()
        .await
        .expect("the documented answer decodes");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_create_posts_the_user_and_decodes_the_result_list() {
    let server = MockServer::start_async().await;
    let body: types::UserCreateRequest = fixture_as("user_create.request.json");
    let mock = server.user_create(|when, then| {
        when.body(&body)
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("content-type", "application/json")
            .json_body(fixture("user_create.request.json"));
        then.ok(&fixture_as("user_create.200.json"));
    });

    let created = generated_client(&server.base_url())
        .user_create()
        .body(body.clone())
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(created.len(), 1);
    let result = &created[0];
    assert_eq!(result.id.as_deref(), Some("<ID>"));
    assert_eq!(
        result.timestamp.as_deref(),
        Some("2018-01-19T11:55:07.552Z")
    );
    let status = result.status.as_ref().expect("status");
    assert_eq!(
        (status.code, status.type_.as_deref()),
        (Some(200), Some("success"))
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_list_sends_sort_match_and_paging_and_decodes_users() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET")
            .path("/users")
            .header("authorization", EXPECTED_AUTHORIZATION)
            .query_param("limit", "40")
            .query_param("after", "5c46d514bda7873576a30c48")
            .query_param("sort[field]", "lastSeen")
            .query_param("sort[order]", "asc")
            .query_param("match", "any")
            .query_param("filters", "[{\"field\":\"default_city\"}]");
        then.status(200).json_body(fixture("user_list.200.json"));
    });

    let list = generated_client(&server.base_url())
        .user_list()
        .limit(nz(40))
        .after("5c46d514bda7873576a30c48")
        .sort_field(types::UserSortField::LastSeen)
        .sort_order(types::SortOrder::Asc)
        .match_(types::FilterMatch::Any)
        .filters("[{\"field\":\"default_city\"}]")
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(list.count, Some(1));
    let user = &list.data[0];
    assert_eq!(user.id, "5b7ff8476fcccc33c9249a8");
    assert_eq!(
        user.user_id.as_deref(),
        Some("0735887f-6ba5-cccc-908e-6c84d093f317")
    );
    assert_eq!(user.banned, Some(false));
    assert_eq!(user.conversations, Some(0));
    assert_eq!(user.created_at.as_deref(), Some("2019-01-23 13:32:30.163Z"));
    assert_eq!(user.last_seen.as_deref(), Some("2019-01-23 13:32:30.163Z"));
    let attributes = user.attributes.as_ref().expect("attributes");
    assert_eq!(
        attributes.get("default_email"),
        Some(&Some("joe@doe.com".to_owned()))
    );
    assert_eq!(
        attributes.get("default_name"),
        Some(&Some("Joe".to_owned()))
    );
    assert_eq!(attributes.get("default_url"), Some(&None));
    assert_eq!(attributes.len(), 13);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_list_omits_unset_parameters() {
    let server = MockServer::start_async().await;
    let mock = server.user_list(|when, then| {
        when.limit(None)
            .after(None)
            .sort_field(None)
            .sort_order(None)
            .match_(None)
            .filters(None);
        then.ok(&fixture_as("user_list.200.json"));
    });
    generated_client(&server.base_url())
        .user_list()
        .send()
        .await
        .expect("decodes");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_get_reads_one_user_with_session_conversations_and_segments() {
    let server = MockServer::start_async().await;
    let mock = server.user_get(|when, then| {
        when.id("5b7ff847cc3c3fb33c9249a8")
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION);
        then.ok(&fixture_as("user_get.200.json"));
    });

    let user = generated_client(&server.base_url())
        .user_get()
        .id("5b7ff847cc3c3fb33c9249a8")
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(user.id, "5b7ff847cc3c3fb33c9249a8");
    assert_eq!(
        user.session_attributes.get("group-selected"),
        Some(&Some("14".to_owned()))
    );
    assert_eq!(user.conversations.len(), 1);
    let conversation = &user.conversations[0];
    assert_eq!(conversation.id.as_deref(), Some("5c486e62bda7873576a379e4"));
    assert_eq!(
        conversation.date.as_deref(),
        Some("2019-01-23 13:32:30.163Z")
    );
    assert_eq!(conversation.first_message.as_deref(), Some("hello"));
    assert_eq!(user.segments.len(), 1);
    assert_eq!(
        user.segments[0].id.as_deref(),
        Some("5c46d514bda7873576a30c48")
    );
    assert_eq!(user.segments[0].name.as_deref(), Some("Leads"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_update_puts_the_attributes() {
    let server = MockServer::start_async().await;
    let body: types::UserUpdateRequest = fixture_as("user_update.request.json");
    let mock = server.user_update(|when, then| {
        when.id("5b7ff847cc3c3fb33c9249a8")
            .body(&body)
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("content-type", "application/json")
            .json_body(fixture("user_update.request.json"));
        then.ok(&fixture_as("user_update.200.json"));
    });

    let answer = generated_client(&server.base_url())
        .user_update()
        .id("5b7ff847cc3c3fb33c9249a8")
        .body(body.clone())
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(
        answer.timestamp.as_deref(),
        Some("2018-01-19T11:55:07.552Z")
    );
    let status = answer.status.expect("status");
    assert_eq!(
        (status.code, status.type_.as_deref()),
        (Some(200), Some("success"))
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_session_update_puts_session_id_and_attributes() {
    let server = MockServer::start_async().await;
    let body: types::UserSessionUpdateRequest = fixture_as("user_session_update.request.json");
    let mock = server.user_session_update(|when, then| {
        when.id("5b7ff847cc3c3fb33c9249a8")
            .body(&body)
            .into_inner()
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("content-type", "application/json")
            .json_body(fixture("user_session_update.request.json"));
        then.ok(&fixture_as("user_session_update.200.json"));
    });

    let answer = generated_client(&server.base_url())
        .user_session_update()
        .id("5b7ff847cc3c3fb33c9249a8")
        .body(body.clone())
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(answer.status.and_then(|s| s.code), Some(200));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn chat_query_posts_the_input_and_decodes_the_bots_answer() {
    let server = MockServer::start_async().await;
    let mock = server.chat_query(|when, then| {
        when.into_inner()
            .method("POST")
            .path("/query")
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("content-type", "application/json")
            // Documented defaults are sent explicitly by the generated builder.
            .json_body(serde_json::json!({
                "sessionId": "c6d4bc58-4947-4f82-9e0b-67b87c6dc2de",
                "query": "text",
                "confidence": 0.5,
                "lifespan": 2,
                "reset": false,
                "debug": false,
            }));
        then.ok(&fixture_as("chat_query.200.json"));
    });

    let body = types::ChatQueryRequest::builder()
        .session_id(
            "c6d4bc58-4947-4f82-9e0b-67b87c6dc2de"
                .parse::<types::SessionId>()
                .expect("valid"),
        )
        .query(Some("text".parse().expect("valid")));
    let answer = generated_client(&server.base_url())
        .chat_query()
        .body(body)
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();

    assert_eq!(
        answer.session_id.as_deref(),
        Some("c6d4bc58-4947-4f82-9e0b-67b87c6dc2de")
    );
    assert_eq!(
        answer.timestamp.as_deref(),
        Some("2019-03-12T13:27:15.513Z")
    );
    let result = answer.result.expect("result");
    assert_eq!(result.source.as_deref(), Some("custom"));
    assert_eq!(result.resolved_query.as_deref(), Some("text"));
    assert_eq!(result.confidence, Some(0.7));
    assert_eq!(result.score, Some(1.0));
    assert_eq!(result.lifespan, Some(2));
    assert_eq!(result.incomplete, Some(false));
    assert_eq!(result.story_id.as_deref(), Some("5b07fd67c2376e30306d9b0d"));
    let interaction = result.interaction.expect("interaction");
    assert_eq!(interaction.name.as_deref(), Some("text response"));
    assert_eq!(interaction.action.as_deref(), Some(""));
    assert_eq!(
        result.session_parameters.get("default_email"),
        Some(&Some("alexis.mcglynn77@hotmail.com".to_owned()))
    );
    assert_eq!(result.contexts.len(), 1);
    assert_eq!(result.fulfillment.len(), 1);
    assert_eq!(result.fulfillment[0].type_.as_deref(), Some("text"));
    assert_eq!(result.fulfillment[0].delay, Some(2000));
    assert_eq!(
        result.fulfillment[0].message.as_deref(),
        Some("text response")
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn documented_errors_decode_into_api_error() {
    let server = MockServer::start_async().await;
    let mock = server.history_list(|when, then| {
        when.bot_id("missing");
        then.client_error(404, &fixture_as("history_list.4XX.bot_not_found.json"));
    });

    let error = generated_client(&server.base_url())
        .history_list()
        .bot_id("missing")
        .limit(nz(10))
        .page(nz(1))
        .send()
        .await
        .expect_err("a 404 is an error");

    let jelou_client::Error::ErrorResponse(response) = error else {
        panic!("expected a decoded error response, got {error:?}");
    };
    assert_eq!(response.status().as_u16(), 404);
    let detail = response.error.as_ref().expect("envelope error");
    assert_eq!(detail.code.as_deref(), Some("E1019"));
    assert_eq!(detail.key.as_deref(), Some("BOT_NOT_FOUND"));
    let english = detail
        .client_messages
        .as_ref()
        .and_then(|m| m.en.as_deref());
    assert_eq!(english, Some("The Bot could not be found at the moment."));
    mock.assert_calls_async(1).await;
}
