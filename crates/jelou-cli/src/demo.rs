//! `jelou demo`: every operation once, against the demo data, saying what happened.

use jelou_ext::{
    Attributes, ChatInput, HistoryQuery, Jelou, JsonRequest, ListOption, Message, NewUser,
    UserQuery,
};
use jelou_sandbox::{DEMO_BOT, DEMO_PHONE, DEMO_USER_ID};
use serde_json::{Map, Value};

use crate::failure::Failure;

/// The user the tour creates, whose session it uses and whose conversation it hands over.
const ANA: &str = "demo-42";

fn step(n: usize, operation: &str, what: String) {
    println!("{n:>2}. {operation:<20} {what}");
}

/// Runs the tour; the first failure stops it.
pub(crate) async fn demo(jelou: &Jelou) -> Result<(), Failure> {
    println!("A tour of the Jelou API: bot {DEMO_BOT}, user {DEMO_PHONE}\n");
    let menu = Message::text(DEMO_PHONE, "¿Qué necesitas hoy?")
        .title("Menú")
        .button_text("Ver opciones")
        .option(
            ListOption::new("Ver pedido")
                .id("order")
                .description("El estado de tu pedido"),
        )
        .option(ListOption::new("Hablar con alguien").id("human"));
    let sent = jelou.send_message(DEMO_BOT, &menu).await?;
    step(
        1,
        "message_send",
        format!("sent a list message with 2 options: {}", sent.message_id),
    );

    let page = jelou
        .history_page(DEMO_BOT, &HistoryQuery::default())
        .await?;
    let newest = page
        .results
        .last()
        .and_then(|m| m.bubble.as_ref()?.text.clone())
        .unwrap_or_default();
    step(
        2,
        "history_list",
        format!(
            "{} messages in the history, the newest: {newest:?}",
            page.pagination.total
        ),
    );

    let params: Map<String, Value> = [("orderNumber".to_owned(), Value::from("ORD-777"))]
        .into_iter()
        .collect();
    jelou.set_cache(DEMO_PHONE, DEMO_BOT, params).await?;
    step(
        3,
        "cache_set",
        "stored orderNumber=ORD-777 in the user's cache".to_owned(),
    );

    let cache = jelou.get_cache(DEMO_PHONE, Some(DEMO_BOT)).await?;
    step(
        4,
        "cache_get",
        format!("the cache now holds {}", Value::Object(cache)),
    );

    let created = jelou
        .create_user(&NewUser::with_user_id(
            ANA,
            Attributes::new()
                .with("default_name", "Ana")
                .with("default_city", "Quito"),
        ))
        .await?;
    let new_id = created
        .first()
        .and_then(|r| r.id.clone())
        .unwrap_or_default();
    step(5, "user_create", format!("created user {new_id}"));

    let users = jelou.list_users(&UserQuery::default()).await?;
    step(
        6,
        "user_list",
        format!("{} users in the account", users.data.len()),
    );

    let user = jelou.get_user(DEMO_USER_ID).await?;
    let name = user
        .attributes
        .as_ref()
        .and_then(|a| a.get("default_name").cloned().flatten())
        .unwrap_or_default();
    step(7, "user_get", format!("user {DEMO_USER_ID} is {name}"));

    jelou
        .update_user(
            &new_id,
            &Attributes::new().with("default_email", "ana@example.com"),
        )
        .await?;
    step(8, "user_update", format!("set default_email of {new_id}"));

    jelou
        .update_session(
            &new_id,
            "demo-session-1",
            &Attributes::new().with("step", "checkout"),
        )
        .await?;
    step(
        9,
        "user_session_update",
        "set step=checkout in session demo-session-1".to_owned(),
    );

    let answer = jelou
        .chat(&ChatInput::new("demo-session-1").query("hola"))
        .await?;
    let reply = answer
        .result
        .as_ref()
        .and_then(|r| r.fulfillment.first()?.message.clone())
        .unwrap_or_default();
    step(10, "chat_query", format!("the bot answered {reply:?}"));

    let state = |state: &str| {
        JsonRequest::new().body(serde_json::json!({
            "botId": DEMO_BOT, "userId": ANA, "state": state, "ttl": 3600,
        }))
    };
    jelou.send_json("user_state_set", state("manual")).await?;
    step(
        11,
        "user_state_set",
        format!("handed {ANA}'s conversation to a person (manual, for an hour)"),
    );
    let quiet = jelou
        .chat(&ChatInput::new("demo-session-1").query("¿hay alguien?"))
        .await?;
    let answers = quiet.result.map_or(0, |r| r.fulfillment.len());
    let read = jelou
        .send(jelou.raw().user_state_get().user_id(ANA))
        .await?;
    step(
        12,
        "user_state_get",
        format!(
            "{ANA} is {}; asked \"¿hay alguien?\", the bot gave {answers} answers",
            read.state.as_deref().unwrap_or("?")
        ),
    );
    jelou.send_json("user_state_set", state("auto")).await?;
    step(
        13,
        "user_state_set",
        "gave the conversation back to the bot (auto)".to_owned(),
    );

    // Every other operation of the spec, with the request its documentation shows.
    let toured = [
        "user_state_set",
        "user_state_get",
        "message_send",
        "history_list",
        "cache_set",
        "cache_get",
        "user_create",
        "user_list",
        "user_get",
        "user_update",
        "user_session_update",
        "chat_query",
    ];
    let others = jelou_client::OPERATIONS
        .iter()
        .filter(|operation| !toured.contains(&operation.id));
    for (n, operation) in (14..).zip(others) {
        let answer = jelou
            .send_json(operation.id, JsonRequest::documented(operation))
            .await?;
        step(
            n,
            operation.id,
            format!("{}: {}", operation.summary, described(&answer)),
        );
    }

    println!("\nEvery operation answered. Try `jelou --sandbox history --bot {DEMO_BOT}`.");
    Ok(())
}

/// An answer in a few words: its fields, or how many items it lists.
fn described(answer: &Value) -> String {
    match answer {
        Value::Object(fields) => {
            let names: Vec<&str> = fields.keys().map(String::as_str).take(5).collect();
            format!("answered with {}", names.join(", "))
        }
        Value::Array(items) => format!("answered {} items", items.len()),
        other => format!("answered {other}"),
    }
}
