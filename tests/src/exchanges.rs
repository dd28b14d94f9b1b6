//! The documented exchange of each operation, shared by the tests of both clients: `mock`
//! answers the documented example only when the request is exactly the documented one, and
//! `check` asserts, field by field, what the documented answer must decode to.

use httpmock::{Mock, MockServer};
use jelou_client::types;
use jelou_client_httpmock::MockServerExt;
use serde_json::{Map, Value};

use crate::{EXPECTED_AUTHORIZATION, fixture, fixture_as, non_zero};

/// The user of the cache examples (a phone number without `+`).
pub const CACHE_USER: &str = "593987654321";
/// The user of the user-management examples.
pub const USER_ID: &str = "5b7ff847cc3c3fb33c9249a8";
/// The session of the session and chat examples.
pub const SESSION_ID: &str = "c6d4bc58-4947-4f82-9e0b-67b87c6dc2de";
/// The bot of the messaging and history examples.
pub const BOT_ID: &str = "BOT_ID";

/// `cache_get`: page 000's read.
pub mod cache_get {
    use super::*;

    /// `GET /v1/users/593987654321/cache`, no `botId`.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.cache_get(|when, then| {
            when.user_id(CACHE_USER)
                .bot_id(None)
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION)
                .header("accept", "application/json");
            then.ok(&fixture_as("cache_get.200.json"));
        })
    }

    /// The cache holds exactly the two documented keys.
    pub fn check(cache: &Map<String, Value>) {
        assert_eq!(cache.get("groupId"), Some(&"grp-67890".into()));
        assert_eq!(cache.get("orderNumber"), Some(&"ORD-12345".into()));
        assert_eq!(cache.len(), 2);
    }
}

/// `cache_set`: page 000's write.
pub mod cache_set {
    use super::*;

    /// `POST /v1/users/593987654321/cache` with the documented body.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.cache_set(|when, then| {
            when.user_id(CACHE_USER)
                .body(&fixture_as("cache_set.request.json"))
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION)
                .header("content-type", "application/json")
                .json_body(fixture("cache_set.request.json"));
            then.ok(&fixture_as("cache_set.200.json"));
        })
    }

    /// `status: success` and the documented message.
    pub fn check(answer: &types::CacheSetResponse) {
        assert_eq!(answer.status.as_deref(), Some("success"));
        assert_eq!(
            answer.message,
            vec!["User cache set successfully.".to_owned()]
        );
    }
}

/// `message_send`: page 003.
pub mod message_send {
    use super::*;

    /// `POST /v1/bots/BOT_ID/messages` with the documented list message.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.message_send(|when, then| {
            when.bot_id(BOT_ID)
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION)
                .header("content-type", "application/json")
                .json_body(fixture("message_send.request.text_with_options.json"));
            then.ok(&fixture_as("message_send.200.json"));
        })
    }

    /// `success: true` and the message id.
    pub fn check(sent: &types::MessageSendResponse) {
        assert_eq!(sent.success, Some(true));
        assert_eq!(sent.message_id, "msg_123456789");
    }
}

/// `history_list`: page 004.
pub mod history_list {
    use super::*;

    /// `GET /v1/external/messages/history/BOT_ID?limit=10&page=1`, no other parameter.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.history_list(|when, then| {
            when.bot_id(BOT_ID)
                .limit(non_zero(10))
                .page(non_zero(1))
                .start_at(None)
                .end_at(None)
                .client_id(None)
                .message_id(None)
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION);
            then.ok(&fixture_as("history_list.200.json"));
        })
    }

    /// `GET /v1/external/messages/history/bot%201` (the path encoded) with every parameter:
    /// limit 40, page 3, `startAt`, `endAt`, `clientId` and `messageId`.
    pub fn mock_with_every_filter(server: &MockServer) -> Mock<'_> {
        server.mock(|when, then| {
            when.method("GET")
                .path("/v1/external/messages/history/bot%201")
                .header("authorization", EXPECTED_AUTHORIZATION)
                .query_param("limit", "40")
                .query_param("page", "3")
                .query_param("startAt", "2025-01-15")
                .query_param("endAt", "2025-01-16T00:00:00.000Z")
                .query_param("clientId", "593987654321")
                .query_param("messageId", "msg-1");
            then.status(200).json_body(fixture("history_list.200.json"));
        })
    }

    /// The pagination and the one message, every documented field.
    pub fn check(page: &types::HistoryPage) {
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
    }
}

/// `user_create`: page 002.
pub mod user_create {
    use super::*;

    /// `POST /users` with the documented user.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.user_create(|when, then| {
            when.body(&fixture_as("user_create.request.json"))
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION)
                .header("content-type", "application/json")
                .json_body(fixture("user_create.request.json"));
            then.ok(&fixture_as("user_create.200.json"));
        })
    }

    /// One result with its id, timestamp and status.
    pub fn check(created: &types::UserCreateResponse) {
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
    }
}

/// `user_list`: page 002.
pub mod user_list {
    use super::*;

    /// The `after` cursor of the documented list request.
    pub const AFTER: &str = "5c46d514bda7873576a30c48";
    /// The filters of the documented list request, as sent.
    pub const FILTERS: &str = r#"[{"field":"default_city"}]"#;

    /// `GET /users` with every parameter set: limit, cursor, sort, match and filters.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.mock(|when, then| {
            when.method("GET")
                .path("/users")
                .header("authorization", EXPECTED_AUTHORIZATION)
                .query_param("limit", "40")
                .query_param("after", AFTER)
                .query_param("sort[field]", "lastSeen")
                .query_param("sort[order]", "asc")
                .query_param("match", "any")
                .query_param("filters", FILTERS);
            then.status(200).json_body(fixture("user_list.200.json"));
        })
    }

    /// `GET /users` with no parameter at all.
    pub fn mock_without_parameters(server: &MockServer) -> Mock<'_> {
        server.user_list(|when, then| {
            when.limit(None)
                .after(None)
                .sort_field(None)
                .sort_order(None)
                .match_(None)
                .filters(None)
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION);
            then.ok(&fixture_as("user_list.200.json"));
        })
    }

    /// The count and the one user with all thirteen attributes.
    pub fn check(list: &types::UserList) {
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
    }
}

/// `user_get`: page 002.
pub mod user_get {
    use super::*;

    /// `GET /users/5b7ff847cc3c3fb33c9249a8`.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.user_get(|when, then| {
            when.id(USER_ID)
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION);
            then.ok(&fixture_as("user_get.200.json"));
        })
    }

    /// The user with its session attributes, conversation and segment.
    pub fn check(user: &types::UserDetails) {
        assert_eq!(user.id, USER_ID);
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
    }
}

/// `user_update`: page 002.
pub mod user_update {
    use super::*;

    /// `PUT /users/5b7ff847cc3c3fb33c9249a8` with the documented attributes.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.user_update(|when, then| {
            when.id(USER_ID)
                .body(&fixture_as("user_update.request.json"))
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION)
                .header("content-type", "application/json")
                .json_body(fixture("user_update.request.json"));
            then.ok(&fixture_as("user_update.200.json"));
        })
    }

    /// The timestamp and a 200 success status.
    pub fn check(answer: &types::StatusResponse) {
        assert_eq!(
            answer.timestamp.as_deref(),
            Some("2018-01-19T11:55:07.552Z")
        );
        let status = answer.status.as_ref().expect("status");
        assert_eq!(
            (status.code, status.type_.as_deref()),
            (Some(200), Some("success"))
        );
    }
}

/// `user_session_update`: page 002.
pub mod user_session_update {
    use super::*;

    /// `PUT /users/5b7ff847cc3c3fb33c9249a8/session` with the documented session and attributes.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.user_session_update(|when, then| {
            when.id(USER_ID)
                .body(&fixture_as("user_session_update.request.json"))
                .into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION)
                .header("content-type", "application/json")
                .json_body(fixture("user_session_update.request.json"));
            then.ok(&fixture_as("user_session_update.200.json"));
        })
    }

    /// A 200 status.
    pub fn check(answer: &types::StatusResponse) {
        assert_eq!(answer.status.as_ref().and_then(|s| s.code), Some(200));
    }
}

/// `chat_query`: page 002.
pub mod chat_query {
    use super::*;

    /// `POST /query` with the documented input and the documented defaults sent explicitly.
    pub fn mock(server: &MockServer) -> Mock<'_> {
        server.chat_query(|when, then| {
            when.into_inner()
                .header("authorization", EXPECTED_AUTHORIZATION)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({
                    "sessionId": SESSION_ID,
                    "query": "text",
                    "confidence": 0.5,
                    "lifespan": 2,
                    "reset": false,
                    "debug": false,
                }));
            then.ok(&fixture_as("chat_query.200.json"));
        })
    }

    /// The session, the result with its interaction, parameters, contexts and fulfillment.
    pub fn check(answer: &types::ChatQueryResponse) {
        assert_eq!(answer.session_id.as_deref(), Some(SESSION_ID));
        assert_eq!(
            answer.timestamp.as_deref(),
            Some("2019-03-12T13:27:15.513Z")
        );
        let result = answer.result.as_ref().expect("result");
        assert_eq!(result.source.as_deref(), Some("custom"));
        assert_eq!(result.resolved_query.as_deref(), Some("text"));
        assert_eq!(result.confidence, Some(0.7));
        assert_eq!(result.score, Some(1.0));
        assert_eq!(result.lifespan, Some(2));
        assert_eq!(result.incomplete, Some(false));
        assert_eq!(result.story_id.as_deref(), Some("5b07fd67c2376e30306d9b0d"));
        let interaction = result.interaction.as_ref().expect("interaction");
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
    }
}
