//! What callers hand to the typed methods: plain Rust values. `validate()` checks one
//! against the spec's rules for its request before anything is built or sent.

use std::collections::BTreeMap;

use jelou_client::types;
use serde::Serialize;

use crate::validate::{self, ValidationError};

/// At most this many filters in one user list (page 002: `Filter[1,5]`).
const MAX_FILTERS: usize = 5;

/// At most this many options in one message (page 003).
pub const MAX_OPTIONS: usize = 10;
/// An option's title holds at most this many characters (page 003).
pub const MAX_OPTION_TITLE_CHARS: usize = 24;
/// An option's description holds at most this many characters (page 003).
pub const MAX_OPTION_DESCRIPTION_CHARS: usize = 72;

/// One selectable option of a [`Message`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListOption {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl ListOption {
    /// An option showing `title` (1 to 24 characters).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            id: None,
            title: title.into(),
            description: None,
        }
    }

    /// The id returned when the user picks it (the API makes up a UUID otherwise).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Secondary text below the title (at most 72 characters).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Attributes of a user or a session: keys matching `^[\w-]{1,128}$`, values of 1 to 1024
/// characters (`default_name` at most 256), 1 to 99 of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Attributes(BTreeMap<String, String>);

impl Attributes {
    /// No attributes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The attributes, by key.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// A user to create (page 002).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    segments: Vec<String>,
    attributes: Attributes,
}

impl NewUser {
    /// A user known by `user_id` in your system (1 to 256 characters).
    pub fn with_user_id(user_id: impl Into<String>, attributes: Attributes) -> Self {
        Self {
            user_id: Some(user_id.into()),
            segments: Vec::new(),
            attributes,
        }
    }

    /// A user known by the e-mail in `attributes.default_email` (no `userId` needed).
    pub fn with_attributes(attributes: Attributes) -> Self {
        Self {
            user_id: None,
            segments: Vec::new(),
            attributes,
        }
    }

    /// Adds the user to a segment (a 24-character id).
    pub fn segment(mut self, segment_id: impl Into<String>) -> Self {
        self.segments.push(segment_id.into());
        self
    }

    /// Checks every limit the spec states for a new user (`user_create`'s body), `userId`
    /// or `attributes.default_email` among them.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::body("user_create", self)
    }
}

/// One page of the user list (page 002).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserQuery {
    /// Users per page, 1 to 40 (the API's default is 40).
    pub limit: Option<u32>,
    /// The `id` (24 characters) of the user after which the page starts.
    pub after: Option<String>,
    /// The field to sort by.
    pub sort_field: Option<types::UserSortField>,
    /// The sort order.
    pub sort_order: Option<types::SortOrder>,
    /// Whether users must match all filters or any.
    pub match_: Option<types::FilterMatch>,
    /// 1 to 5 filters, sent as a JSON array (the docs do not define a filter's fields).
    pub filters: Vec<serde_json::Value>,
}

impl UserQuery {
    /// Checks every limit the spec states for `user_list`'s parameters, and that `filters`
    /// holds 1 to 5 filters (stated in the parameter's description: the spec carries the
    /// filters as JSON text, whose item count a schema cannot reach).
    pub fn validate(&self) -> Result<(), ValidationError> {
        let limit = self.limit.map(|limit| limit.to_string());
        let mut values = Vec::new();
        if let Some(limit) = &limit {
            values.push(("limit", limit.as_str()));
        }
        if let Some(after) = &self.after {
            values.push(("after", after.as_str()));
        }
        validate::parameters("user_list", &values)?;
        if self.filters.len() > MAX_FILTERS {
            return Err(ValidationError::new(
                "filters",
                format!("1 to {MAX_FILTERS} items"),
                format!("{} items", self.filters.len()),
            ));
        }
        Ok(())
    }
}

/// Input for the bot (page 002): a `query`, a `trigger` or a `goto`, at least one of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatInput {
    session_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    goto: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifespan: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reset: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    story_id: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    debug: Option<bool>,
}

impl ChatInput {
    /// Input for the session `session_id` (10 to 64 characters).
    pub fn new(session_id: impl Into<String>) -> Self {
        Self {
            session_id: session_id.into(),
            ..Self::default()
        }
    }

    /// Free text from the user (1 to 256 characters).
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// A trigger to fire (1 to 50 characters).
    pub fn trigger(mut self, trigger: impl Into<String>) -> Self {
        self.trigger = Some(trigger.into());
        self
    }

    /// The id of an interaction to go to (24 characters).
    pub fn goto(mut self, interaction_id: impl Into<String>) -> Self {
        self.goto = Some(interaction_id.into());
        self
    }

    /// Minimum confidence to match, 0.1 to 1.0 (the API's default is 0.5).
    pub fn confidence(mut self, confidence: f64) -> Self {
        self.confidence = Some(confidence);
        self
    }

    /// Turns the context lives, 1 to 10 (the API's default is 2).
    pub fn lifespan(mut self, lifespan: u8) -> Self {
        self.lifespan = Some(lifespan);
        self
    }

    /// Resets the session's context first.
    pub fn reset(mut self, reset: bool) -> Self {
        self.reset = Some(reset);
        self
    }

    /// The story to use (24 characters).
    pub fn story_id(mut self, story_id: impl Into<String>) -> Self {
        self.story_id = Some(story_id.into());
        self
    }

    /// Sets one parameter (keys `^[\w-]{1,128}$`, values 1 to 1024 characters, at most 99).
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.insert(key.into(), value.into());
        self
    }

    /// Asks for debugging information in the answer.
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = Some(debug);
        self
    }

    /// Checks every limit the spec states for input to the bot (`chat_query`'s body), one
    /// of `query`, `trigger` and `goto` among them.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate::body("chat_query", self)
    }
}

/// Messages in one page of history when the query does not choose: the documented default.
pub const DEFAULT_HISTORY_LIMIT: u32 = 10;
/// The largest page of history the API serves: 50 messages.
pub const MAX_HISTORY_LIMIT: u32 = 50;

/// One page of a bot's chat history (page 004).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Messages per page, 1 to [`MAX_HISTORY_LIMIT`]. `None` (the default) asks for
    /// [`DEFAULT_HISTORY_LIMIT`] when one page is read, and for [`MAX_HISTORY_LIMIT`] when a
    /// stream follows every page, so that reading a whole history takes the fewest requests
    /// the rate limit allows.
    pub limit: Option<u32>,
    /// Page number, from 1. Default 1.
    pub page: u32,
    /// Start of the date range, ISO 8601.
    pub start_at: Option<String>,
    /// End of the date range, ISO 8601.
    pub end_at: Option<String>,
    /// Only the messages of this client (user).
    pub client_id: Option<String>,
    /// Only this message.
    pub message_id: Option<String>,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        Self {
            limit: None,
            page: 1,
            start_at: None,
            end_at: None,
            client_id: None,
            message_id: None,
        }
    }
}

impl HistoryQuery {
    /// Checks every limit the spec states for `history_list`'s parameters.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let limit = self.limit.map(|limit| limit.to_string());
        let page = self.page.to_string();
        let mut values = vec![("page", page.as_str())];
        if let Some(limit) = &limit {
            values.push(("limit", limit.as_str()));
        }
        validate::parameters("history_list", &values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    fn options(n: usize) -> Message {
        (0..n).fold(Message::text("u", "t"), |m, i| {
            m.option(ListOption::new(format!("Opción {i}")))
        })
    }

    #[test]
    fn option_counts() {
        assert!(
            options(0).validate().is_ok(),
            "a plain text message has no list"
        );
        assert!(options(1).validate().is_ok());
        assert!(options(10).validate().is_ok());
        assert_eq!(
            options(11).validate().expect_err("11").to_string(),
            "options must be 1 to 10 items, got 11 items"
        );
    }

    #[test]
    fn option_lengths_count_characters() {
        let ok = Message::text("u", "t")
            .option(ListOption::new("ñ".repeat(24)).description("é".repeat(72)));
        assert!(ok.validate().is_ok());
        let long_title = Message::text("u", "t")
            .option(ListOption::new("a"))
            .option(ListOption::new("ñ".repeat(25)));
        assert_eq!(
            long_title.validate().expect_err("25").field(),
            "options[1].title"
        );
        let long_description =
            Message::text("u", "t").option(ListOption::new("a").description("é".repeat(73)));
        assert_eq!(
            long_description.validate().expect_err("73").limit(),
            "at most 72 characters"
        );
        assert!(
            Message::text("u", "t")
                .option(ListOption::new(""))
                .validate()
                .is_err()
        );
        assert!(
            Message::text("u", "").validate().is_ok(),
            "the spec sets no minimum length for the text"
        );
    }

    #[test]
    fn message_json_matches_the_documented_payload() {
        let message = Message::text("USER_ID", "Por favor selecciona una opción")
            .title("Elige una opción")
            .button_text("Ver Opciones")
            .option(
                ListOption::new("Opción 1")
                    .id("option_1")
                    .description("Esta es la primera opción"),
            );
        let json = serde_json::to_value(&message).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "type": "text", "userId": "USER_ID", "text": "Por favor selecciona una opción",
                "title": "Elige una opción", "buttonText": {"type": "text", "text": "Ver Opciones"},
                "options": [{"id": "option_1", "title": "Opción 1", "description": "Esta es la primera opción"}]
            })
        );
        let plain = serde_json::to_value(Message::text("u", "hola")).expect("serializes");
        assert_eq!(
            plain,
            serde_json::json!({"type": "text", "userId": "u", "text": "hola"})
        );
    }

    #[test]
    fn chat_rules() {
        let session = "c6d4bc58-4947";
        assert_eq!(
            ChatInput::new(session)
                .validate()
                .expect_err("none")
                .value(),
            "none of query, trigger, goto"
        );
        assert!(ChatInput::new(session).query("hola").validate().is_ok());
        assert!(
            ChatInput::new(session)
                .trigger("t".repeat(50))
                .validate()
                .is_ok()
        );
        assert!(
            ChatInput::new(session)
                .trigger("t".repeat(51))
                .validate()
                .is_err()
        );
        assert!(
            ChatInput::new(session)
                .goto("5b07ffafc2376e30306d9b16")
                .validate()
                .is_ok()
        );
        assert!(ChatInput::new(session).goto("short").validate().is_err());
        assert!(
            ChatInput::new("123456789").query("q").validate().is_err(),
            "9 characters"
        );
        assert!(ChatInput::new("s".repeat(64)).query("q").validate().is_ok());
        assert!(
            ChatInput::new("s".repeat(65))
                .query("q")
                .validate()
                .is_err()
        );
        assert!(
            ChatInput::new(session)
                .query("q".repeat(257))
                .validate()
                .is_err()
        );
        for (confidence, ok) in [(0.1, true), (1.0, true), (0.05, false), (1.01, false)] {
            assert_eq!(
                ChatInput::new(session)
                    .query("q")
                    .confidence(confidence)
                    .validate()
                    .is_ok(),
                ok
            );
        }
        for (lifespan, ok) in [(1, true), (10, true), (0, false), (11, false)] {
            assert_eq!(
                ChatInput::new(session)
                    .query("q")
                    .lifespan(lifespan)
                    .validate()
                    .is_ok(),
                ok
            );
        }
        let bad_key = ChatInput::new(session).query("q").parameter("bad key", "v");
        assert_eq!(bad_key.validate().expect_err("key").field(), "parameters");
    }

    #[test]
    fn user_rules() {
        let email = Attributes::new().with("default_email", "joe@doe.com");
        assert!(NewUser::with_attributes(email.clone()).validate().is_ok());
        let anonymous = NewUser::with_attributes(Attributes::new().with("default_name", "Joe"));
        assert_eq!(anonymous.validate().expect_err("no id").field(), "userId");
        assert!(
            NewUser::with_user_id("u".repeat(257), email.clone())
                .validate()
                .is_err()
        );
        assert!(
            NewUser::with_user_id("u", Attributes::new())
                .validate()
                .is_err(),
            "1 to 99 attributes"
        );
        assert!(
            NewUser::with_user_id("u", email.clone())
                .segment("short")
                .validate()
                .is_err()
        );
        let many: Attributes = (0..99).map(|i| (format!("k{i}"), "v")).collect();
        assert!(NewUser::with_user_id("u", many).validate().is_ok());
    }

    #[test]
    fn list_and_history_rules() {
        assert!(
            UserQuery {
                limit: Some(40),
                ..UserQuery::default()
            }
            .validate()
            .is_ok()
        );
        assert!(
            UserQuery {
                limit: Some(41),
                ..UserQuery::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            UserQuery {
                limit: Some(0),
                ..UserQuery::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            UserQuery {
                after: Some("x".into()),
                ..UserQuery::default()
            }
            .validate()
            .is_err()
        );
        let six = vec![serde_json::json!({}); 6];
        assert!(
            UserQuery {
                filters: six,
                ..UserQuery::default()
            }
            .validate()
            .is_err()
        );
        assert!(HistoryQuery::default().validate().is_ok());
        for (limit, valid) in [(0, false), (1, true), (50, true), (51, false)] {
            let query = HistoryQuery {
                limit: Some(limit),
                ..HistoryQuery::default()
            };
            assert_eq!(query.validate().is_ok(), valid, "limit {limit}");
        }
        assert_eq!(
            HistoryQuery {
                limit: Some(51),
                ..HistoryQuery::default()
            }
            .validate()
            .expect_err("past the maximum")
            .to_string(),
            "limit must be 1 to 50, got 51"
        );
        assert!(
            HistoryQuery {
                page: 0,
                ..HistoryQuery::default()
            }
            .validate()
            .is_err()
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Exactly `count` characters of any script (any `char`: accented, CJK, emoji, …).
        fn text(count: usize) -> impl Strategy<Value = String> {
            proptest::collection::vec(any::<char>(), count).prop_map(String::from_iter)
        }

        proptest! {
            #[test]
            fn option_titles_take_24_characters_of_any_script_and_refuse_25(
                at_limit in text(MAX_OPTION_TITLE_CHARS),
                extra in any::<char>(),
            ) {
                let accepted = Message::text("u", "t").option(ListOption::new(at_limit.clone()));
                prop_assert!(accepted.validate().is_ok());
                let past = format!("{at_limit}{extra}");
                let refused = Message::text("u", "t")
                    .option(ListOption::new(past))
                    .validate()
                    .expect_err("25 characters");
                prop_assert_eq!(refused.field(), "options[0].title");
                prop_assert_eq!(refused.limit(), "1 to 24 characters");
                prop_assert!(refused.value().starts_with("25 characters: "));
            }

            #[test]
            fn option_descriptions_take_72_characters_of_any_script_and_refuse_73(
                at_limit in text(MAX_OPTION_DESCRIPTION_CHARS),
                extra in any::<char>(),
            ) {
                let accepted = Message::text("u", "t")
                    .option(ListOption::new("a").description(at_limit.clone()));
                prop_assert!(accepted.validate().is_ok());
                let refused = Message::text("u", "t")
                    .option(ListOption::new("a").description(format!("{at_limit}{extra}")))
                    .validate()
                    .expect_err("73 characters");
                prop_assert_eq!(refused.field(), "options[0].description");
                prop_assert_eq!(refused.limit(), "at most 72 characters");
                prop_assert!(refused.value().starts_with("73 characters: "));
            }

            #[test]
            fn attribute_values_take_1024_characters_of_any_script_and_refuse_1025(
                at_limit in text(1024),
                extra in any::<char>(),
            ) {
                let accepted = Attributes::new().with("city", at_limit.clone());
                prop_assert!(NewUser::with_user_id("u", accepted).validate().is_ok());
                let refused = NewUser::with_user_id(
                    "u",
                    Attributes::new().with("city", format!("{at_limit}{extra}")),
                )
                .validate()
                    .expect_err("1025 characters");
                prop_assert_eq!(refused.field(), "attributes.city");
                prop_assert_eq!(refused.limit(), "1 to 1024 characters");
                prop_assert!(refused.value().starts_with("1025 characters: "));
            }

            #[test]
            fn default_names_take_256_characters_of_any_script_and_refuse_257(
                at_limit in text(256),
                extra in any::<char>(),
            ) {
                let accepted = Attributes::new().with("default_name", at_limit.clone());
                prop_assert!(NewUser::with_user_id("u", accepted).validate().is_ok());
                let refused = NewUser::with_user_id(
                    "u",
                    Attributes::new().with("default_name", format!("{at_limit}{extra}")),
                )
                .validate()
                    .expect_err("257 characters");
                prop_assert_eq!(refused.field(), "attributes.default_name");
                prop_assert_eq!(refused.limit(), "1 to 256 characters");
            }

            #[test]
            fn session_ids_take_10_to_64_characters_of_any_script(
                short in text(9),
                low in text(10),
                high in text(64),
                long in text(65),
            ) {
                prop_assert!(ChatInput::new(short).query("q").validate().is_err());
                prop_assert!(ChatInput::new(low).query("q").validate().is_ok());
                prop_assert!(ChatInput::new(high).query("q").validate().is_ok());
                let refused = ChatInput::new(long).query("q").validate().expect_err("65");
                prop_assert_eq!(refused.field(), "sessionId");
                prop_assert_eq!(refused.limit(), "10 to 64 characters");
            }
        }
    }
}
