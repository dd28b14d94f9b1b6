//! The bare generated client, one operation at a time: it sends the documented method, path,
//! query, headers and body, and decodes the documented example answer. The exchanges are
//! shared with `ext_client.rs`, so both clients are held to the same request and answer.

use httpmock::MockServer;
use jelou_client::types;
use jelou_conformance::exchanges::{self, BOT_ID, CACHE_USER, SESSION_ID, USER_ID};
use jelou_conformance::{fixture_as, generated_client, non_zero};

#[tokio::test]
async fn cache_get_reads_the_users_cache() {
    let server = MockServer::start_async().await;
    let mock = exchanges::cache_get::mock(&server);
    let cache = generated_client(&server.base_url())
        .cache_get()
        .user_id(CACHE_USER)
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::cache_get::check(&cache);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn cache_set_posts_params_and_bot_id() {
    let server = MockServer::start_async().await;
    let mock = exchanges::cache_set::mock(&server);
    let answer = generated_client(&server.base_url())
        .cache_set()
        .user_id(CACHE_USER)
        .body(fixture_as::<types::CacheSetRequest>(
            "cache_set.request.json",
        ))
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::cache_set::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn message_send_posts_the_documented_payload() {
    let server = MockServer::start_async().await;
    let mock = exchanges::message_send::mock(&server);
    let text = types::TextMessage::builder()
        .type_(types::TextMessageType::Text)
        .text("Por favor selecciona una opción")
        .user_id("USER_ID".to_owned())
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
    let body = types::MessageSendRequest::from(
        types::TextMessage::try_from(text).expect("a complete text message"),
    );
    let sent = generated_client(&server.base_url())
        .message_send()
        .bot_id(BOT_ID)
        .body(body)
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::message_send::check(&sent);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn history_list_sends_limit_and_page_and_decodes_a_page() {
    let server = MockServer::start_async().await;
    let mock = exchanges::history_list::mock(&server);
    let page = generated_client(&server.base_url())
        .history_list()
        .bot_id(BOT_ID)
        .limit(non_zero(10))
        .page(non_zero(1))
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::history_list::check(&page);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn history_list_sends_every_filter_when_set() {
    let server = MockServer::start_async().await;
    let mock = exchanges::history_list::mock_with_every_filter(&server);

    generated_client(&server.base_url())
        .history_list()
        .bot_id("bot 1")
        .limit(non_zero(40))
        .page(non_zero(3))
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
    let mock = exchanges::user_create::mock(&server);
    let created = generated_client(&server.base_url())
        .user_create()
        .body(fixture_as::<types::UserCreateRequest>(
            "user_create.request.json",
        ))
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::user_create::check(&created);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_list_sends_sort_match_and_paging_and_decodes_users() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_list::mock(&server);
    let list = generated_client(&server.base_url())
        .user_list()
        .limit(non_zero(40))
        .after(exchanges::user_list::AFTER)
        .sort_field(types::UserSortField::LastSeen)
        .sort_order(types::SortOrder::Asc)
        .match_(types::FilterMatch::Any)
        .filters(exchanges::user_list::FILTERS)
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::user_list::check(&list);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_list_omits_unset_parameters() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_list::mock_without_parameters(&server);
    let list = generated_client(&server.base_url())
        .user_list()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    exchanges::user_list::check(&list);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_get_reads_one_user_with_session_conversations_and_segments() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_get::mock(&server);
    let user = generated_client(&server.base_url())
        .user_get()
        .id(USER_ID)
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::user_get::check(&user);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_update_puts_the_attributes() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_update::mock(&server);
    let answer = generated_client(&server.base_url())
        .user_update()
        .id(USER_ID)
        .body(fixture_as::<types::UserUpdateRequest>(
            "user_update.request.json",
        ))
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::user_update::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_session_update_puts_session_id_and_attributes() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_session_update::mock(&server);
    let answer = generated_client(&server.base_url())
        .user_session_update()
        .id(USER_ID)
        .body(fixture_as::<types::UserSessionUpdateRequest>(
            "user_session_update.request.json",
        ))
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::user_session_update::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn chat_query_posts_the_input_and_decodes_the_bots_answer() {
    let server = MockServer::start_async().await;
    let mock = exchanges::chat_query::mock(&server);
    // Only the documented request's fields are set; the builder sends the defaults.
    let body = types::ChatQueryRequest::builder()
        .session_id(SESSION_ID.parse::<types::SessionId>().expect("valid"))
        .query(Some("text".parse().expect("valid")));
    let answer = generated_client(&server.base_url())
        .chat_query()
        .body(body)
        .send()
        .await
        .expect("the documented answer decodes")
        .into_inner();
    exchanges::chat_query::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn every_message_kind_decodes_into_its_shape_and_is_sent_as_documented() {
    let fixtures: Vec<String> = std::fs::read_dir(jelou_conformance::fixtures_dir())
        .expect("fixtures")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("message_send.request."))
        .collect();
    assert_eq!(fixtures.len(), 17, "{fixtures:?}");
    for name in fixtures {
        let documented = jelou_conformance::fixture(&name);
        let body: types::MessageSendRequest =
            serde_json::from_value(documented.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The shape is the one its `type` names, never a neighbour that happens to fit.
        let shape = format!("{body:?}");
        let kind = documented["type"].as_str().expect("a type");
        let expected = match kind {
            "text" => "TextMessage",
            "quick_reply" => "QuickReplyMessage",
            "location_request" => "LocationRequestMessage",
            "cta_url" => "CtaUrlMessage",
            "voice_call" => "VoiceCallMessage",
            "CAROUSEL" => "CarouselMessage",
            other => &format!("{}{}Message", other[..1].to_uppercase(), &other[1..]),
        };
        assert!(shape.starts_with(expected), "{name}: {shape}");

        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method("POST")
                    .path(format!("/v1/bots/{BOT_ID}/messages"))
                    .json_body(documented.clone());
                then.status(200)
                    .header("content-type", "application/json")
                    .body(r#"{"success":true,"messageId":"msg_1"}"#);
            })
            .await;
        generated_client(&server.base_url())
            .message_send()
            .bot_id(BOT_ID)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        mock.assert_calls_async(1).await;
    }
}
