//! Templates and their sends: created templates wait as `PENDING`, every bot starts with the
//! spec's documented (approved) template, and every template sent appears in the bot's
//! history.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{State, documented, now};
use crate::envelope::Refusal;

/// The bubble type the sandbox gives a template sent with `hsm_send`: the pages do not show
/// one; the older templates page calls a template's type `HSM`.
const HSM_BUBBLE: &str = "HSM";

impl State {
    /// The templates a bot starts with: the spec's documented list.
    pub(super) fn documented_templates() -> Vec<Value> {
        documented("template_list")
            .and_then(|list| list.get("data").and_then(Value::as_array).cloned())
            .unwrap_or_default()
    }

    fn templates_of(&mut self, bot_id: &str) -> &mut Vec<Value> {
        self.templates
            .entry(bot_id.to_owned())
            .or_insert_with(Self::documented_templates)
    }

    /// `template_list`: the bot's templates, filtered by name, state and category.
    pub(crate) fn template_list(
        &mut self,
        bot_id: &str,
        query: &BTreeMap<String, String>,
    ) -> Result<Value, Refusal> {
        self.bot_exists(bot_id)?;
        let text = |template: &Value, field: &str| {
            template
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let matching: Vec<Value> = self
            .templates_of(bot_id)
            .iter()
            .filter(|t| {
                query
                    .get("query")
                    .is_none_or(|q| text(t, "elementName").contains(q.as_str()))
                    && query.get("status").is_none_or(|s| &text(t, "status") == s)
                    && query
                        .get("category")
                        .is_none_or(|c| &text(t, "category") == c)
            })
            .cloned()
            .collect();
        Ok(json!({ "data": matching }))
    }

    /// `template_create`: stores the template as `PENDING` (WhatsApp has not reviewed it).
    pub(crate) fn template_create(
        &mut self,
        bot_id: &str,
        request: Value,
    ) -> Result<Value, Refusal> {
        self.bot_exists(bot_id)?;
        let mut template = request;
        let created = now();
        if let Value::Object(fields) = &mut template {
            fields.insert("status".into(), json!("PENDING"));
            fields.insert("createdAt".into(), json!(created));
            fields.insert("updatedAt".into(), json!(created));
        }
        self.templates_of(bot_id).push(template);
        Ok(documented("template_create").unwrap_or_else(|| json!({})))
    }

    /// `hsm_send`: one history message per destination, one `{id, destination}` each.
    pub(crate) fn hsm_send(&mut self, bot_id: &str, request: Value) -> Result<Value, Refusal> {
        self.bot_exists(bot_id)?;
        let mut bubble = json!({"type": HSM_BUBBLE});
        for field in ["elementName", "language", "parameters", "mediaUrl"] {
            if let Some(value) = request.get(field) {
                bubble[field] = value.clone();
            }
        }
        let destinations: Vec<String> = request
            .get("destinations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect();
        let sent: Vec<Value> = destinations
            .into_iter()
            .map(|destination| {
                let answer = self.record_bot_message(bot_id, json!(destination), bubble.clone());
                self.emit_deliveries(bot_id, &json!(destination), &answer["messageId"]);
                json!({"id": answer["messageId"], "destination": destination})
            })
            .collect();
        Ok(Value::Array(sent))
    }

    /// `campaign_template_send`: the template appears in the bot's history. The page shows
    /// no answer; the sandbox answers an empty object.
    pub(crate) fn campaign_template_send(
        &mut self,
        bot_id: &str,
        request: Value,
    ) -> Result<Value, Refusal> {
        self.bot_exists(bot_id)?;
        let user_id = request.get("userId").cloned().unwrap_or_default();
        let answer = self.record_bot_message(bot_id, user_id.clone(), super::bubble(&request));
        self.emit_deliveries(bot_id, &user_id, &answer["messageId"]);
        Ok(json!({}))
    }
}
