//! The external support panel: one integration per project, conversations handed to it, and
//! the agents' messages back to users. Its events go to the sandbox's webhook.

use std::hash::{BuildHasher, Hasher};

use jelou_webhooks::SigningSecret;
use serde_json::{Value, json};

use super::{State, now};
use crate::envelope::Refusal;

/// Who may call the panel's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PanelCaller<'a> {
    /// The account itself (Basic), which owns every project.
    Account,
    /// A project's API key, which opens that project only.
    ApiKey(&'a str),
}

/// A new signing secret: 64 hex digits from the process's random hash keys.
fn fresh_secret() -> String {
    (0..4)
        .map(|_| {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(super::epoch_millis());
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

impl State {
    /// Whether `api_key` is one of the account's projects' keys.
    pub(crate) fn knows_api_key(&self, api_key: &str) -> bool {
        self.seed.projects.iter().any(|p| p.api_key == api_key)
    }

    /// The project the path names, if the caller may use it. The pages document no answer for
    /// a project that is not the caller's; the sandbox answers its not-found envelope.
    fn project(&self, caller: PanelCaller<'_>, project_id: &str) -> Result<(), Refusal> {
        let found = self.seed.projects.iter().any(|p| {
            p.id == project_id
                && match caller {
                    PanelCaller::Account => true,
                    PanelCaller::ApiKey(key) => p.api_key == key,
                }
        });
        if found {
            Ok(())
        } else {
            Err(Refusal::NotFound("project"))
        }
    }

    /// The integration's answer shape, without its secrets (its signing secret, and the
    /// credentials Jelou sends to the webhook).
    fn integration_view(integration: &Value) -> Value {
        let mut shown = integration.clone();
        if let Some(object) = shown.as_object_mut() {
            object.remove("signingSecret");
            object.remove("authorization");
        }
        shown
    }

    /// `panel_integration_create`: a new integration (replacing the project's, if any) with a
    /// new signing secret: the sandbox's webhook secret when it has one, so that the service
    /// receiving its events verifies them with the secret it already knows.
    pub(crate) fn panel_integration_create(
        &mut self,
        caller: PanelCaller<'_>,
        project_id: &str,
        request: &Value,
    ) -> Result<Value, Refusal> {
        self.project(caller, project_id)?;
        self.next_integration += 1;
        let secret = self.webhook_secret.clone().unwrap_or_else(fresh_secret);
        let created = now();
        let mut integration = json!({
            "id": format!("int_{:06}", self.next_integration),
            "brainId": format!("brain_{project_id}"),
            "webhookUrl": request.get("webhookUrl").cloned().unwrap_or(Value::Null),
            "authType": request.get("authType").cloned().unwrap_or_else(|| json!("no_auth")),
            "signingSecret": secret,
            "createdAt": created,
            "updatedAt": created,
        });
        if let Some(authorization) = request.get("authorization") {
            integration["authorization"] = authorization.clone();
        }
        self.integrations
            .insert(project_id.to_owned(), integration.clone());
        // The creation's answer is the only one that shows the signing secret.
        let mut answer = Self::integration_view(&integration);
        if let Some(object) = answer.as_object_mut() {
            object.remove("updatedAt");
        }
        answer["signingSecret"] = integration["signingSecret"].clone();
        Ok(answer)
    }

    fn integration(&self, project_id: &str) -> Result<&Value, Refusal> {
        self.integrations
            .get(project_id)
            .ok_or(Refusal::NotFound("integration"))
    }

    /// `panel_integration_get`: the project's integration in the envelope of the page's
    /// prose example, without its secret.
    pub(crate) fn panel_integration_get(
        &self,
        caller: PanelCaller<'_>,
        project_id: &str,
    ) -> Result<Value, Refusal> {
        self.project(caller, project_id)?;
        let integration = self.integration(project_id)?;
        Ok(json!({
            "message": ["Integration retrieved successfully"],
            "statusMessage": "success",
            "status": 1,
            "data": Self::integration_view(integration),
        }))
    }

    /// `panel_integration_update`: changes the fields sent.
    pub(crate) fn panel_integration_update(
        &mut self,
        caller: PanelCaller<'_>,
        project_id: &str,
        request: &Value,
    ) -> Result<Value, Refusal> {
        self.project(caller, project_id)?;
        let integration = self
            .integrations
            .get_mut(project_id)
            .ok_or(Refusal::NotFound("integration"))?;
        for field in ["webhookUrl", "authType", "authorization"] {
            if let Some(value) = request.get(field) {
                integration[field] = value.clone();
            }
        }
        integration["updatedAt"] = json!(now());
        Ok(Self::integration_view(integration))
    }

    /// The active conversation of `bot_id` with `user_id`, by id.
    fn active_conversation(&self, bot_id: &str, user_id: &str) -> Option<String> {
        self.conversations
            .iter()
            .find(|(_, c)| {
                c["Bot"]["id"] == bot_id && c["User"]["id"] == user_id && c["state"] == "active"
            })
            .map(|(id, _)| id.clone())
    }

    /// The fields every panel event of a conversation carries: the documented `message`
    /// event's (`project_id`, `room_id`, `contact`, `conversation`, `bot`).
    fn conversation_fields(conversation: &Value) -> Value {
        json!({
            "project_id": conversation["projectId"],
            "room_id": conversation["roomId"],
            "contact": {"id": conversation["User"]["id"]},
            "conversation": {"id": conversation["_id"]},
            "bot": {"id": conversation["Bot"]["id"]},
        })
    }

    fn panel_event(&mut self, name: &str, conversation: &Value, extra: Value) {
        let mut event = Self::conversation_fields(conversation);
        event["event"] = json!(name);
        if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
            event.extend(extra.clone());
        }
        self.emit(event);
    }

    fn conversation_answer(conversation: &Value) -> Value {
        let mut shown = conversation.clone();
        if let Some(object) = shown.as_object_mut() {
            object.remove("projectId");
        }
        json!({"statusMessage": "success", "status": 1, "data": shown})
    }

    /// The bot and the user a start or close names, once the caller may use the project and
    /// the account has the bot.
    fn conversation_party<'r>(
        &self,
        caller: PanelCaller<'_>,
        project_id: &str,
        request: &'r Value,
    ) -> Result<(&'r str, &'r str), Refusal> {
        self.project(caller, project_id)?;
        let text = |field: &str| request.get(field).and_then(Value::as_str).unwrap_or("");
        let (bot_id, user_id) = (text("botId"), text("userId"));
        self.bot_exists(bot_id)?;
        Ok((bot_id, user_id))
    }

    /// `panel_conversation_start`: the bot's conversation with the user goes to the panel;
    /// `conversation.start` goes to the webhook. A user with a conversation already active
    /// in the panel is refused (422 naming `userId`): the pages do not say what happens then.
    pub(crate) fn panel_conversation_start(
        &mut self,
        caller: PanelCaller<'_>,
        project_id: &str,
        request: &Value,
    ) -> Result<Value, Refusal> {
        let (bot_id, user_id) = self.conversation_party(caller, project_id, request)?;
        if self.active_conversation(bot_id, user_id).is_some() {
            return Err(Refusal::field_rule(
                "userId",
                "ya tiene una conversación activa en el panel",
                "already has an active conversation in the panel",
                "já tem uma conversa ativa no painel",
            ));
        }
        self.next_conversation += 1;
        let id = format!("conv_{:06}", self.next_conversation);
        let mut conversation = json!({
            "_id": id,
            "roomId": format!("{bot_id}:{user_id}"),
            "state": "active",
            "startAt": now(),
            "projectId": project_id,
            "User": {"id": user_id},
            "Bot": {"id": bot_id},
            "metadata": request.get("metadata").cloned().unwrap_or_else(|| json!({})),
        });
        if let Some(assignment) = request.get("assignment") {
            conversation["assignment"] = assignment.clone();
        }
        self.conversations.insert(id, conversation.clone());
        if let Some(first) = request.get("initialMessage").and_then(Value::as_str) {
            self.record_bot_message(
                bot_id,
                json!(user_id),
                json!({"type": "TEXT", "text": first}),
            );
        }
        let mut details = json!({"metadata": conversation["metadata"]});
        if let Some(assignment) = conversation.get("assignment") {
            details["assignment"] = assignment.clone();
        }
        self.panel_event("conversation.start", &conversation, details);
        Ok(Self::conversation_answer(&conversation))
    }

    /// `panel_conversation_close`: the user's active conversation ends (404 without one), its
    /// closing text reaches the user, and `conversation.close` goes to the webhook.
    pub(crate) fn panel_conversation_close(
        &mut self,
        caller: PanelCaller<'_>,
        project_id: &str,
        request: &Value,
    ) -> Result<Value, Refusal> {
        let (bot_id, user_id) = self.conversation_party(caller, project_id, request)?;
        let id = self
            .active_conversation(bot_id, user_id)
            .ok_or(Refusal::NotFound("conversation"))?;
        let redirect = request
            .get("redirectPayload")
            .cloned()
            .unwrap_or_else(|| json!({}));
        if redirect["type"] == "text"
            && let Some(closing) = redirect["text"].as_str()
        {
            let closing = closing.to_owned();
            self.record_bot_message(
                bot_id,
                json!(user_id),
                json!({"type": "TEXT", "text": closing}),
            );
        }
        let Some(conversation) = self.conversations.get_mut(&id) else {
            return Err(Refusal::NotFound("conversation"));
        };
        conversation["state"] = json!("closed");
        conversation["endAt"] = json!(now());
        // The one reason the pages name; here the panel's operator did close it.
        conversation["endedReason"] = json!("closed_by_operator");
        let conversation = conversation.clone();
        self.panel_event(
            "conversation.close",
            &conversation,
            json!({"redirectPayload": redirect}),
        );
        Ok(Self::conversation_answer(&conversation))
    }

    /// `panel_conversation_get`: one conversation of the project.
    pub(crate) fn panel_conversation_get(
        &self,
        caller: PanelCaller<'_>,
        project_id: &str,
        conversation_id: &str,
    ) -> Result<Value, Refusal> {
        self.project(caller, project_id)?;
        let conversation = self
            .conversations
            .get(conversation_id)
            .filter(|c| c["projectId"] == project_id)
            .ok_or(Refusal::NotFound("conversation"))?;
        let mut answer = Self::conversation_answer(conversation);
        answer["message"] = json!(["Conversation retrieved successfully"]);
        Ok(answer)
    }

    /// The signing secret of `project_id`'s integration, to verify a message sent back.
    pub(crate) fn panel_signing_secret(&self, project_id: &str) -> Option<SigningSecret> {
        let secret = self.integrations.get(project_id)?["signingSecret"].as_str()?;
        SigningSecret::new(secret).ok()
    }

    /// `panel_message_send` (its signature already verified): the agent's message reaches
    /// the user of the active conversation in `room_id` (404 without one) and joins the bot's
    /// history.
    pub(crate) fn panel_message_send(&mut self, request: &Value) -> Result<Value, Refusal> {
        let text = |field: &str| request.get(field).and_then(Value::as_str).unwrap_or("");
        let (project_id, room_id, bot_id, user_id) = (
            text("project_id"),
            text("room_id"),
            text("bot_id"),
            text("user_id"),
        );
        let active = self.conversations.values().any(|c| {
            c["projectId"] == project_id
                && c["roomId"] == room_id
                && c["Bot"]["id"] == bot_id
                && c["User"]["id"] == user_id
                && c["state"] == "active"
        });
        if !active {
            return Err(Refusal::NotFound("conversation"));
        }
        let value = &request["value"];
        let kind = value["type"].as_str().unwrap_or("text");
        let bubble = match kind {
            "text" => json!({"type": "TEXT", "text": value["content"]["body"]}),
            other => {
                let mut bubble = value["content"].clone();
                bubble["type"] = json!(other.to_ascii_uppercase());
                bubble
            }
        };
        let sent = self.record_bot_message(bot_id, json!(user_id), bubble);
        Ok(json!({"messageId": sent["messageId"]}))
    }

    /// The panel conversation a user's message belongs to, if one is active: the `message`
    /// event then names it.
    pub(crate) fn panel_conversation_of(&self, bot_id: &str, user_id: &str) -> Option<Value> {
        let id = self.active_conversation(bot_id, user_id)?;
        self.conversations.get(&id).map(Self::conversation_fields)
    }
}
