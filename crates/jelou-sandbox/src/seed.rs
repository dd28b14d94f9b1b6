//! What a sandbox starts with: its account, its bots, users, history and caches. Read from a
//! JSON file (`Seed::from_file`) or the built-in demo (`Seed::demo`).

use std::collections::BTreeMap;
use std::path::Path;

use jelou_client::types;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The account the sandbox accepts (Basic authentication).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
}

/// A project of the account, for the external support panel: its id and its API key
/// (`x-api-key`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedProject {
    /// The project's id.
    pub id: String,
    /// The project's API key.
    pub api_key: String,
}

impl std::fmt::Debug for SeedProject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedProject")
            .field("id", &self.id)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// A user that exists from the start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    /// The user's 24-character id.
    pub id: String,
    /// The id in your own system, if any.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user's attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// The starting state of a sandbox.
///
/// ```json
/// {
///   "credentials": {"clientId": "demo-client", "clientSecret": "demo-secret"},
///   "bots": ["demo-bot"],
///   "users": [{"id": "5b7ff847cc3c3fb33c9249a8", "attributes": {"default_name": "Joe"}}],
///   "history": {"demo-bot": [{"messageId": "msg-1", "createdAt": "2025-01-15T10:30:00.000Z"}]},
///   "caches": {"593987654321": {"demo-bot": {"orderNumber": "ORD-12345"}}}
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// The only account the sandbox accepts.
    pub credentials: SeedCredentials,
    /// The bots of the account; any other bot id is answered `BOT_NOT_FOUND`.
    pub bots: Vec<String>,
    /// Users that exist from the start.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Each bot's chat history, oldest first.
    #[serde(default)]
    pub history: BTreeMap<String, Vec<types::HistoryMessage>>,
    /// Caches by user, then by bot.
    #[serde(default)]
    pub caches: BTreeMap<String, BTreeMap<String, Map<String, Value>>>,
    /// The account's projects, for the external support panel.
    #[serde(default)]
    pub projects: Vec<SeedProject>,
}

/// The demo account's client id.
pub const DEMO_CLIENT_ID: &str = "demo-client";
/// The demo account's client secret.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// The demo bot.
pub const DEMO_BOT: &str = "demo-bot";
/// The demo WhatsApp user (a phone number without `+`).
pub const DEMO_PHONE: &str = "593987654321";
/// The demo project of the external support panel.
pub const DEMO_PROJECT: &str = "demo-project";
/// The demo project's API key.
pub const DEMO_API_KEY: &str = "demo-api-key";
/// The demo user's 24-character id.
pub const DEMO_USER_ID: &str = "5b7ff847cc3c3fb33c9249a8";

impl Seed {
    /// An account with no bots, users or history.
    pub fn empty(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            credentials: SeedCredentials {
                client_id: client_id.into(),
                client_secret: client_secret.into(),
            },
            bots: Vec::new(),
            users: Vec::new(),
            history: BTreeMap::new(),
            caches: BTreeMap::new(),
            projects: Vec::new(),
        }
    }

    /// The demo: account `demo-client`/`demo-secret`, bot `demo-bot` with a short history,
    /// one user with a cache, project `demo-project` with API key `demo-api-key`.
    pub fn demo() -> Self {
        let mut seed = Self::empty(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
        seed.bots.push(DEMO_BOT.to_owned());
        seed.projects.push(SeedProject {
            id: DEMO_PROJECT.to_owned(),
            api_key: DEMO_API_KEY.to_owned(),
        });
        seed.users.push(SeedUser {
            id: DEMO_USER_ID.to_owned(),
            user_id: Some(DEMO_PHONE.to_owned()),
            attributes: BTreeMap::from([
                ("default_name".to_owned(), "Joe".to_owned()),
                ("default_email".to_owned(), "joe@doe.com".to_owned()),
            ]),
        });
        let greetings = [
            "Hola, bienvenido a Jelou",
            "¿En qué te ayudo?",
            "Gracias por escribir",
        ];
        let history = greetings
            .iter()
            .enumerate()
            .map(|(i, text)| demo_message(i + 1, text))
            .collect();
        seed.history.insert(DEMO_BOT.to_owned(), history);
        seed.caches.insert(
            DEMO_PHONE.to_owned(),
            BTreeMap::from([(
                DEMO_BOT.to_owned(),
                Map::from_iter([("orderNumber".to_owned(), Value::from("ORD-12345"))]),
            )]),
        );
        seed
    }

    /// A seed read from a JSON file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the seed {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("the seed {} is not valid: {e}", path.display()))
    }
}

fn demo_message(n: usize, text: &str) -> types::HistoryMessage {
    let value = serde_json::json!({
        "messageId": format!("msg-demo-{n:04}"),
        "by": "bot",
        "status": "DELIVERED_USER",
        "createdAt": format!("2025-01-15T10:{:02}:00.000Z", 30 + n),
        "recipient": {"id": DEMO_PHONE, "names": "Joe"},
        "sender": {"id": DEMO_BOT, "name": "Demo Bot", "type": "Whatsapp"},
        "bubble": {"type": "TEXT", "text": text},
    });
    // The literal above has every required field of the generated type.
    serde_json::from_value(value).unwrap_or_else(|e| unreachable!("demo message: {e}"))
}
