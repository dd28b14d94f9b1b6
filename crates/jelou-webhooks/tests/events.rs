//! Every documented event decodes into its kind with its documented fields; anything else is
//! kept, never an error.

use jelou_webhooks::{DeliveryKind, Event};
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

#[test]
fn the_panels_message_event_decodes_with_every_documented_field() {
    let Event::Message(message) = Event::decode(&fixture("panel_message.json")).expect("an event")
    else {
        panic!("a message event");
    };
    assert_eq!(message.event.event_type.as_deref(), Some("message"));
    assert_eq!(message.event.timestamp, Some(1_776_134_278_574));
    assert_eq!(message.event.project_id.as_deref(), Some("PROJECT_ID"));
    assert_eq!(message.event.room_id.as_deref(), Some("ROOM_ID"));
    let contact = message.contact.expect("a contact");
    assert_eq!(contact.id.as_deref(), Some("USER_ID"));
    assert_eq!(contact.name.as_deref(), Some("USER_NAME"));
    assert_eq!(
        message.conversation.and_then(|c| c.id).as_deref(),
        Some("CONVERSATION_ID")
    );
    assert_eq!(
        message.bot.and_then(|b| b.name).as_deref(),
        Some("BOT_NAME")
    );
    let value = message.value.expect("a value");
    assert_eq!(value.kind.as_deref(), Some("text"));
    assert_eq!(value.content.expect("content")["body"], "Hola");
}

#[test]
fn each_named_event_is_recognised_and_keeps_what_the_pages_do_not_show() {
    let decode =
        |value: serde_json::Value| Event::decode(value.to_string().as_bytes()).expect("an object");
    assert!(matches!(
        decode(json!({"event_type": "conversation.start", "project_id": "P", "ticket": "T-1"})),
        Event::ConversationStart(e) if e.project_id.as_deref() == Some("P") && e.extra["ticket"] == "T-1"
    ));
    assert!(matches!(
        decode(json!({"event_type": "conversation.close"})),
        Event::ConversationClose(_)
    ));
    // The close page's own fields: `event`, `timestamp` in milliseconds, `project_id`.
    assert!(matches!(
        decode(json!({"event": "conversation.close", "timestamp": 1776134352163_i64, "project_id": "P"})),
        Event::ConversationClose(e) if e.event.as_deref() == Some("conversation.close")
            && e.timestamp == Some(1_776_134_352_163) && e.project_id.as_deref() == Some("P")
    ));
    for (name, kind) in [
        ("delivered_channel", DeliveryKind::DeliveredChannel),
        ("delivered_user", DeliveryKind::DeliveredUser),
        ("failed", DeliveryKind::Failed),
        ("read", DeliveryKind::Read),
        ("reply", DeliveryKind::Reply),
    ] {
        assert!(
            matches!(decode(json!({"event": name, "id": "n-1"})), Event::Delivery(d) if d.kind == kind && d.raw["id"] == "n-1"),
            "{name}"
        );
    }
    let Event::WidgetUserNew(user) =
        Event::decode(&fixture("widget_user_new.json")).expect("an event")
    else {
        panic!("user-new");
    };
    assert_eq!(user.payload.expect("a payload")["roomId"], "G:BOT_ID:ref-1");
    assert!(matches!(
        decode(json!({"event": "message:user", "origin": "web", "messages": []})),
        Event::WidgetMessage(m) if m.extra["origin"] == "web"
    ));
    assert!(matches!(
        decode(json!({"event": "room-member-add", "payload": {}})),
        Event::WidgetRoomMemberAdd(_)
    ));
    assert!(matches!(
        decode(json!({"event": "room-member-remove"})),
        Event::WidgetRoomMemberRemove(_)
    ));
    assert!(matches!(
        decode(json!({"event": "conversation-open"})),
        Event::WidgetConversationOpen(_)
    ));
}

#[test]
fn an_unknown_event_or_unexpected_types_are_kept_whole_and_non_objects_refused() {
    let unknown = json!({"event": "something-new", "n": 1});
    assert_eq!(
        Event::decode(unknown.to_string().as_bytes()).expect("an object"),
        Event::Unknown(unknown.as_object().expect("object").clone())
    );
    // A message whose timestamp is text is not what the pages show: kept whole.
    let odd = json!({"event_type": "message", "timestamp": "yesterday"});
    assert!(matches!(
        Event::decode(odd.to_string().as_bytes()).expect("an object"),
        Event::Unknown(_)
    ));
    assert!(Event::decode(b"[1,2]").is_err());
    assert!(Event::decode(b"not json").is_err());
    assert!(Event::decode(b"").is_err());
}
