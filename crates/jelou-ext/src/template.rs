//! [`TemplateSend`]: an approved template to one or more numbers.

use serde::Serialize;

use crate::validate::{self, ValidationError};

/// An approved WhatsApp template (HSM) to send to one or more numbers with
/// [`crate::Jelou::send_template`]. A template reaches a user outside the 24 hours after
/// their last message, when nothing else can.
///
/// ```
/// use jelou_ext::TemplateSend;
///
/// let reminder = TemplateSend::new("recordatorio_cita")
///     .to("593999999999")
///     .to("593988888888")
///     .language("es")
///     .parameter("Ana")
///     .parameter("10:30");
/// assert!(reminder.validate().is_ok());
/// assert!(TemplateSend::new("recordatorio_cita").validate().is_err(), "no destination");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSend {
    element_name: String,
    destinations: Vec<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parameters: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign_id: Option<String>,
}

impl TemplateSend {
    /// The approved template named `element_name`, to no one yet.
    pub fn new(element_name: impl Into<String>) -> Self {
        Self {
            element_name: element_name.into(),
            ..Self::default()
        }
    }

    /// Adds a destination: a phone number with its country code, without `+`.
    pub fn to(mut self, number: impl Into<String>) -> Self {
        self.destinations.push(number.into());
        self
    }

    /// The template's language code, such as `es`.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Adds the value of the body's next placeholder (`{{1}}`, then `{{2}}`, …).
    pub fn parameter(mut self, value: impl Into<String>) -> Self {
        self.parameters.push(value.into());
        self
    }

    /// The header's image, for an image template.
    pub fn image(self, media_url: impl Into<String>) -> Self {
        self.with_media("image", media_url)
    }

    /// The header's video, for a video template.
    pub fn video(self, media_url: impl Into<String>) -> Self {
        self.with_media("video", media_url)
    }

    /// The header's document and the name it is shown with, for a document template.
    pub fn document(mut self, media_url: impl Into<String>, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self.with_media("document", media_url)
    }

    fn with_media(mut self, kind: &'static str, media_url: impl Into<String>) -> Self {
        self.kind = Some(kind);
        self.media_url = Some(media_url.into());
        self
    }

    /// The campaign this send belongs to.
    pub fn campaign(mut self, campaign_id: impl Into<String>) -> Self {
        self.campaign_id = Some(campaign_id.into());
        self
    }

    /// The destinations added so far.
    pub fn destinations(&self) -> &[String] {
        &self.destinations
    }

    /// Checks every limit the spec states for a template send (`hsm_send`'s body).
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::body("hsm_send", self)
    }
}
