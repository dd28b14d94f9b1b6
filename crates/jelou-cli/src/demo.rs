//! `jelou demo`: every operation once, against the demo data, saying what happened.

use futures_util::TryStreamExt;
use jelou_ext::{
    Attributes, ChatInput, HistoryQuery, Jelou, JsonRequest, ListOption, Message, NewUser,
    PanelReply, SigningSecret, TemplateSend, UserQuery, types,
};
use jelou_sandbox::{DEMO_BOT, DEMO_PHONE, DEMO_PROJECT, DEMO_USER_ID};
use serde_json::{Map, Value};

use crate::failure::Failure;

/// The user the tour creates, whose session it uses and whose conversation it hands over.
const ANA: &str = "demo-42";

fn step(n: usize, operation: &str, what: String) {
    println!("{n:>2}. {operation:<27} {what}");
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

    let photo = Message::image(DEMO_PHONE, "https://example.com/catalogo.png")
        .caption("Nuestro catálogo de diciembre");
    let sent = jelou.send_message(DEMO_BOT, &photo).await?;
    step(
        14,
        "message_send",
        format!("sent an image with a caption: {}", sent.message_id),
    );
    let question = Message::quick_reply(DEMO_PHONE, "¿Te ayudamos con algo más?")
        .reply("Sí")
        .reply("No, gracias");
    let sent = jelou.send_message(DEMO_BOT, &question).await?;
    step(
        15,
        "message_send",
        format!("sent 2 quick replies: {}", sent.message_id),
    );

    let draft = JsonRequest::new()
        .path("botId", DEMO_BOT)
        .body(serde_json::json!({
            "category": "UTILITY", "language": "es", "elementName": "pedido_enviado",
            "displayName": "Pedido enviado", "template": "Tu pedido {{1}} va en camino.",
            "params": [{"param": "1", "label": "pedido", "example": "ORD-777"}], "paramsNumber": 1,
            "type": "HSM", "interactiveAction": "NONE",
        }));
    jelou.send_json("template_create", draft).await?;
    step(
        16,
        "template_create",
        "created template pedido_enviado".to_owned(),
    );
    let templates = jelou
        .send(jelou.raw().template_list().bot_id(DEMO_BOT))
        .await?
        .data;
    let states: Vec<String> = templates
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t.element_name.as_deref().unwrap_or("?"),
                t.status.as_deref().unwrap_or("?")
            )
        })
        .collect();
    step(
        17,
        "template_list",
        format!("the bot's templates: {}", states.join(", ")),
    );
    let approved = templates
        .iter()
        .find(|t| t.status.as_deref() == Some("APPROVED"))
        .and_then(|t| t.element_name.clone())
        .unwrap_or_default();
    let reminder = TemplateSend::new(&approved)
        .to(DEMO_PHONE)
        .language("es")
        .parameter("Ana")
        .parameter("10:30");
    let sent = jelou.send_template(DEMO_BOT, &reminder).await?;
    step(
        18,
        "hsm_send",
        format!(
            "sent the approved template {approved} to {} number(s)",
            sent.len()
        ),
    );
    let campaign = JsonRequest::new()
        .path("botId", DEMO_BOT)
        .path("campaignId", "demo-campaign")
        .body(serde_json::json!({
            "type": "template", "templateId": approved, "userId": DEMO_PHONE,
            "parameters": {"nombre": "Ana"},
        }));
    jelou.send_json("campaign_template_send", campaign).await?;
    step(
        19,
        "campaign_template_send",
        format!("sent {approved} to {DEMO_PHONE} as part of a campaign"),
    );

    let databases = jelou.send(jelou.raw().database_list()).await?.data;
    let database = databases
        .first()
        .and_then(|db| db.id.as_ref())
        .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_owned))
        .unwrap_or_default();
    step(
        20,
        "database_list",
        format!("{} database(s); using {database}", databases.len()),
    );
    let row = jelou
        .send_json(
            "row_create",
            JsonRequest::new()
                .path("databaseId", &database)
                .body(serde_json::json!({"fields": {"name": "Ana", "total": "12.50"}})),
        )
        .await?;
    let row_id = row
        .pointer("/data/_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    step(
        21,
        "row_create",
        format!("wrote row {row_id}: name=Ana, total=12.50"),
    );
    let row_path = || {
        JsonRequest::new()
            .path("databaseId", &database)
            .path("rowId", &row_id)
    };
    jelou
        .send_json(
            "row_update",
            row_path().body(serde_json::json!({"fields": {"total": "15.00"}})),
        )
        .await?;
    step(22, "row_update", "changed total to 15.00".to_owned());
    let read = jelou.send_json("row_get", row_path()).await?;
    step(
        23,
        "row_get",
        format!(
            "read it back: total={}",
            read.pointer("/data/total").unwrap_or(&Value::Null)
        ),
    );
    let rows: Vec<_> = jelou.rows(&database, 50).try_collect().await?;
    step(
        24,
        "row_list",
        format!("the database holds {} row(s)", rows.len()),
    );
    jelou.send_json("row_delete", row_path()).await?;
    step(25, "row_delete", format!("deleted row {row_id}"));

    // The external support panel: its integration, a conversation handed to it, an agent's
    // reply (signed with the integration's secret) and the close.
    let created = jelou
        .send(
            jelou
                .raw()
                .panel_integration_create()
                .project_id(DEMO_PROJECT)
                .body(
                    types::PanelIntegrationCreateRequest::builder()
                        .webhook_url(webhook_url("https://example.com/jelou/panel")?),
                ),
        )
        .await?;
    let secret = created
        .signing_secret
        .as_ref()
        .and_then(|secret| SigningSecret::new(secret.expose()).ok())
        .ok_or_else(|| Failure::internal("the integration came without its signing secret"))?;
    jelou.set_signing_secret(secret);
    step(
        26,
        "panel_integration_create",
        format!(
            "connected project {DEMO_PROJECT}'s panel (integration {}; its signing secret kept, not shown)",
            created.id.unwrap_or_default()
        ),
    );
    let integration = jelou
        .send(jelou.raw().panel_integration_get().project_id(DEMO_PROJECT))
        .await?;
    step(
        27,
        "panel_integration_get",
        format!(
            "its events go to {}",
            integration
                .data
                .and_then(|data| data.webhook_url)
                .unwrap_or_default()
        ),
    );
    jelou
        .send(
            jelou
                .raw()
                .panel_integration_update()
                .project_id(DEMO_PROJECT)
                .body(
                    types::PanelIntegrationUpdateRequest::builder()
                        .webhook_url(Some(webhook_url("https://example.com/jelou/panel-v2")?)),
                ),
        )
        .await?;
    step(
        28,
        "panel_integration_update",
        "moved its events to /panel-v2".to_owned(),
    );
    let started = jelou
        .send_json(
            "panel_conversation_start",
            JsonRequest::new()
                .path("projectId", DEMO_PROJECT)
                .body(serde_json::json!({
                    "botId": DEMO_BOT, "userId": DEMO_PHONE,
                    "initialMessage": "Te comunico con un agente.",
                    "assignment": {"type": "queue", "target": "SOPORTE"},
                })),
        )
        .await?;
    let conversation = started
        .pointer("/data/_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let room = started
        .pointer("/data/roomId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    step(
        29,
        "panel_conversation_start",
        format!("handed {DEMO_PHONE}'s conversation to the SOPORTE queue: {conversation}"),
    );
    let reply = PanelReply::new(DEMO_PROJECT, room, DEMO_BOT, DEMO_PHONE)
        .text("Hola, soy Ana del equipo de soporte.");
    jelou.send_panel_message(&reply).await?;
    step(
        30,
        "panel_message_send",
        "an agent replied, signed".to_owned(),
    );
    let read = jelou
        .send_json(
            "panel_conversation_get",
            JsonRequest::new()
                .path("projectId", DEMO_PROJECT)
                .path("conversationId", conversation.as_str()),
        )
        .await?;
    step(
        31,
        "panel_conversation_get",
        format!(
            "the conversation is {}",
            read.pointer("/data/state")
                .and_then(Value::as_str)
                .unwrap_or("?")
        ),
    );
    jelou
        .send_json(
            "panel_conversation_close",
            JsonRequest::new()
                .path("projectId", DEMO_PROJECT)
                .body(serde_json::json!({
                    "botId": DEMO_BOT, "userId": DEMO_PHONE,
                    "redirectPayload": {"type": "text", "text": "Gracias por escribirnos."},
                })),
        )
        .await?;
    step(
        32,
        "panel_conversation_close",
        "closed it with a goodbye".to_owned(),
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
        "template_create",
        "template_list",
        "hsm_send",
        "campaign_template_send",
        "database_list",
        "row_create",
        "row_update",
        "row_get",
        "row_list",
        "row_delete",
        "panel_integration_create",
        "panel_integration_get",
        "panel_integration_update",
        "panel_conversation_start",
        "panel_message_send",
        "panel_conversation_get",
        "panel_conversation_close",
    ];
    let others = jelou_client::OPERATIONS
        .iter()
        .filter(|operation| !toured.contains(&operation.id));
    for (n, operation) in (33..).zip(others) {
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

/// A URL for the panel's events, as its type takes it.
fn webhook_url(url: &str) -> Result<types::PanelWebhookUrl, Failure> {
    url.parse()
        .map_err(|e| Failure::internal(format!("{url} as a panel webhook URL: {e}")))
}

/// An answer in a few words: its fields, or how many items it lists.
fn described(answer: &Value) -> String {
    match answer {
        Value::Object(fields) if fields.is_empty() => "answered an empty object".to_owned(),
        Value::Object(fields) => {
            let names: Vec<&str> = fields.keys().map(String::as_str).take(5).collect();
            format!("answered with {}", names.join(", "))
        }
        Value::Array(items) => format!("answered {} items", items.len()),
        other => format!("answered {other}"),
    }
}
