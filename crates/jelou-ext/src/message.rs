//! [`Message`]: every kind of message a bot can send, built without knowing its JSON.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::inputs::ListOption;
use crate::validate::{self, ValidationError};

/// A message to one user, of any kind the messages pages document.
///
/// Start with the constructor of its kind, add what it takes, and send it with
/// [`crate::Jelou::send_message`]. [`Message::validate`] checks it against the spec's rules
/// for its kind before anything is sent: a setter that does not apply to the kind (a caption
/// on a location) is refused there, naming the field.
///
/// ```
/// use jelou_ext::{ListOption, Message};
///
/// let menu = Message::text("593987654321", "Por favor selecciona una opción")
///     .title("Elige una opción")
///     .button_text("Ver Opciones")
///     .option(ListOption::new("Opción 1").id("option_1").description("La primera"))
///     .option(ListOption::new("Opción 2").id("option_2"));
/// assert!(menu.validate().is_ok());
///
/// let photo = Message::image("593987654321", "https://example.com/catalogo.png")
///     .caption("Nuestro catálogo");
/// assert!(photo.validate().is_ok());
///
/// let question = Message::quick_reply("593987654321", "¿Te gustaría continuar?")
///     .reply("Sí")
///     .reply("No");
/// assert!(question.validate().is_ok());
///
/// let reminder = Message::template("593987654321", "TEMPLATE_ID").parameter("nombre", "Ana");
/// assert!(reminder.validate().is_ok());
///
/// // Not an https URL: refused before sending, naming the field.
/// let refused = Message::image("593987654321", "http://example.com/a.png").validate();
/// assert!(refused.unwrap_err().to_string().contains("mediaUrl"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    kind: &'static str,
    fields: Map<String, Value>,
    options: Vec<ListOption>,
}

impl Message {
    fn new(kind: &'static str, user_id: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert("userId".into(), Value::String(user_id.into()));
        Self {
            kind,
            fields,
            options: Vec::new(),
        }
    }

    fn with(mut self, field: &str, value: Value) -> Self {
        self.fields.insert(field.to_owned(), value);
        self
    }

    /// A text message to the user `user_id` (a phone number without `+`, or the API's id).
    /// Add [`Message::option`]s to show them as a list behind a button.
    pub fn text(user_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new("text", user_id).with("text", Value::String(text.into()))
    }

    /// A text with up to three reply buttons; add them with [`Message::reply`].
    pub fn quick_reply(user_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new("quick_reply", user_id)
            .with("text", Value::String(text.into()))
            .with("quick_replies", json!([]))
    }

    /// An image (JPEG or PNG, at most 5 MB) at a public `https` URL.
    pub fn image(user_id: impl Into<String>, media_url: impl Into<String>) -> Self {
        Self::media("image", user_id, media_url)
    }

    /// An audio file (AAC, MP4, MPEG, AMR or OGG/opus, at most 16 MB).
    pub fn audio(user_id: impl Into<String>, media_url: impl Into<String>) -> Self {
        Self::media("audio", user_id, media_url)
    }

    /// A video (MP4 or 3GP, at most 16 MB).
    pub fn video(user_id: impl Into<String>, media_url: impl Into<String>) -> Self {
        Self::media("video", user_id, media_url)
    }

    /// A document (plain text, PDF or Office, at most 100 MB); name it with
    /// [`Message::filename`].
    pub fn file(user_id: impl Into<String>, media_url: impl Into<String>) -> Self {
        Self::media("file", user_id, media_url)
    }

    /// A sticker (WebP, at most 100 KB).
    pub fn sticker(user_id: impl Into<String>, media_url: impl Into<String>) -> Self {
        Self::media("sticker", user_id, media_url)
    }

    fn media(kind: &'static str, user_id: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(kind, user_id).with("mediaUrl", Value::String(url.into()))
    }

    /// A point on the map: latitude (-90 to 90) and longitude (-180 to 180) in decimal degrees.
    pub fn location(user_id: impl Into<String>, latitude: f64, longitude: f64) -> Self {
        Self::new("location", user_id).with(
            "coordinates",
            json!({"lat": number(latitude), "long": number(longitude)}),
        )
    }

    /// A button asking the user to share their location; `text` says why.
    pub fn location_request(user_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new("location_request", user_id).with("text", Value::String(text.into()))
    }

    /// Contact cards; add them with [`Message::contact`].
    pub fn contacts(user_id: impl Into<String>) -> Self {
        Self::new("contacts", user_id).with("contacts", json!([]))
    }

    /// A button that opens `url`, labelled `label`.
    pub fn url_button(
        user_id: impl Into<String>,
        url: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Self::new("cta_url", user_id).with(
            "parameters",
            json!({"url": url.into(), "display_text": label.into()}),
        )
    }

    /// A button that opens a WhatsApp Flow, described by `parameters` (the page's example:
    /// `flow_id`, `flow_cta`, `flow_name`, `flow_action_payload`, `mode`, `flow_action`,
    /// `flow_message_version`).
    pub fn flow(user_id: impl Into<String>, parameters: Map<String, Value>) -> Self {
        Self::new("flow", user_id).with("parameters", Value::Object(parameters))
    }

    /// A button that calls the business, labelled `label`, below `text`.
    pub fn call_button(
        user_id: impl Into<String>,
        text: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Self::new("voice_call", user_id)
            .with("text", Value::String(text.into()))
            .with("parameters", json!({"display_text": label.into()}))
    }

    /// Cards the user scrolls through; add them with [`Message::card`].
    pub fn carousel(user_id: impl Into<String>) -> Self {
        Self::new("CAROUSEL", user_id).with("parameters", json!({"cards": []}))
    }

    /// An approved template, which reaches the user outside the 24-hour window; fill its
    /// variables with [`Message::parameter`].
    pub fn template(user_id: impl Into<String>, template_id: impl Into<String>) -> Self {
        Self::new("template", user_id).with("templateId", Value::String(template_id.into()))
    }

    /// The kind of message, as the API's `type` names it.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The title: above a list of options, above quick replies, or the header of a URL or
    /// flow button.
    pub fn title(self, title: impl Into<String>) -> Self {
        self.with("title", Value::String(title.into()))
    }

    /// The body text of a URL, flow or call button, or the text above a carousel.
    pub fn text_body(self, text: impl Into<String>) -> Self {
        self.with("text", Value::String(text.into()))
    }

    /// The caption of an image, video or file; the footer of a URL or flow button.
    pub fn caption(self, caption: impl Into<String>) -> Self {
        let field = match self.kind {
            "cta_url" | "flow" => "caption",
            _ => "text",
        };
        self.with(field, Value::String(caption.into()))
    }

    /// The header of a call button.
    pub fn header(self, header: impl Into<String>) -> Self {
        self.with("header", Value::String(header.into()))
    }

    /// The name a file is shown with.
    pub fn filename(self, filename: impl Into<String>) -> Self {
        self.with("filename", Value::String(filename.into()))
    }

    /// The label of the button that opens a list of options ("Opciones" when not set).
    pub fn button_text(self, label: impl Into<String>) -> Self {
        self.with("buttonText", json!({"type": "text", "text": label.into()}))
    }

    /// Adds one option to a text's list (1 to 10 in all).
    pub fn option(mut self, option: ListOption) -> Self {
        self.options.push(option);
        self
    }

    /// Adds one reply button (1 to 3, titles of 1 to 20 characters, all different).
    pub fn reply(self, title: impl Into<String>) -> Self {
        self.push("quick_replies", json!({"title": title.into()}))
    }

    /// Adds one contact card.
    pub fn contact(self, contact: Contact) -> Self {
        self.push("contacts", contact.0)
    }

    /// Adds one carousel card, as the API takes it (the page's example: `card_index`, `type`,
    /// `header`, `body`, `action`).
    pub fn card(mut self, card: Map<String, Value>) -> Self {
        let parameters = self.fields.entry("parameters").or_insert_with(|| json!({}));
        if let Value::Object(parameters) = parameters {
            match parameters.get_mut("cards") {
                Some(Value::Array(cards)) => cards.push(Value::Object(card)),
                _ => {
                    parameters.insert("cards".into(), json!([Value::Object(card)]));
                }
            }
        }
        self
    }

    /// Sets one of a template's variables.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let parameters = self.fields.entry("parameters").or_insert_with(|| json!({}));
        if let Value::Object(parameters) = parameters {
            parameters.insert(name.into(), Value::String(value.into()));
        }
        self
    }

    /// Also names the sending bot in the body (it is always in the path).
    pub fn bot_id(self, bot_id: impl Into<String>) -> Self {
        self.with("botId", Value::String(bot_id.into()))
    }

    /// The options added so far.
    pub fn options(&self) -> &[ListOption] {
        &self.options
    }

    /// Checks every limit the spec states for this kind of message (`message_send`'s body).
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::body("message_send", self)
    }

    /// Appends to the list held by `field`, creating it (a setter of another kind) if need be.
    fn push(mut self, field: &str, item: Value) -> Self {
        match self.fields.get_mut(field) {
            Some(Value::Array(items)) => items.push(item),
            _ => {
                self.fields.insert(field.to_owned(), json!([item]));
            }
        }
        self
    }

    /// The message as the API takes it.
    pub fn to_json(&self) -> Value {
        let mut body = self.fields.clone();
        body.insert("type".into(), Value::String(self.kind.to_owned()));
        if !self.options.is_empty() {
            body.insert(
                "options".into(),
                serde_json::to_value(&self.options).unwrap_or_default(),
            );
        }
        Value::Object(body)
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// A number as JSON; a value JSON cannot hold (NaN, infinity) becomes `null`, which the spec
/// check then refuses, naming the field.
fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// One contact card of a [`Message::contacts`]. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contact(Value);

impl Contact {
    /// A card showing `formatted_name`.
    pub fn new(formatted_name: impl Into<String>) -> Self {
        Self(json!({"name": {"formatted_name": formatted_name.into()}}))
    }

    /// The first and last name.
    pub fn names(mut self, first: impl Into<String>, last: impl Into<String>) -> Self {
        if let Some(name) = self.0.get_mut("name").and_then(Value::as_object_mut) {
            name.insert("first_name".into(), Value::String(first.into()));
            name.insert("last_name".into(), Value::String(last.into()));
        }
        self
    }

    /// Adds a phone number (E.164, with `+`), labelled `label` (such as `Mobile`).
    pub fn phone(self, phone: impl Into<String>, label: impl Into<String>) -> Self {
        self.push(
            "phones",
            json!({"phone": phone.into(), "type": label.into()}),
        )
    }

    /// Adds an email address, labelled `label` (such as `Work`).
    pub fn email(self, email: impl Into<String>, label: impl Into<String>) -> Self {
        self.push(
            "emails",
            json!({"email": email.into(), "type": label.into()}),
        )
    }

    fn push(mut self, field: &str, item: Value) -> Self {
        if let Some(card) = self.0.as_object_mut() {
            match card.get_mut(field) {
                Some(Value::Array(items)) => items.push(item),
                _ => {
                    card.insert(field.to_owned(), json!([item]));
                }
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(message: &Message) -> String {
        message
            .validate()
            .expect_err("refused before sending")
            .to_string()
    }

    #[test]
    fn every_kind_builds_a_message_the_spec_accepts() {
        let user = "593987654321";
        let mut flow = Map::new();
        flow.insert("flow_id".into(), json!("FLOW_ID"));
        let mut card = Map::new();
        card.insert("card_index".into(), json!(0));
        let kinds = [
            Message::text(user, "hola"),
            Message::text(user, "elige")
                .title("Menú")
                .button_text("Ver")
                .option(ListOption::new("Uno")),
            Message::quick_reply(user, "¿Seguimos?")
                .reply("Sí")
                .reply("No"),
            Message::image(user, "https://example.com/a.png").caption("Foto"),
            Message::audio(user, "https://example.com/a.mp3"),
            Message::video(user, "https://example.com/a.mp4").caption("Video"),
            Message::file(user, "https://example.com/a.pdf")
                .caption("Factura")
                .filename("a.pdf"),
            Message::sticker(user, "https://example.com/a.webp"),
            Message::location(user, -0.18, -78.47),
            Message::location_request(user, "¿Dónde estás?"),
            Message::contacts(user).contact(
                Contact::new("Juan Pérez")
                    .names("Juan", "Pérez")
                    .phone("+593987654321", "Mobile")
                    .email("juan@example.com", "Work"),
            ),
            Message::url_button(user, "https://apps.jelou.ai", "Visitar")
                .title("Hola")
                .text_body("Visítanos")
                .caption("Jelou"),
            Message::flow(user, flow).caption("Jelou"),
            Message::call_button(user, "Llámanos", "Llamar").header("¿Ayuda?"),
            Message::carousel(user).text_body("Ofertas").card(card),
            Message::template(user, "TEMPLATE_ID").parameter("nombre", "Ana"),
        ];
        let mut seen = Vec::new();
        for message in &kinds {
            message
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", message.kind()));
            assert_eq!(message.to_json()["type"], message.kind());
            seen.push(message.kind());
        }
        seen.dedup();
        assert_eq!(seen.len(), 15, "every documented shape: {seen:?}");
    }

    #[test]
    fn a_media_url_must_be_https() {
        let refused = refusal(&Message::image("u", "http://example.com/a.png"));
        assert!(refused.contains("mediaUrl"), "{refused}");
        assert!(refused.contains("https"), "{refused}");
        assert!(refused.contains("http://example.com/a.png"), "{refused}");
        let refused = refusal(&Message::sticker("u", "a.webp"));
        assert!(refused.contains("mediaUrl"), "{refused}");
    }

    #[test]
    fn coordinates_stay_on_the_globe() {
        let refused = refusal(&Message::location("u", 90.5, 0.0));
        assert!(refused.contains("coordinates.lat"), "{refused}");
        assert!(refused.contains("-90 to 90"), "{refused}");
        let refused = refusal(&Message::location("u", 0.0, -180.01));
        assert!(refused.contains("coordinates.long"), "{refused}");
        let refused = refusal(&Message::location("u", f64::NAN, 0.0));
        assert!(refused.contains("coordinates.lat"), "{refused}");
        assert!(Message::location("u", -90.0, 180.0).validate().is_ok());
    }

    #[test]
    fn quick_replies_are_one_to_three_short_different_titles() {
        let four = ["a", "b", "c", "d"]
            .iter()
            .fold(Message::quick_reply("u", "t"), |m, title| m.reply(*title));
        let refused = refusal(&four);
        assert!(refused.contains("quick_replies"), "{refused}");
        assert!(refused.contains("1 to 3"), "{refused}");
        let refused = refusal(&Message::quick_reply("u", "t"));
        assert!(refused.contains("quick_replies"), "{refused}");
        let refused = refusal(&Message::quick_reply("u", "t").reply("Sí").reply("Sí"));
        assert!(refused.contains("different"), "{refused}");
        let refused = refusal(&Message::quick_reply("u", "t").reply("x".repeat(21)));
        assert!(refused.contains("quick_replies[0].title"), "{refused}");
        assert!(refused.contains("1 to 20 characters"), "{refused}");
        let refused = refusal(&Message::quick_reply("u", "t").reply(""));
        assert!(refused.contains("quick_replies[0].title"), "{refused}");
    }

    #[test]
    fn a_setter_of_another_kind_is_named_when_refused() {
        let refused = refusal(&Message::location("u", 0.0, 0.0).filename("a.pdf"));
        assert!(refused.contains("filename"), "{refused}");
        assert!(refused.contains("documented field"), "{refused}");
        let refused = refusal(&Message::image("u", "https://e.com/a.png").reply("Sí"));
        assert!(refused.contains("quick_replies"), "{refused}");
    }

    #[test]
    fn a_caption_goes_where_each_kind_keeps_it() {
        let image = Message::image("u", "https://e.com/a.png").caption("Foto");
        assert_eq!(image.to_json()["text"], "Foto");
        let button = Message::url_button("u", "https://e.com", "Ir").caption("Pie");
        assert_eq!(button.to_json()["caption"], "Pie");
        assert!(button.to_json().get("text").is_none());
    }
}
