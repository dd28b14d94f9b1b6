//! `jelou-ext`, one operation at a time, held to the same documented exchanges as the
//! generated client: the typed inputs produce exactly the documented request, and the typed
//! methods return the documented answer.

use httpmock::MockServer;
use jelou_conformance::exchanges::{self, BOT_ID, CACHE_USER, SESSION_ID, USER_ID};
use jelou_conformance::{EXPECTED_AUTHORIZATION, ext_client, fixture};
use jelou_ext::types::{FilterMatch, SortOrder, UserSortField};
use jelou_ext::{Attributes, ChatInput, HistoryQuery, ListOption, Message, NewUser, UserQuery};
use serde_json::{Map, Value, json};

fn documented_attributes() -> Attributes {
    Attributes::new()
        .with("default_email", "support@chatbot.com")
        .with("default_name", "ChatBot Support")
}

#[tokio::test]
async fn cache_get_reads_the_users_cache() {
    let server = MockServer::start_async().await;
    let mock = exchanges::cache_get::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let cache = jelou.get_cache(CACHE_USER, None).await.expect("decodes");
    exchanges::cache_get::check(&cache);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn cache_get_sends_the_bot_when_given() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET")
            .path("/v1/users/593987654321/cache")
            .query_param("botId", "bot-12345");
        then.status(200).json_body(fixture("cache_get.200.json"));
    });
    let (jelou, _) = ext_client(&server.base_url());
    let cache = jelou
        .get_cache(CACHE_USER, Some("bot-12345"))
        .await
        .expect("decodes");
    exchanges::cache_get::check(&cache);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn cache_set_posts_params_and_bot_id() {
    let server = MockServer::start_async().await;
    let mock = exchanges::cache_set::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let params: Map<String, Value> = [
        ("groupId".to_owned(), json!("grp-67890")),
        ("orderNumber".to_owned(), json!("ORD-12345")),
    ]
    .into_iter()
    .collect();
    let answer = jelou
        .set_cache(CACHE_USER, "bot-12345", params)
        .await
        .expect("decodes");
    exchanges::cache_set::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn message_send_posts_the_documented_payload() {
    let server = MockServer::start_async().await;
    let mock = exchanges::message_send::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let message = [(1, "primera"), (2, "segunda"), (3, "tercera")]
        .into_iter()
        .fold(
            Message::text("USER_ID", "Por favor selecciona una opción")
                .title("Elige una opción")
                .button_text("Ver Opciones"),
            |message, (n, nth)| {
                message.option(
                    ListOption::new(format!("Opción {n}"))
                        .id(format!("option_{n}"))
                        .description(format!("Esta es la {nth} opción")),
                )
            },
        );
    let sent = jelou.send_message(BOT_ID, &message).await.expect("decodes");
    exchanges::message_send::check(&sent);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn message_send_omits_what_is_not_set() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("POST")
            .path("/v1/bots/BOT_ID/messages")
            .json_body(json!({"type": "text", "userId": "USER_ID", "text": "hola"}));
        then.status(200).json_body(fixture("message_send.200.json"));
    });
    let (jelou, _) = ext_client(&server.base_url());
    let sent = jelou
        .send_message(BOT_ID, &Message::text("USER_ID", "hola"))
        .await
        .expect("decodes");
    exchanges::message_send::check(&sent);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn history_list_sends_the_default_limit_and_page() {
    let server = MockServer::start_async().await;
    let mock = exchanges::history_list::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let page = jelou
        .history_page(BOT_ID, &HistoryQuery::default())
        .await
        .expect("decodes");
    exchanges::history_list::check(&page);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn history_list_sends_every_filter_and_encodes_the_path() {
    let server = MockServer::start_async().await;
    let mock = exchanges::history_list::mock_with_every_filter(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let query = HistoryQuery {
        limit: Some(40),
        page: 3,
        start_at: Some("2025-01-15".into()),
        end_at: Some("2025-01-16T00:00:00.000Z".into()),
        client_id: Some("593987654321".into()),
        message_id: Some("msg-1".into()),
    };
    jelou.history_page("bot 1", &query).await.expect("decodes");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_create_posts_the_user_and_decodes_the_result_list() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_create::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let user = NewUser::with_user_id(
        "0735887f-6ba5-cccc-908e-6c84d093f317",
        Attributes::new()
            .with("default_email", "joe@doe.com")
            .with("default_name", "Joe"),
    );
    let created = jelou.create_user(&user).await.expect("decodes");
    exchanges::user_create::check(&created);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_list_sends_sort_match_and_paging_and_decodes_users() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_list::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let query = UserQuery {
        limit: Some(40),
        after: Some(exchanges::user_list::AFTER.into()),
        sort_field: Some(UserSortField::LastSeen),
        sort_order: Some(SortOrder::Asc),
        match_: Some(FilterMatch::Any),
        filters: vec![json!({"field": "default_city"})],
    };
    let list = jelou.list_users(&query).await.expect("decodes");
    exchanges::user_list::check(&list);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_list_omits_unset_parameters() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_list::mock_without_parameters(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let list = jelou
        .list_users(&UserQuery::default())
        .await
        .expect("decodes");
    exchanges::user_list::check(&list);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_get_reads_one_user_with_session_conversations_and_segments() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_get::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let user = jelou.get_user(USER_ID).await.expect("decodes");
    exchanges::user_get::check(&user);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_update_puts_the_attributes() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_update::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let answer = jelou
        .update_user(USER_ID, &documented_attributes())
        .await
        .expect("decodes");
    exchanges::user_update::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn user_session_update_puts_session_id_and_attributes() {
    let server = MockServer::start_async().await;
    let mock = exchanges::user_session_update::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let answer = jelou
        .update_session(USER_ID, SESSION_ID, &documented_attributes())
        .await
        .expect("decodes");
    exchanges::user_session_update::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn chat_query_posts_the_input_and_decodes_the_bots_answer() {
    let server = MockServer::start_async().await;
    let mock = exchanges::chat_query::mock(&server);
    let (jelou, _) = ext_client(&server.base_url());
    let answer = jelou
        .chat(&ChatInput::new(SESSION_ID).query("text"))
        .await
        .expect("decodes");
    exchanges::chat_query::check(&answer);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn every_request_carries_credentials_and_the_json_content_type() {
    // Page 001 asks for `Content-Type: application/json` on every request, reads included.
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET")
            .path("/users/5b7ff847cc3c3fb33c9249a8")
            .header("authorization", EXPECTED_AUTHORIZATION)
            .header("content-type", "application/json")
            .header_count("authorization", ".*", 1);
        then.status(200).json_body(fixture("user_get.200.json"));
    });
    let (jelou, _) = ext_client(&server.base_url());
    jelou.get_user(USER_ID).await.expect("decodes");
    mock.assert_calls_async(1).await;
}
