//! Any operation through `Jelou::send` and `Jelou::pages`, driven by what the spec says about
//! it: its limits, its paging and its logic error. Each test owns its mock server.

use futures_util::TryStreamExt;
use httpmock::Method::GET;
use httpmock::MockServer;
use jelou_ext::{Error, Jelou, RetryPolicy};
use serde_json::json;

fn client(server: &MockServer) -> Jelou {
    Jelou::builder()
        .base_url(server.base_url())
        .credentials("id", "secret")
        .retry_policy(RetryPolicy::never())
        .disable_rate_limit()
        .build()
        .expect("client")
}

fn history_page(page: u32, total: u32, ids: &[&str]) -> serde_json::Value {
    json!({
        "pagination": {"limit": 2, "total": 5, "offset": (page - 1) * 2, "totalPages": total, "page": page},
        "_metadata": {},
        "results": ids.iter().map(|id| json!({
            "messageId": id, "by": "bot", "createdAt": "2025-01-01T00:00:00.000Z",
            "bubble": {"type": "TEXT", "text": "hola"}
        })).collect::<Vec<_>>()
    })
}

#[tokio::test]
async fn a_limit_the_spec_states_is_checked_for_a_raw_builder_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200);
    });
    let jelou = client(&server);
    let call = jelou
        .raw()
        .history_list()
        .bot_id("BOT")
        .limit(51u32)
        .page(1u32);
    let error = jelou
        .send(call)
        .await
        .expect_err("over the documented maximum");
    let Error::Validation(invalid) = &error else {
        panic!("{error}")
    };
    assert_eq!(invalid.field(), "limit");
    assert_eq!(invalid.limit(), "1 to 50");
    assert_eq!(invalid.value(), "51");
    assert_eq!(any.calls(), 0);
}

#[tokio::test]
async fn numbered_pages_are_followed_up_to_the_count_of_pages() {
    let server = MockServer::start_async().await;
    let pages: Vec<_> = [(1, &["a", "b"][..]), (2, &["c", "d"][..]), (3, &["e"][..])]
        .into_iter()
        .map(|(page, ids)| {
            server.mock(|when, then| {
                when.method(GET)
                    .path("/v1/external/messages/history/BOT")
                    .query_param("limit", "2")
                    .query_param("page", page.to_string());
                then.status(200).json_body(history_page(page, 3, ids));
            })
        })
        .collect();
    let jelou = client(&server);
    let call = jelou
        .raw()
        .history_list()
        .bot_id("BOT")
        .limit(2u32)
        .page(1u32);
    let read: Vec<_> = jelou.pages(call).try_collect().await.expect("pages");
    let ids: Vec<String> = read
        .iter()
        .flat_map(|page| page.results.iter().map(|m| m.message_id.clone()))
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    for page in &pages {
        assert_eq!(page.calls(), 1);
    }
}

#[tokio::test]
async fn a_cursor_is_followed_until_a_short_page() {
    let server = MockServer::start_async().await;
    let user = |id: &str| json!({"id": id, "names": "Ana", "createdAt": "2025-01-01"});
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/users")
            .query_param("limit", "2")
            .query_param_missing("after");
        then.status(200).json_body(
            json!({"data": [user("aaaaaaaaaaaaaaaaaaaaaaa1"), user("aaaaaaaaaaaaaaaaaaaaaaa2")]}),
        );
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/users")
            .query_param("limit", "2")
            .query_param("after", "aaaaaaaaaaaaaaaaaaaaaaa2");
        then.status(200)
            .json_body(json!({"data": [user("aaaaaaaaaaaaaaaaaaaaaaa3")]}));
    });
    let jelou = client(&server);
    let pages: Vec<_> = jelou
        .pages(jelou.raw().user_list().limit(2u32))
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].data[0].id, "aaaaaaaaaaaaaaaaaaaaaaa3");
    assert_eq!(first.calls(), 1);
    assert_eq!(second.calls(), 1);
}

#[tokio::test]
async fn a_success_holding_the_logic_error_is_an_error() {
    let server = MockServer::start_async().await;
    let failed = json!({"status": "failed", "message": ["Could not get the user's cache."]});
    let mock = server.mock(|when, then| {
        when.method(GET).path("/v1/users/593987654321/cache");
        then.status(200).json_body(failed.clone());
    });
    let jelou = client(&server);
    let error = jelou
        .send(jelou.raw().cache_get().user_id("593987654321"))
        .await
        .expect_err("the logic error");
    let api = error.api().expect("an API error");
    assert!(api.is_logic_failure());
    assert_eq!(api.raw_body(), failed.to_string().as_bytes());
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn an_operation_named_at_run_time_is_sent_checked_and_decoded() {
    let server = MockServer::start_async().await;
    let body = json!({"type": "text", "userId": "593987654321", "text": "hola"});
    let sent = server.mock(|when, then| {
        when.method(httpmock::Method::POST)
            .path("/v1/bots/my%20bot/messages")
            .header("authorization", "Basic aWQ6c2VjcmV0")
            .json_body(body.clone());
        then.status(200)
            .json_body(json!({"success": true, "messageId": "msg_1"}));
    });
    let missing = server.mock(|when, then| {
        when.path("/v1/bots/gone/messages");
        then.status(404).json_body(
            json!({"code": "bot_not_found", "description": "Bot is not assigned to your company"}),
        );
    });
    let jelou = client(&server);
    let request = jelou_ext::JsonRequest::new().body(body.clone());

    let answer = jelou
        .send_json("message_send", request.clone().path("botId", "my bot"))
        .await
        .expect("sent");
    assert_eq!(answer["messageId"], "msg_1");
    assert_eq!(sent.calls(), 1);

    let error = jelou
        .send_json("message_send", request.clone().path("botId", "gone"))
        .await
        .expect_err("404");
    assert_eq!(error.status(), Some(reqwest::StatusCode::NOT_FOUND));
    assert_eq!(
        error.api().and_then(|api| api.code()),
        Some("bot_not_found")
    );
    assert_eq!(missing.calls(), 1);

    let too_long = jelou_ext::JsonRequest::new()
        .path("botId", "my bot")
        .body(json!({"type": "text", "userId": "u", "text": "hola", "options": [{"title": "x".repeat(25)}]}));
    let error = jelou
        .send_json("message_send", too_long)
        .await
        .expect_err("too long");
    assert!(
        error
            .to_string()
            .contains("options[0].title must be 1 to 24 characters"),
        "{error}"
    );
    let error = jelou
        .send_json("message_sent", jelou_ext::JsonRequest::new())
        .await
        .expect_err("no such operation");
    assert!(error.to_string().contains("\"message_sent\""), "{error}");
    assert_eq!(sent.calls(), 1);
    assert_eq!(missing.calls(), 1);
}
