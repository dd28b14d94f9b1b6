//! The sandbox's data and the behaviour of each operation, independent of HTTP.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use jelou_client::types;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::clock::{DayEnd, range_bound, timestamp};
use crate::envelope::Refusal;
use crate::seed::Seed;

/// The documented rate limit: five requests per second per account (page 001).
const REQUESTS_PER_SECOND: usize = 5;

#[derive(Clone, Debug)]
struct StoredUser {
    id: String,
    user_id: Option<String>,
    attributes: BTreeMap<String, String>,
    session_id: Option<String>,
    session_attributes: BTreeMap<String, String>,
    segments: Vec<String>,
    created_at: String,
    last_seen: String,
}

impl StoredUser {
    fn summary(&self) -> Value {
        let mut summary = json!({
            "id": self.id,
            "banned": false,
            "attributes": self.attributes,
            "conversations": 0,
            "createdAt": self.created_at,
            "lastSeen": self.last_seen,
        });
        // A user created by e-mail alone has no `userId`: left out, never `null`.
        if let Some(user_id) = &self.user_id {
            summary["userId"] = Value::String(user_id.clone());
        }
        summary
    }

    fn details(&self) -> Value {
        let mut details = self.summary();
        details["conversations"] = json!([]);
        details["sessionAttributes"] = json!(self.session_attributes);
        details["segments"] = self
            .segments
            .iter()
            // The sandbox keeps no segment names; an unknown name is left out, never `null`.
            .map(|id| json!({"id": id}))
            .collect();
        details
    }
}

/// A user's state as last set: `manual` lasts until `until` when a `ttl` was given.
#[derive(Debug, Clone)]
struct UserState {
    bot: String,
    manual: bool,
    until: Option<Instant>,
}

impl UserState {
    /// Whether the user is in `manual` state at `now` (an expired `manual` is `auto`).
    fn is_manual(&self, now: Instant) -> bool {
        self.manual && self.until.is_none_or(|until| now < until)
    }
}

/// Everything the sandbox knows. Behind one lock: the sandbox serves one developer.
#[derive(Debug)]
pub(crate) struct State {
    seed: Seed,
    bots: Vec<String>,
    history: BTreeMap<String, Vec<Value>>,
    caches: BTreeMap<(String, String), Map<String, Value>>,
    users: Vec<StoredUser>,
    /// Users switched to a state (`user_state_set`), by phone number.
    states: BTreeMap<String, UserState>,
    next_message: u64,
    next_user: u64,
    recent_requests: VecDeque<Instant>,
    /// Templates by bot, created on a bot's first template request.
    templates: BTreeMap<String, Vec<Value>>,
    /// The account's databases (the spec's documented ones), and their rows by database id.
    databases: Vec<Value>,
    rows: BTreeMap<String, Vec<Value>>,
    next_row: u64,
    /// Events produced by the last requests, for the webhook (`Sandbox::with_webhook`).
    events: Vec<Value>,
    next_event: u64,
    /// The panel's integration of each project, by project id (`signingSecret` included).
    integrations: BTreeMap<String, Value>,
    next_integration: u64,
    /// The panel's conversations, by id.
    conversations: BTreeMap<String, Value>,
    next_conversation: u64,
    /// The secret the sandbox's webhook deliveries are signed with, if it has a webhook.
    webhook_secret: Option<String>,
}

mod datum;
mod panel;
mod templates;

pub(crate) use panel::PanelCaller;

/// The example answer the spec documents for `operation`'s success, if any.
fn documented(operation: &str) -> Option<Value> {
    jelou_client::operation_spec(operation)?
        .responses
        .iter()
        .filter(|response| response.status.starts_with('2'))
        .find_map(|response| serde_json::from_str(response.example?).ok())
}

fn status_ok() -> Value {
    json!({"code": 200, "type": "success"})
}

fn now() -> String {
    timestamp(SystemTime::now())
}

fn epoch_millis() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl State {
    pub(crate) fn new(seed: Seed) -> Self {
        let history = seed
            .history
            .iter()
            .map(|(bot, messages)| {
                let stored = messages
                    .iter()
                    .filter_map(|m| serde_json::to_value(m).ok())
                    .collect();
                (bot.clone(), stored)
            })
            .collect();
        let caches = seed
            .caches
            .iter()
            .flat_map(|(user, by_bot)| {
                by_bot
                    .iter()
                    .map(move |(bot, cache)| ((user.clone(), bot.clone()), cache.clone()))
            })
            .collect();
        let created = now();
        let users = seed
            .users
            .iter()
            .map(|user| StoredUser {
                id: user.id.clone(),
                user_id: user.user_id.clone(),
                attributes: user.attributes.clone(),
                session_id: None,
                session_attributes: BTreeMap::new(),
                segments: Vec::new(),
                created_at: created.clone(),
                last_seen: created.clone(),
            })
            .collect();
        Self {
            bots: seed.bots.clone(),
            history,
            caches,
            users,
            states: BTreeMap::new(),
            next_message: 1,
            next_user: 1,
            recent_requests: VecDeque::new(),
            templates: BTreeMap::new(),
            databases: Self::documented_databases(),
            rows: BTreeMap::new(),
            next_row: 0,
            events: Vec::new(),
            next_event: 0,
            integrations: BTreeMap::new(),
            next_integration: 0,
            conversations: BTreeMap::new(),
            next_conversation: 0,
            webhook_secret: None,
            seed,
        }
    }

    /// Whether `client_id:client_secret` is the account's.
    pub(crate) fn authenticates(&self, client_id: &str, client_secret: &str) -> bool {
        let account = &self.seed.credentials;
        account.client_id == client_id && account.client_secret == client_secret
    }

    /// Counts a request against the account's five per second, or says how long to wait.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), Refusal> {
        let second = Duration::from_secs(1);
        while self
            .recent_requests
            .front()
            .is_some_and(|&start| now.duration_since(start) >= second)
        {
            self.recent_requests.pop_front();
        }
        if self.recent_requests.len() >= REQUESTS_PER_SECOND {
            let oldest = self.recent_requests.front().copied().unwrap_or(now);
            return Err(Refusal::TooManyRequests {
                retry_after: second.saturating_sub(now.duration_since(oldest)),
            });
        }
        self.recent_requests.push_back(now);
        Ok(())
    }

    /// `BOT_NOT_FOUND` unless the account has the bot.
    pub(crate) fn bot_exists(&self, bot_id: &str) -> Result<(), Refusal> {
        if self.bots.iter().any(|b| b == bot_id) {
            Ok(())
        } else {
            Err(Refusal::BotNotFound)
        }
    }

    fn user_mut(&mut self, id: &str) -> Result<&mut StoredUser, Refusal> {
        self.users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or(Refusal::UserNotFound)
    }

    /// `cache_get`: one bot's cache of the user, or every bot's merged. A user with no cache
    /// gets the documented logic error: HTTP 200 with `status: failed`.
    pub(crate) fn cache_get(&self, user: &str, bot_id: Option<&str>) -> Result<Value, Refusal> {
        if let Some(bot_id) = bot_id {
            self.bot_exists(bot_id)?;
        }
        let mut merged = Map::new();
        let mut found = false;
        for ((cached_user, cached_bot), cache) in &self.caches {
            if cached_user == user && bot_id.is_none_or(|b| b == cached_bot) {
                found = true;
                merged.extend(cache.clone());
            }
        }
        if found {
            Ok(Value::Object(merged))
        } else {
            Ok(json!({
                "status": "failed",
                "message": ["The user has no cache for this bot."],
            }))
        }
    }

    /// `cache_set`: merges `params` into the user's cache for the bot, overwriting reused keys.
    pub(crate) fn cache_set(
        &mut self,
        user: &str,
        request: types::CacheSetRequest,
    ) -> Result<Value, Refusal> {
        self.bot_exists(&request.bot_id)?;
        self.caches
            .entry((user.to_owned(), request.bot_id))
            .or_default()
            .extend(request.params);
        Ok(json!({"message": ["User cache set successfully."], "status": "success"}))
    }

    /// `message_send`: stores the message in the bot's history and returns its new id.
    pub(crate) fn message_send(&mut self, bot_id: &str, request: Value) -> Result<Value, Refusal> {
        self.bot_exists(bot_id)?;
        // Its limits (at most 10 options among them) were checked against the spec before.
        let user_id = request.get("userId").cloned().unwrap_or_default();
        let answer = self.record_bot_message(bot_id, user_id.clone(), bubble(&request));
        self.emit_deliveries(bot_id, &user_id, &answer["messageId"]);
        Ok(answer)
    }

    /// Signs the panel's new integrations with `secret`, the webhook's.
    pub(crate) fn set_webhook_secret(&mut self, secret: String) {
        self.webhook_secret = Some(secret);
    }

    /// The events produced since the last call, oldest first.
    pub(crate) fn take_events(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.events)
    }

    /// Queues `event` with a stable id of its own.
    fn emit(&mut self, mut event: Value) {
        self.next_event += 1;
        event["event_id"] = json!(format!("evt_{:09}", self.next_event));
        event["timestamp"] = json!(epoch_millis());
        self.events.push(event);
    }

    /// A message accepted for `user_id`: sent through WhatsApp, then delivered to the phone.
    /// The pages name these events without showing their payload; the sandbox's carry the
    /// message, the bot and the destination.
    pub(super) fn emit_deliveries(&mut self, bot_id: &str, user_id: &Value, message_id: &Value) {
        for event in ["delivered_channel", "delivered_user"] {
            self.emit(json!({
                "event": event, "messageId": message_id, "botId": bot_id, "destination": user_id,
            }));
        }
    }

    /// A user of `bot_id` wrote `text`: the message joins the history, and the external
    /// panel's `message` event (the documented payload) goes to the webhook.
    pub(crate) fn say(
        &mut self,
        bot_id: &str,
        user_id: &str,
        text: &str,
    ) -> Result<Value, Refusal> {
        self.bot_exists(bot_id)?;
        let message_id = format!("msg_{:09}", self.next_message);
        self.next_message += 1;
        self.history
            .entry(bot_id.to_owned())
            .or_default()
            .push(json!({
                "messageId": message_id,
                "by": "user",
                "status": "DELIVERED_USER",
                "createdAt": now(),
                "recipient": {"id": bot_id},
                "sender": {"id": user_id, "type": "Whatsapp"},
                "bubble": {"type": "TEXT", "text": text},
            }));
        // In a panel conversation, the event names it; otherwise the sandbox's own project.
        let room = format!("{bot_id}:{user_id}");
        let mut event = self
            .panel_conversation_of(bot_id, user_id)
            .unwrap_or_else(|| {
                json!({
                    "project_id": "sandbox", "room_id": room,
                    "contact": {"id": user_id}, "conversation": {"id": room}, "bot": {"id": bot_id},
                })
            });
        event["field"] = json!("messages");
        event["object"] = json!("message_event");
        event["event_type"] = json!("message");
        event["value"] = json!({"id": message_id, "type": "text", "content": {"body": text}});
        self.emit(event);
        Ok(json!({"messageId": message_id}))
    }

    /// Appends a message the bot sent to its history, and answers as the send operations do.
    fn record_bot_message(&mut self, bot_id: &str, user_id: Value, bubble: Value) -> Value {
        let message_id = format!("msg_{:09}", self.next_message);
        self.next_message += 1;
        let message = json!({
            "messageId": message_id,
            "by": "bot",
            "status": "DELIVERED_USER",
            "createdAt": now(),
            "recipient": {"id": user_id},
            "sender": {"id": bot_id, "type": "Whatsapp"},
            "bubble": bubble,
        });
        self.history
            .entry(bot_id.to_owned())
            .or_default()
            .push(message);
        json!({"success": true, "messageId": message_id})
    }

    /// `history_list`: the bot's messages, oldest first, filtered, one page.
    pub(crate) fn history_list(
        &self,
        bot_id: &str,
        query: &BTreeMap<String, String>,
    ) -> Result<Value, Refusal> {
        self.bot_exists(bot_id)?;
        let limit = positive(query, "limit")?;
        let page = positive(query, "page")?;
        let start_at = date_filter(query, "startAt", DayEnd::Start)?;
        let end_at = date_filter(query, "endAt", DayEnd::End)?;
        let client_id = query.get("clientId");
        let message_id = query.get("messageId");
        let text = |m: &Value, pointer: &str| {
            m.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let matching: Vec<&Value> = self
            .history
            .get(bot_id)
            .into_iter()
            .flatten()
            .filter(|m| {
                let created = text(m, "/createdAt").unwrap_or_default();
                start_at.as_ref().is_none_or(|start| &created >= start)
                    && end_at.as_ref().is_none_or(|end| &created <= end)
                    && client_id.is_none_or(|c| text(m, "/recipient/id").as_ref() == Some(c))
                    && message_id.is_none_or(|id| text(m, "/messageId").as_ref() == Some(id))
            })
            .collect();
        let total = matching.len() as u64;
        let offset = (page - 1).saturating_mul(limit);
        let results: Vec<&Value> = matching
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok(json!({
            "pagination": {
                "limit": limit,
                "page": page,
                "total": total,
                "offset": offset,
                "totalPages": total.div_ceil(limit),
            },
            "results": results,
        }))
    }

    /// `user_create`: a new user, or the existing one with the same `userId`, updated.
    pub(crate) fn user_create(
        &mut self,
        request: types::UserCreateRequest,
    ) -> Result<Value, Refusal> {
        let attributes = string_map(&request.attributes);
        let user_id = request.user_id.map(|u| u.to_string());
        if user_id.is_none() && !attributes.contains_key("default_email") {
            return Err(Refusal::field_rule(
                "userId",
                "es obligatorio si no hay attributes.default_email",
                "is required unless attributes.default_email is given",
                "é obrigatório se não houver attributes.default_email",
            ));
        }
        let segments: Vec<String> = match request.segments {
            Some(types::UserSegments::SegmentId(one)) => vec![text(&one)],
            Some(types::UserSegments::Array(many)) => many.iter().map(text).collect(),
            None => Vec::new(),
        };
        let existing = self.users.iter_mut().find(|u| {
            u.user_id.is_some() && u.user_id == user_id
                || user_id.is_none()
                    && u.attributes.get("default_email") == attributes.get("default_email")
        });
        let stamp = now();
        let id = match existing {
            Some(user) => {
                user.attributes.extend(attributes);
                // A segment the user is already in is not listed twice.
                for segment in segments {
                    if !user.segments.contains(&segment) {
                        user.segments.push(segment);
                    }
                }
                user.last_seen = stamp.clone();
                user.id.clone()
            }
            None => {
                let id = format!("{:024x}", 0x5a4d_0000_u64 + self.next_user);
                self.next_user += 1;
                self.users.push(StoredUser {
                    id: id.clone(),
                    user_id,
                    attributes,
                    session_id: None,
                    session_attributes: BTreeMap::new(),
                    segments,
                    created_at: stamp.clone(),
                    last_seen: stamp.clone(),
                });
                id
            }
        };
        Ok(json!([{"id": id, "timestamp": stamp, "status": status_ok()}]))
    }

    /// `user_list`: filtered, sorted, from after the `after` cursor, at most `limit` users.
    pub(crate) fn user_list(&self, query: &BTreeMap<String, String>) -> Result<Value, Refusal> {
        let limit = match query.get("limit") {
            None => 40,
            Some(_) => {
                let limit = positive(query, "limit")?;
                if limit > 40 {
                    return Err(Refusal::field_rule(
                        "limit",
                        "no debe ser mayor a 40",
                        "must not be greater than 40",
                        "não deve ser maior que 40",
                    ));
                }
                limit
            }
        };
        let filters = match query.get("filters") {
            None => Vec::new(),
            // Page 002: `Filter[1,5]`, one to five of them.
            Some(text) => serde_json::from_str::<Vec<Value>>(text)
                .ok()
                .filter(|filters| (1..=5).contains(&filters.len()))
                .ok_or_else(|| {
                    Refusal::field_rule(
                        "filters",
                        "debe ser un arreglo JSON de 1 a 5 filtros",
                        "must be a JSON array of 1 to 5 filters",
                        "deve ser um array JSON de 1 a 5 filtros",
                    )
                })?,
        };
        let match_any = match query.get("match").map(String::as_str) {
            None | Some("all") => false,
            Some("any") => true,
            Some(_) => {
                return Err(Refusal::field_rule(
                    "match",
                    "debe ser all o any",
                    "must be all or any",
                    "deve ser all ou any",
                ));
            }
        };
        let passes = |user: &StoredUser, filter: &Value| {
            let Some(field) = filter.get("field").and_then(Value::as_str) else {
                return true;
            };
            match (
                user.attributes.get(field),
                filter.get("value").and_then(Value::as_str),
            ) {
                (Some(actual), Some(wanted)) => actual == wanted,
                (found, None) => found.is_some(),
                (None, Some(_)) => false,
            }
        };
        let mut users: Vec<&StoredUser> = self
            .users
            .iter()
            .filter(|u| {
                filters.is_empty()
                    || if match_any {
                        filters.iter().any(|f| passes(u, f))
                    } else {
                        filters.iter().all(|f| passes(u, f))
                    }
            })
            .collect();
        match query.get("sort[field]").map(String::as_str) {
            None => {}
            Some("createdAt") => users.sort_by(|a, b| a.created_at.cmp(&b.created_at)),
            Some("lastSeen") => users.sort_by(|a, b| a.last_seen.cmp(&b.last_seen)),
            Some(_) => {
                return Err(Refusal::field_rule(
                    "sort[field]",
                    "debe ser createdAt o lastSeen",
                    "must be createdAt or lastSeen",
                    "deve ser createdAt ou lastSeen",
                ));
            }
        }
        match query.get("sort[order]").map(String::as_str) {
            None | Some("asc") => {}
            Some("desc") => users.reverse(),
            Some(_) => {
                return Err(Refusal::field_rule(
                    "sort[order]",
                    "debe ser asc o desc",
                    "must be asc or desc",
                    "deve ser asc ou desc",
                ));
            }
        }
        if let Some(after) = query.get("after") {
            if after.chars().count() != 24 {
                return Err(Refusal::field_rule(
                    "after",
                    "debe tener 24 caracteres",
                    "must be 24 characters long",
                    "deve ter 24 caracteres",
                ));
            }
            let position = users
                .iter()
                .position(|u| &u.id == after)
                .map_or(users.len(), |p| p + 1);
            users.drain(..position);
        }
        users.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let data: Vec<Value> = users.iter().map(|u| u.summary()).collect();
        Ok(json!({"count": data.len(), "data": data}))
    }

    /// `user_get`.
    pub(crate) fn user_get(&self, id: &str) -> Result<Value, Refusal> {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map(StoredUser::details)
            .ok_or(Refusal::UserNotFound)
    }

    /// `user_update`: merges the attributes.
    pub(crate) fn user_update(
        &mut self,
        id: &str,
        request: types::UserUpdateRequest,
    ) -> Result<Value, Refusal> {
        let user = self.user_mut(id)?;
        user.attributes.extend(string_map(&request.attributes));
        user.last_seen = now();
        Ok(json!({"timestamp": user.last_seen, "status": status_ok()}))
    }

    /// `user_session_update`: merges the attributes of the user's session (a new session id
    /// starts from none).
    pub(crate) fn user_session_update(
        &mut self,
        id: &str,
        request: types::UserSessionUpdateRequest,
    ) -> Result<Value, Refusal> {
        let user = self.user_mut(id)?;
        let session_id = request.session_id.to_string();
        if user.session_id.as_ref() != Some(&session_id) {
            user.session_id = Some(session_id);
            user.session_attributes.clear();
        }
        user.session_attributes
            .extend(string_map(&request.attributes));
        user.last_seen = now();
        Ok(json!({"timestamp": user.last_seen, "status": status_ok()}))
    }

    /// Whether the phone number is a user the account knows: a user with that `userId`, or
    /// a user with a cache.
    fn knows_phone(&self, phone: &str) -> bool {
        self.users
            .iter()
            .any(|u| u.user_id.as_deref() == Some(phone))
            || self.caches.keys().any(|(user, _)| user == phone)
    }

    /// The state answer of the user with this phone number, at `now`.
    fn state_of(&self, phone: &str, now: Instant) -> Value {
        let mut answer = json!({ "id": phone });
        let name = self
            .users
            .iter()
            .find(|u| u.user_id.as_deref() == Some(phone))
            .and_then(|u| u.attributes.get("default_name"));
        if let Some(name) = name {
            answer["names"] = Value::String(name.clone());
        }
        let state = self.states.get(phone);
        if let Some(state) = state {
            answer["botId"] = Value::String(state.bot.clone());
        }
        let manual = state.is_some_and(|state| state.is_manual(now));
        answer["state"] = Value::from(if manual { "manual" } else { "auto" });
        answer
    }

    /// `user_state_get`: `auto` unless the user was switched to `manual` (and its `ttl`
    /// has not run out).
    pub(crate) fn user_state_get(&self, phone: &str, now: Instant) -> Result<Value, Refusal> {
        if !self.knows_phone(phone) {
            return Err(Refusal::UserNotFound);
        }
        Ok(self.state_of(phone, now))
    }

    /// `user_state_set`: switches the user to `manual` (for `ttl` seconds, when given) or
    /// back to `auto`.
    pub(crate) fn user_state_set(
        &mut self,
        request: types::UserStateChange,
        now: Instant,
    ) -> Result<Value, Refusal> {
        self.bot_exists(&request.bot_id)?;
        if !self.knows_phone(&request.user_id) {
            return Err(Refusal::UserNotFound);
        }
        let manual = matches!(request.state, types::UserStateValue::Manual);
        // A ttl that is not a positive number of seconds a clock can reach sets no expiry.
        let until = request
            .ttl
            .and_then(|ttl| Duration::try_from_secs_f64(ttl).ok())
            .filter(|ttl| !ttl.is_zero())
            .and_then(|ttl| now.checked_add(ttl));
        let state = UserState {
            bot: request.bot_id.clone(),
            manual,
            until,
        };
        self.states.insert(request.user_id.clone(), state);
        Ok(self.state_of(&request.user_id, now))
    }

    /// Whether the session belongs to a user in `manual` state at `now`.
    fn session_is_manual(&self, session_id: &str, now: Instant) -> bool {
        self.users
            .iter()
            .filter(|u| u.session_id.as_deref() == Some(session_id))
            .filter_map(|u| u.user_id.as_deref())
            .any(|phone| self.states.get(phone).is_some_and(|s| s.is_manual(now)))
    }

    /// `chat_query`: a deterministic scripted bot. It greets, answers triggers and go-tos,
    /// and otherwise repeats what it was told. A session of a user in `manual` state gets
    /// no answer from the bot: a person answers through the send endpoints.
    pub(crate) fn chat_query(
        &self,
        request: types::ChatQueryRequest,
        at: Instant,
    ) -> Result<Value, Refusal> {
        let manual = self.session_is_manual(&request.session_id.to_string(), at);
        let query = request.query.as_ref().map(text);
        let trigger = request.trigger.as_ref().map(text);
        let goto = request.goto.as_ref().map(text);
        let (interaction, answer, resolved) = match (&query, &trigger, &goto) {
            (_, Some(trigger), _) => (
                "trigger",
                format!("Trigger {trigger} fired."),
                trigger.clone(),
            ),
            (_, _, Some(goto)) => ("goto", format!("Now at interaction {goto}."), goto.clone()),
            (Some(query), _, _) if is_greeting(query) => (
                "greeting",
                "¡Hola! Soy el bot de prueba de Jelou.".to_owned(),
                query.clone(),
            ),
            (Some(query), _, _) => ("echo", format!("Dijiste: {query}"), query.clone()),
            (None, None, None) => {
                return Err(Refusal::field_rule(
                    "query",
                    "es obligatorio si no hay trigger ni goto",
                    "is required unless trigger or goto is given",
                    "é obrigatório se não houver trigger nem goto",
                ));
            }
        };
        let parameters: BTreeMap<String, String> = request
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        Ok(json!({
            "sessionId": request.session_id.to_string(),
            "timestamp": now(),
            "result": {
                "source": "sandbox",
                "resolvedQuery": resolved,
                "confidence": 1.0,
                "score": 1.0,
                "lifespan": request.lifespan.get(),
                "incomplete": false,
                "interaction": {"name": interaction, "action": ""},
                "sessionParameters": parameters,
                "contexts": [],
                "fulfillment": if manual {
                    json!([])
                } else {
                    json!([{"type": "text", "delay": 0, "message": answer}])
                },
            }
        }))
        .map(|mut answer| {
            // Without a story there is no `storyId` (the spec's string is never `null`).
            if let Some(story) = &request.story_id {
                answer["result"]["storyId"] = Value::String(text(story));
            }
            answer
        })
    }
}

/// The string inside one of the generated constrained-string types.
fn text<T: std::ops::Deref<Target = String>>(value: &T) -> String {
    (**value).clone()
}

fn is_greeting(query: &str) -> bool {
    let lower = query.trim().to_lowercase();
    ["hola", "hello", "hi", "olá", "buenas"]
        .iter()
        .any(|greeting| lower.starts_with(greeting))
}

/// The attributes of a request as strings (absent and null ones left out).
fn string_map(attributes: &impl serde::Serialize) -> BTreeMap<String, String> {
    match serde_json::to_value(attributes) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// A required whole number of at least 1.
/// The positive whole number `field` holds, or `default` when it is not given.
fn positive_or(
    query: &BTreeMap<String, String>,
    field: &str,
    default: u64,
) -> Result<u64, Refusal> {
    if query.contains_key(field) {
        positive(query, field)
    } else {
        Ok(default)
    }
}

fn positive(query: &BTreeMap<String, String>, field: &str) -> Result<u64, Refusal> {
    let Some(text) = query.get(field) else {
        return Err(Refusal::field_rule(
            field,
            "es obligatorio",
            "is required",
            "é obrigatório",
        ));
    };
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(Refusal::field_rule(
            field,
            "debe ser un número entero mayor o igual a 1",
            "must be a whole number of at least 1",
            "deve ser um número inteiro maior ou igual a 1",
        )),
    }
}

fn date_filter(
    query: &BTreeMap<String, String>,
    field: &str,
    end: DayEnd,
) -> Result<Option<String>, Refusal> {
    match query.get(field) {
        None => Ok(None),
        Some(value) => range_bound(value, end)
            .map(Some)
            .ok_or_else(|| Refusal::not_a_date(field)),
    }
}

/// The history bubble of a sent message. The pages document only `TEXT` bubbles (with `text`
/// and `mediaUrl`); for the other kinds the sandbox names the bubble after the message's
/// `type` in upper case and keeps the message's own fields in it, as the history's bubbles
/// keep fields they do not document.
pub(crate) fn bubble(message: &Value) -> Value {
    let mut bubble = serde_json::Map::new();
    for (key, value) in message.as_object().into_iter().flatten() {
        match key.as_str() {
            "type" => {
                let kind = value.as_str().unwrap_or("text").to_uppercase();
                bubble.insert("type".into(), Value::String(kind));
            }
            "userId" | "botId" => {}
            _ => {
                bubble.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(bubble)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{DEMO_BOT, DEMO_PHONE};

    fn change(state: &str, ttl: Option<f64>) -> types::UserStateChange {
        serde_json::from_value(json!({
            "botId": DEMO_BOT, "userId": DEMO_PHONE, "state": state, "ttl": ttl,
        }))
        .expect("a valid change")
    }

    #[test]
    fn a_manual_state_lasts_its_ttl_then_reads_auto() {
        let mut sandbox = State::new(Seed::demo());
        let start = Instant::now();
        let read = |sandbox: &State, at| {
            sandbox.user_state_get(DEMO_PHONE, at).expect("known")["state"].clone()
        };
        assert_eq!(read(&sandbox, start), "auto");
        let answer = sandbox
            .user_state_set(change("manual", Some(60.0)), start)
            .expect("set");
        assert_eq!(
            (answer["state"].clone(), answer["botId"].clone()),
            (json!("manual"), json!(DEMO_BOT))
        );
        assert_eq!(read(&sandbox, start + Duration::from_secs(59)), "manual");
        assert_eq!(read(&sandbox, start + Duration::from_secs(60)), "auto");
        sandbox
            .user_state_set(change("manual", None), start)
            .expect("set");
        assert_eq!(
            read(&sandbox, start + Duration::from_secs(86_400)),
            "manual",
            "no ttl: no expiry"
        );
        sandbox
            .user_state_set(change("auto", None), start)
            .expect("set");
        assert_eq!(read(&sandbox, start), "auto");
    }

    #[test]
    fn any_ttl_is_taken_without_a_panic() {
        let mut sandbox = State::new(Seed::demo());
        let now = Instant::now();
        for ttl in [0.0, -1.0, f64::MAX, f64::INFINITY, f64::NAN, 1e300, 0.5] {
            assert!(
                sandbox
                    .user_state_set(change("manual", Some(ttl)), now)
                    .is_ok(),
                "{ttl}"
            );
        }
    }

    #[test]
    fn unknown_users_and_bots_are_not_found() {
        let mut sandbox = State::new(Seed::demo());
        let now = Instant::now();
        assert!(matches!(
            sandbox.user_state_get("111", now),
            Err(Refusal::UserNotFound)
        ));
        let mut unknown_bot = change("manual", None);
        unknown_bot.bot_id = "no-such-bot".to_owned();
        assert!(matches!(
            sandbox.user_state_set(unknown_bot, now),
            Err(Refusal::BotNotFound)
        ));
    }
}
