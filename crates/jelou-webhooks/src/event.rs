//! The events Jelou sends, decoded from what the pages document and keeping everything else.
//!
//! Every field is optional and every struct keeps the fields it does not name in `extra`: the
//! pages show some payloads in full, some by name only, and an event or a field they did not
//! show is kept, never an error.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::DecodeError;

/// One delivery from Jelou.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// External support panel: the end user wrote during a conversation handed to your
    /// panel (`event_type: "message"`).
    Message(Box<PanelMessage>),
    /// External support panel: a conversation was handed to your panel
    /// (`conversation.start`; the pages name it without showing its payload).
    ConversationStart(PanelEvent),
    /// External support panel: a conversation ended (`conversation.close`; its page lists
    /// `event`, `timestamp` and `project_id` before the rest is cut off).
    ConversationClose(PanelEvent),
    /// A template's delivery: `delivered_channel`, `delivered_user`, `failed`, `read` or
    /// `reply` (the pages name these events without showing their payload; they are
    /// recognised by an `event` or `event_type` field holding the name).
    Delivery(Delivery),
    /// Web widget: a new user (`user-new`).
    WidgetUserNew(WidgetEvent),
    /// Web widget: a user wrote (`message:user`).
    WidgetMessage(WidgetEvent),
    /// Web widget: a member joined a room (`room-member-add`).
    WidgetRoomMemberAdd(WidgetEvent),
    /// Web widget: a member left a room (`room-member-remove`).
    WidgetRoomMemberRemove(WidgetEvent),
    /// Web widget: a conversation was opened (`conversation-open`).
    WidgetConversationOpen(WidgetEvent),
    /// A JSON object of a kind the pages do not document, as it came.
    Unknown(Map<String, Value>),
}

/// What the panel's events share: where they come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PanelEvent {
    /// `messages` on a message event.
    pub field: Option<String>,
    /// `message_event` on a message event.
    pub object: Option<String>,
    /// The event's name: `message`, `conversation.start`, `conversation.close`.
    pub event_type: Option<String>,
    /// The event's name, as the close page's payload calls the field (`conversation.close`).
    pub event: Option<String>,
    /// When it happened; 13 digits in the example, so milliseconds since 1970 (not stated).
    pub timestamp: Option<i64>,
    /// The Jelou project (brain) of the integration.
    pub project_id: Option<String>,
    /// The conversation's room.
    pub room_id: Option<String>,
    /// Every other field, as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The end user's message to your panel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PanelMessage {
    /// Where it comes from.
    #[serde(flatten)]
    pub event: PanelEvent,
    /// The end user.
    pub contact: Option<Named>,
    /// The conversation.
    pub conversation: Option<Named>,
    /// The bot.
    pub bot: Option<Named>,
    /// The message.
    pub value: Option<PanelContent>,
}

/// Something with an id and, sometimes, a name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Named {
    /// Its id.
    pub id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Every other field, as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A message of the panel, in either direction: its id, kind and content.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PanelContent {
    /// The message's id.
    pub id: Option<String>,
    /// `text`, `image`, `video`, `audio` or `document`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `{"body"}` for a text; `{"url", "mime_type"}` and an optional `caption` (image,
    /// video) or `filename` (document) for a file.
    pub content: Option<Map<String, Value>>,
    /// Every other field, as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Which delivery event a [`Delivery`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryKind {
    /// Sent through WhatsApp (`delivered_channel`).
    DeliveredChannel,
    /// It reached the user's phone (`delivered_user`).
    DeliveredUser,
    /// It could not be delivered (`failed`).
    Failed,
    /// The user read it (`read`; only with read receipts on).
    Read,
    /// The user replied (`reply`).
    Reply,
}

impl DeliveryKind {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "delivered_channel" => Self::DeliveredChannel,
            "delivered_user" => Self::DeliveredUser,
            "failed" => Self::Failed,
            "read" => Self::Read,
            "reply" => Self::Reply,
            _ => return None,
        })
    }
}

/// A template's delivery event; its payload is not documented and is kept whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// Which event it is.
    pub kind: DeliveryKind,
    /// The whole payload.
    pub raw: Map<String, Value>,
}

/// A web widget event: `{event, payload, datetime}` (the room message carries its fields at
/// the top level; they are in `extra`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WidgetEvent {
    /// The event's name, such as `user-new`.
    pub event: Option<String>,
    /// What happened: the user, the room and member, the opened conversation.
    pub payload: Option<Map<String, Value>>,
    /// When.
    pub datetime: Option<Value>,
    /// Every other field, as it came (`origin`, `app`, `sender`, `room`, `messages` of a
    /// room message).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Event {
    /// Decodes a verified body. Never panics, whatever the bytes; fails only when they are
    /// not a JSON object. An object of a kind or with fields the pages do not show comes back
    /// as [`Event::Unknown`] or with the fields in `extra`.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let value: Value = serde_json::from_slice(body).map_err(DecodeError::NotAnObject)?;
        let Value::Object(object) = value else {
            return Err(DecodeError::NotAnObjectValue);
        };
        Ok(Self::from_object(object))
    }

    fn from_object(object: Map<String, Value>) -> Self {
        let name = |field: &str| object.get(field).and_then(Value::as_str).map(str::to_owned);
        let event_type = name("event_type");
        let event = name("event");
        let typed = |object: Map<String, Value>| -> Option<Self> {
            let value = Value::Object(object);
            Some(match (event_type.as_deref(), event.as_deref()) {
                (Some("message"), _) => {
                    Self::Message(Box::new(serde_json::from_value(value).ok()?))
                }
                // The close page names the field `event`; the message event `event_type`.
                (Some("conversation.start"), _) | (_, Some("conversation.start")) => {
                    Self::ConversationStart(serde_json::from_value(value).ok()?)
                }
                (Some("conversation.close"), _) | (_, Some("conversation.close")) => {
                    Self::ConversationClose(serde_json::from_value(value).ok()?)
                }
                (_, Some("user-new")) => Self::WidgetUserNew(serde_json::from_value(value).ok()?),
                (_, Some("message:user")) => {
                    Self::WidgetMessage(serde_json::from_value(value).ok()?)
                }
                (_, Some("room-member-add")) => {
                    Self::WidgetRoomMemberAdd(serde_json::from_value(value).ok()?)
                }
                (_, Some("room-member-remove")) => {
                    Self::WidgetRoomMemberRemove(serde_json::from_value(value).ok()?)
                }
                (_, Some("conversation-open")) => {
                    Self::WidgetConversationOpen(serde_json::from_value(value).ok()?)
                }
                (kind, other) => {
                    let kind = kind.or(other).and_then(DeliveryKind::named)?;
                    let Value::Object(raw) = value else {
                        return None;
                    };
                    Self::Delivery(Delivery { kind, raw })
                }
            })
        };
        // A documented kind whose fields have other types than the pages show is kept whole.
        typed(object.clone()).unwrap_or(Self::Unknown(object))
    }
}
