//! Every documented request limit, through `jelou-ext`: one past the limit is refused before
//! anything is sent (hit count 0) with an error naming the field, the limit and the value; the
//! limit itself is accepted and sent.

use httpmock::{Mock, MockServer};
use jelou_conformance::exchanges::{BOT_ID, SESSION_ID, USER_ID};
use jelou_conformance::{ext_client, fixture};
use jelou_ext::{
    Attributes, BoxFuture, ChatInput, Error, HistoryQuery, Jelou, ListOption, Message, NewUser,
    UserQuery,
};
use serde_json::json;

type Call = Box<dyn for<'a> Fn(&'a Jelou) -> BoxFuture<'a, Result<(), Error>>>;

/// A call whose input breaks one limit, and what the error must say.
struct Refused {
    field: &'static str,
    limit: &'static str,
    value: &'static str,
    call: Call,
}

fn chars(n: usize) -> String {
    // Accented, so that bytes and characters differ.
    "ó".repeat(n)
}

fn options(n: usize) -> Message {
    (1..=n).fold(Message::text("USER_ID", "elige"), |message, i| {
        message.option(ListOption::new(format!("Opción {i}")))
    })
}

fn attributes(n: usize) -> Attributes {
    (0..n).map(|i| (format!("key_{i}"), "v")).collect()
}

fn message(message: Message) -> Call {
    Box::new(move |jelou| {
        let message = message.clone();
        Box::pin(async move { jelou.send_message(BOT_ID, &message).await.map(drop) })
    })
}

fn chat(input: ChatInput) -> Call {
    Box::new(move |jelou| {
        let input = input.clone();
        Box::pin(async move { jelou.chat(&input).await.map(drop) })
    })
}

fn create(user: NewUser) -> Call {
    Box::new(move |jelou| {
        let user = user.clone();
        Box::pin(async move { jelou.create_user(&user).await.map(drop) })
    })
}

fn update(attributes: Attributes) -> Call {
    Box::new(move |jelou| {
        let attributes = attributes.clone();
        Box::pin(async move { jelou.update_user(USER_ID, &attributes).await.map(drop) })
    })
}

fn session(session_id: String, attributes: Attributes) -> Call {
    Box::new(move |jelou| {
        let (session_id, attributes) = (session_id.clone(), attributes.clone());
        Box::pin(async move {
            jelou
                .update_session(USER_ID, &session_id, &attributes)
                .await
                .map(drop)
        })
    })
}

fn list(query: UserQuery) -> Call {
    Box::new(move |jelou| {
        let query = query.clone();
        Box::pin(async move { jelou.list_users(&query).await.map(drop) })
    })
}

fn history(query: HistoryQuery) -> Call {
    Box::new(move |jelou| {
        let query = query.clone();
        Box::pin(async move { jelou.history_page(BOT_ID, &query).await.map(drop) })
    })
}

fn refused(field: &'static str, limit: &'static str, value: &'static str, call: Call) -> Refused {
    Refused {
        field,
        limit,
        value,
        call,
    }
}

fn one_past_each_limit() -> Vec<Refused> {
    let name = |n| Attributes::new().with("default_name", "n".repeat(n));
    let value = |n| Attributes::new().with("city", "c".repeat(n));
    vec![
        // page 003: messages
        refused("options", "1 to 10 items", "11 items", message(options(11))),
        refused(
            "options[0].title",
            "1 to 24 characters",
            "25 characters",
            message(Message::text("USER_ID", "t").option(ListOption::new(chars(25)))),
        ),
        refused(
            "options[0].title",
            "1 to 24 characters",
            "0 characters",
            message(Message::text("USER_ID", "t").option(ListOption::new(""))),
        ),
        refused(
            "options[0].description",
            "at most 72 characters",
            "73 characters",
            message(
                Message::text("USER_ID", "t")
                    .option(ListOption::new("Opción").description(chars(73))),
            ),
        ),
        // page 004: history
        refused(
            "limit",
            "1 to 50",
            "0",
            history(HistoryQuery {
                limit: Some(0),
                ..HistoryQuery::default()
            }),
        ),
        refused(
            "limit",
            "1 to 50",
            "51",
            history(HistoryQuery {
                limit: Some(51),
                ..HistoryQuery::default()
            }),
        ),
        refused(
            "page",
            "1 to 4294967295",
            "0",
            history(HistoryQuery {
                page: 0,
                ..HistoryQuery::default()
            }),
        ),
        // page 002: users
        refused(
            "limit",
            "1 to 40",
            "41",
            list(UserQuery {
                limit: Some(41),
                ..UserQuery::default()
            }),
        ),
        refused(
            "limit",
            "1 to 40",
            "0",
            list(UserQuery {
                limit: Some(0),
                ..UserQuery::default()
            }),
        ),
        refused(
            "after",
            "exactly 24 characters",
            "23 characters",
            list(UserQuery {
                after: Some("a".repeat(23)),
                ..UserQuery::default()
            }),
        ),
        refused(
            "filters",
            "1 to 5 items",
            "6 items",
            list(UserQuery {
                filters: vec![json!({}); 6],
                ..UserQuery::default()
            }),
        ),
        refused(
            "userId",
            "1 to 256 characters",
            "257 characters",
            create(NewUser::with_user_id(chars(257), attributes(1))),
        ),
        refused(
            "userId",
            "given unless attributes.default_email is",
            "neither userId nor attributes.default_email",
            create(NewUser::with_attributes(attributes(1))),
        ),
        refused(
            "segments[0]",
            "exactly 24 characters",
            "25 characters",
            create(NewUser::with_user_id("u", attributes(1)).segment("s".repeat(25))),
        ),
        refused(
            "attributes",
            "1 to 99 items",
            "100 items",
            update(attributes(100)),
        ),
        refused(
            "attributes",
            "1 to 99 items",
            "0 items",
            update(Attributes::new()),
        ),
        refused(
            "attributes.default_name",
            "1 to 256 characters",
            "257 characters",
            update(name(257)),
        ),
        refused(
            "attributes.city",
            "1 to 1024 characters",
            "1025 characters",
            update(value(1025)),
        ),
        refused(
            "attributes.city",
            "1 to 1024 characters",
            "0 characters",
            update(value(0)),
        ),
        refused(
            "attributes",
            "keyed by 1 to 128 ASCII letters, digits, '_' or '-'",
            "key \"default.name\"",
            update(Attributes::new().with("default.name", "x")),
        ),
        refused(
            "attributes",
            "keyed by 1 to 128 ASCII letters, digits, '_' or '-'",
            "key \"kkkk",
            update(Attributes::new().with("k".repeat(129), "x")),
        ),
        refused(
            "sessionId",
            "10 to 64 characters",
            "9 characters",
            session("s".repeat(9), attributes(1)),
        ),
        refused(
            "sessionId",
            "10 to 64 characters",
            "65 characters",
            session("s".repeat(65), attributes(1)),
        ),
        refused(
            "sessionId",
            "10 to 64 characters",
            "9 characters",
            chat(ChatInput::new("s".repeat(9)).query("hola")),
        ),
        refused(
            "query",
            "given, or trigger or goto instead",
            "none of query, trigger, goto",
            chat(ChatInput::new(SESSION_ID)),
        ),
        refused(
            "query",
            "1 to 256 characters",
            "257 characters",
            chat(ChatInput::new(SESSION_ID).query(chars(257))),
        ),
        refused(
            "trigger",
            "1 to 50 characters",
            "51 characters",
            chat(ChatInput::new(SESSION_ID).trigger(chars(51))),
        ),
        refused(
            "goto",
            "exactly 24 characters",
            "23 characters",
            chat(ChatInput::new(SESSION_ID).goto("g".repeat(23))),
        ),
        refused(
            "confidence",
            "0.1 to 1",
            "0.09",
            chat(ChatInput::new(SESSION_ID).query("q").confidence(0.09)),
        ),
        refused(
            "confidence",
            "0.1 to 1",
            "1.01",
            chat(ChatInput::new(SESSION_ID).query("q").confidence(1.01)),
        ),
        refused(
            "lifespan",
            "1 to 10",
            "0",
            chat(ChatInput::new(SESSION_ID).query("q").lifespan(0)),
        ),
        refused(
            "lifespan",
            "1 to 10",
            "11",
            chat(ChatInput::new(SESSION_ID).query("q").lifespan(11)),
        ),
        refused(
            "storyId",
            "exactly 24 characters",
            "25 characters",
            chat(
                ChatInput::new(SESSION_ID)
                    .query("q")
                    .story_id("s".repeat(25)),
            ),
        ),
        refused(
            "parameters",
            "at most 99 items",
            "100 items",
            chat(
                (0..100).fold(ChatInput::new(SESSION_ID).query("q"), |input, i| {
                    input.parameter(format!("p{i}"), "v")
                }),
            ),
        ),
        // path identifiers: an empty one would address another resource
        refused(
            "id",
            "a non-empty identifier",
            "\"\"",
            Box::new(|jelou| Box::pin(async move { jelou.get_user("").await.map(drop) })),
        ),
        refused(
            "botId",
            "a non-empty identifier",
            "\"\"",
            Box::new(|jelou| {
                Box::pin(async move {
                    jelou
                        .history_page("", &HistoryQuery::default())
                        .await
                        .map(drop)
                })
            }),
        ),
        refused(
            "userId",
            "a non-empty identifier",
            "\"\"",
            Box::new(|jelou| Box::pin(async move { jelou.get_cache("", None).await.map(drop) })),
        ),
    ]
}

#[tokio::test]
async fn one_past_each_limit_is_refused_with_nothing_sent() {
    let server = MockServer::start_async().await;
    let anything = server.mock(|when, then| {
        when.path_includes("/");
        then.status(200).body("{}");
    });
    let (jelou, _) = ext_client(&server.base_url());
    let cases = one_past_each_limit();
    for case in &cases {
        let error = (case.call)(&jelou)
            .await
            .expect_err("the input breaks a documented limit");
        let Error::Validation(refusal) = &error else {
            panic!("{}: expected a validation error, got {error:?}", case.field);
        };
        assert_eq!(refusal.field(), case.field, "{error}");
        assert!(refusal.limit().starts_with(case.limit), "{error}");
        assert!(refusal.value().starts_with(case.value), "{error}");
        let shown = error.to_string();
        for part in [case.field, case.limit, case.value] {
            assert!(shown.contains(part), "{shown:?} does not name {part:?}");
        }
    }
    assert!(cases.len() >= 33, "{} cases", cases.len());
    anything.assert_calls_async(0).await;
}

fn answering<'a>(server: &'a MockServer, method: &str, path: &str, fixture_name: &str) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(method).path(path);
        then.status(200).json_body(fixture(fixture_name));
    })
}

#[tokio::test]
async fn the_limits_themselves_are_accepted_and_sent() {
    let server = MockServer::start_async().await;
    let messages = answering(
        &server,
        "POST",
        "/v1/bots/BOT_ID/messages",
        "message_send.200.json",
    );
    let chats = answering(&server, "POST", "/query", "chat_query.200.json");
    let creates = answering(&server, "POST", "/users", "user_create.200.json");
    let updates = answering(
        &server,
        "PUT",
        "/users/5b7ff847cc3c3fb33c9249a8",
        "user_update.200.json",
    );
    let sessions = answering(
        &server,
        "PUT",
        "/users/5b7ff847cc3c3fb33c9249a8/session",
        "user_session_update.200.json",
    );
    let lists = answering(&server, "GET", "/users", "user_list.200.json");
    let histories = answering(
        &server,
        "GET",
        "/v1/external/messages/history/BOT_ID",
        "history_list.200.json",
    );
    let (jelou, _) = ext_client(&server.base_url());

    let key_128 = "k".repeat(127) + "-";
    let accepted: Vec<(&str, Call)> = vec![
        ("10 options", message(options(10))),
        // The spec sets no minimum length for a message's text.
        ("an empty text", message(Message::text("USER_ID", ""))),
        (
            "a 24-character accented title",
            message(
                Message::text("USER_ID", "t").option(ListOption::new("Opción número veinticuat")),
            ),
        ),
        (
            "a 72-character description",
            message(
                Message::text("USER_ID", "t")
                    .option(ListOption::new(chars(24)).description(chars(72))),
            ),
        ),
        (
            "history limit and page 1",
            history(HistoryQuery {
                limit: Some(1),
                page: 1,
                ..HistoryQuery::default()
            }),
        ),
        (
            "history limit 50",
            history(HistoryQuery {
                limit: Some(50),
                ..HistoryQuery::default()
            }),
        ),
        (
            "user limit 40",
            list(UserQuery {
                limit: Some(40),
                ..UserQuery::default()
            }),
        ),
        (
            "user limit 1",
            list(UserQuery {
                limit: Some(1),
                ..UserQuery::default()
            }),
        ),
        (
            "5 filters",
            list(UserQuery {
                filters: vec![json!({}); 5],
                ..UserQuery::default()
            }),
        ),
        (
            "a 256-character userId and a 24-character segment",
            create(NewUser::with_user_id(chars(256), attributes(1)).segment("s".repeat(24))),
        ),
        (
            "an e-mail instead of a userId",
            create(NewUser::with_attributes(
                Attributes::new().with("default_email", "joe@doe.com"),
            )),
        ),
        ("99 attributes", update(attributes(99))),
        (
            "a 256-character name",
            update(Attributes::new().with("default_name", chars(256))),
        ),
        (
            "a 1024-character value and a 128-character key",
            update(Attributes::new().with(key_128.clone(), chars(1024))),
        ),
        (
            "a 10-character session",
            session("s".repeat(10), attributes(1)),
        ),
        (
            "a 64-character session",
            session("s".repeat(64), attributes(1)),
        ),
        (
            "a 256-character query",
            chat(ChatInput::new(SESSION_ID).query(chars(256))),
        ),
        (
            "a 50-character trigger",
            chat(ChatInput::new(SESSION_ID).trigger(chars(50))),
        ),
        (
            "a 24-character goto",
            chat(ChatInput::new(SESSION_ID).goto("g".repeat(24))),
        ),
        (
            "confidence 0.1, lifespan 1",
            chat(
                ChatInput::new(SESSION_ID)
                    .query("q")
                    .confidence(0.1)
                    .lifespan(1),
            ),
        ),
        (
            "confidence 1.0, lifespan 10, 99 parameters",
            chat(
                (0..99).fold(
                    ChatInput::new(SESSION_ID)
                        .query("q")
                        .confidence(1.0)
                        .lifespan(10),
                    |input, i| input.parameter(format!("p{i}"), "v"),
                ),
            ),
        ),
    ];
    for (case, call) in &accepted {
        call(&jelou)
            .await
            .unwrap_or_else(|e| panic!("{case} must be accepted: {e}"));
    }
    messages.assert_calls_async(4).await;
    histories.assert_calls_async(2).await;
    lists.assert_calls_async(3).await;
    creates.assert_calls_async(2).await;
    updates.assert_calls_async(3).await;
    sessions.assert_calls_async(2).await;
    chats.assert_calls_async(5).await;
}
