//! Calls every operation of the Jelou API through the generated client against a local server
//! that answers with the examples of the documentation pages. Needs no credentials and no
//! network:
//!
//! ```text
//! cargo run -p jelou-conformance --example local_demo
//! ```

use std::num::NonZeroU32;

use httpmock::MockServer;
use jelou_client::types;
use jelou_client_httpmock::MockServerExt;
use jelou_conformance::{fixture_as, generated_client};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start_async().await;
    server.cache_get(|_, then| {
        then.ok(&fixture_as("cache_get.200.json"));
    });
    server.cache_set(|_, then| {
        then.ok(&fixture_as("cache_set.200.json"));
    });
    server.message_send(|_, then| {
        then.ok(&fixture_as("message_send.200.json"));
    });
    server.history_list(|when, then| {
        when.bot_id("BOT_ID");
        then.ok(&fixture_as("history_list.200.json"));
    });
    server.history_list(|when, then| {
        when.bot_id("unknown-bot");
        then.client_error(404, &fixture_as("history_list.4XX.bot_not_found.json"));
    });
    server.user_create(|_, then| {
        then.ok(&fixture_as("user_create.200.json"));
    });
    server.user_list(|_, then| {
        then.ok(&fixture_as("user_list.200.json"));
    });
    server.user_get(|_, then| {
        then.ok(&fixture_as("user_get.200.json"));
    });
    server.user_update(|_, then| {
        then.ok(&fixture_as("user_update.200.json"));
    });
    server.user_session_update(|_, then| {
        then.ok(&fixture_as("user_session_update.200.json"));
    });
    server.chat_query(|_, then| {
        then.ok(&fixture_as("chat_query.200.json"));
    });

    println!("local Jelou API at {}\n", server.base_url());
    let client = generated_client(&server.base_url());
    let ten = NonZeroU32::new(10).ok_or("ten is not zero")?;

    let cache = client.cache_get().user_id("593987654321").send().await?;
    println!(
        "cache_get            GET  /v1/users/593987654321/cache -> {} keys",
        cache.len()
    );

    let set = client
        .cache_set()
        .user_id("593987654321")
        .body(fixture_as::<types::CacheSetRequest>(
            "cache_set.request.json",
        ))
        .send()
        .await?;
    println!(
        "cache_set            POST /v1/users/593987654321/cache -> {:?}",
        set.status
    );

    let sent = client
        .message_send()
        .bot_id("BOT_ID")
        .body(fixture_as::<types::MessageSendRequest>(
            "message_send.request.json",
        ))
        .send()
        .await?;
    println!(
        "message_send         POST /v1/bots/BOT_ID/messages -> messageId {}",
        sent.message_id
    );

    let page = client
        .history_list()
        .bot_id("BOT_ID")
        .limit(ten)
        .page(NonZeroU32::MIN)
        .send()
        .await?;
    println!(
        "history_list         GET  /v1/external/messages/history/BOT_ID -> {} of {} messages",
        page.results.len(),
        page.pagination.total
    );

    let created = client
        .user_create()
        .body(fixture_as::<types::UserCreateRequest>(
            "user_create.request.json",
        ))
        .send()
        .await?;
    println!(
        "user_create          POST /users -> {} result(s)",
        created.len()
    );

    let users = client.user_list().send().await?;
    println!(
        "user_list            GET  /users -> {} user(s)",
        users.data.len()
    );

    let user = client
        .user_get()
        .id("5b7ff847cc3c3fb33c9249a8")
        .send()
        .await?;
    println!(
        "user_get             GET  /users/{} -> {} segment(s)",
        user.id,
        user.segments.len()
    );

    let updated = client
        .user_update()
        .id("5b7ff847cc3c3fb33c9249a8")
        .body(fixture_as::<types::UserUpdateRequest>(
            "user_update.request.json",
        ))
        .send()
        .await?;
    println!(
        "user_update          PUT  /users/5b7ff847cc3c3fb33c9249a8 -> {:?}",
        updated.status.as_ref().and_then(|s| s.type_.as_deref())
    );

    let session = client
        .user_session_update()
        .id("5b7ff847cc3c3fb33c9249a8")
        .body(fixture_as::<types::UserSessionUpdateRequest>(
            "user_session_update.request.json",
        ))
        .send()
        .await?;
    println!(
        "user_session_update  PUT  /users/5b7ff847cc3c3fb33c9249a8/session -> {:?}",
        session.status.as_ref().and_then(|s| s.type_.as_deref())
    );

    let answer = client
        .chat_query()
        .body(fixture_as::<types::ChatQueryRequest>(
            "chat_query.request.json",
        ))
        .send()
        .await?;
    let said = answer
        .result
        .iter()
        .flat_map(|r| &r.fulfillment)
        .filter_map(|f| f.message.clone());
    println!(
        "chat_query           POST /query -> bot says {:?}",
        said.collect::<Vec<_>>()
    );

    match client
        .history_list()
        .bot_id("unknown-bot")
        .limit(ten)
        .page(NonZeroU32::MIN)
        .send()
        .await
    {
        Err(jelou_client::Error::ErrorResponse(error)) => println!(
            "history_list         GET  /v1/external/messages/history/unknown-bot -> {} {:?}",
            error.status(),
            error.error.as_ref().and_then(|e| e.key.clone())
        ),
        other => return Err(format!("expected the documented 404, got {other:?}").into()),
    }
    println!("\nevery operation answered as documented");
    Ok(())
}
