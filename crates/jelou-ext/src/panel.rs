//! [`PanelReply`]: an agent's message from the business's support panel to the user of an
//! active panel conversation.

use std::sync::atomic::{AtomicU64, Ordering};

use jelou_webhooks::PanelMessage;
use serde::Serialize;

use crate::validate::{self, ValidationError};

/// An agent's message to the user of a panel conversation, sent with
/// [`crate::Jelou::send_panel_message`] (signed with the integration's signing secret).
///
/// It goes to the conversation a panel event names ([`PanelReply::answering`]) or to one
/// given in full ([`PanelReply::new`]); its content is text or a file by HTTPS URL.
///
/// ```
/// use jelou_ext::PanelReply;
///
/// let reply = PanelReply::new("PROJECT_ID", "ROOM_ID", "BOT_ID", "USER_ID")
///     .text("Hola, soy Ana del equipo de soporte.");
/// assert!(reply.validate().is_ok());
///
/// let invoice = PanelReply::new("PROJECT_ID", "ROOM_ID", "BOT_ID", "USER_ID")
///     .document("https://example.com/factura.pdf", "application/pdf")
///     .filename("factura.pdf");
/// assert!(invoice.validate().is_ok());
///
/// let insecure = PanelReply::new("PROJECT_ID", "ROOM_ID", "BOT_ID", "USER_ID")
///     .image("http://example.com/a.jpg", "image/jpeg");
/// assert_eq!(insecure.validate().unwrap_err().field(), "value.content.url");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PanelReply {
    field: &'static str,
    object: &'static str,
    event_type: &'static str,
    project_id: String,
    room_id: String,
    bot_id: String,
    user_id: String,
    value: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct Value {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    content: Content,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct Content {
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
}

/// A message id no other reply of this process has: the time and a counter.
fn fresh_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("msg-{millis:x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl PanelReply {
    /// A reply in the conversation of `project_id`'s room `room_id`, from `bot_id` to
    /// `user_id`, with no content yet (an empty text, refused by [`Self::validate`]). Its
    /// message id is new; [`Self::id`] sets your own.
    pub fn new(
        project_id: impl Into<String>,
        room_id: impl Into<String>,
        bot_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        Self {
            field: "messages",
            object: "message_event",
            event_type: "incoming_message",
            project_id: project_id.into(),
            room_id: room_id.into(),
            bot_id: bot_id.into(),
            user_id: user_id.into(),
            value: Value {
                id: fresh_id(),
                kind: "text",
                content: Content::default(),
            },
        }
    }

    /// A reply in the conversation of a user's `message` event; `None` when the event lacks
    /// its project, room, bot or user.
    pub fn answering(event: &PanelMessage) -> Option<Self> {
        Some(Self::new(
            event.event.project_id.clone()?,
            event.event.room_id.clone()?,
            event.bot.as_ref()?.id.clone()?,
            event.contact.as_ref()?.id.clone()?,
        ))
    }

    /// The message's own id (new by default).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.value.id = id.into();
        self
    }

    /// A text message.
    pub fn text(mut self, body: impl Into<String>) -> Self {
        self.value.kind = "text";
        self.value.content = Content {
            body: Some(body.into()),
            ..Content::default()
        };
        self
    }

    fn file(mut self, kind: &'static str, url: String, mime_type: String) -> Self {
        self.value.kind = kind;
        self.value.content = Content {
            url: Some(url),
            mime_type: Some(mime_type),
            ..Content::default()
        };
        self
    }

    /// An image by HTTPS URL, with its media type (`image/jpeg`).
    pub fn image(self, url: impl Into<String>, mime_type: impl Into<String>) -> Self {
        self.file("image", url.into(), mime_type.into())
    }

    /// A video by HTTPS URL, with its media type (`video/mp4`).
    pub fn video(self, url: impl Into<String>, mime_type: impl Into<String>) -> Self {
        self.file("video", url.into(), mime_type.into())
    }

    /// An audio by HTTPS URL, with its media type (`audio/mpeg`).
    pub fn audio(self, url: impl Into<String>, mime_type: impl Into<String>) -> Self {
        self.file("audio", url.into(), mime_type.into())
    }

    /// A document by HTTPS URL, with its media type (`application/pdf`).
    pub fn document(self, url: impl Into<String>, mime_type: impl Into<String>) -> Self {
        self.file("document", url.into(), mime_type.into())
    }

    /// A caption, for an image or a video.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.value.content.caption = Some(caption.into());
        self
    }

    /// The name the user sees, for a document.
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.value.content.filename = Some(filename.into());
        self
    }

    /// Checks every limit the spec states for the message (`panel_message_send`'s body),
    /// and that its content fits its type: a text has a body, a file a URL and a media type.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let content = &self.value.content;
        let missing = match self.value.kind {
            "text" if content.body.is_none() => Some(("value.content.body", "a text message")),
            "text" => None,
            _ if content.url.is_none() => Some(("value.content.url", "a file message")),
            _ if content.mime_type.is_none() => Some(("value.content.mime_type", "a file message")),
            _ => None,
        };
        if let Some((field, kind)) = missing {
            return Err(ValidationError::new(
                field,
                format!("required in {kind}"),
                "absent",
            ));
        }
        validate::body("panel_message_send", self)
    }
}
