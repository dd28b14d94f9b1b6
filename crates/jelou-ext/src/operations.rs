//! One typed method per operation of the spec, and streams that follow pagination.

use std::num::NonZeroU32;

use futures_util::{Stream, TryStreamExt, stream};
use jelou_client::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::Jelou;
use crate::error::Error;
use crate::inputs::{
    Attributes, ChatInput, DEFAULT_HISTORY_LIMIT, HistoryQuery, MAX_HISTORY_LIMIT, NewUser,
    UserQuery,
};
use crate::message::Message;
use crate::panel::PanelReply;
use crate::template::TemplateSend;
use crate::validate::{self, ValidationError};

/// Turns a validated input into the generated request type. The generated type re-checks the
/// limits it knows; a refusal there is reported like any other validation error.
fn to_generated<T: DeserializeOwned>(field: &str, input: &impl Serialize) -> Result<T, Error> {
    let value = serde_json::to_value(input)
        .map_err(|e| ValidationError::new(field, "serializable as JSON", e.to_string()))?;
    serde_json::from_value(value).map_err(|e| {
        Error::Validation(ValidationError::new(
            field,
            "valid for the spec",
            e.to_string(),
        ))
    })
}

fn non_zero(field: &str, value: u32) -> Result<NonZeroU32, Error> {
    NonZeroU32::new(value)
        .ok_or_else(|| Error::Validation(ValidationError::new(field, "at least 1", "0")))
}

impl Jelou {
    /// Reads a user's cache (`cache_get`). `user_id` is the phone number without `+`.
    ///
    /// The API's "HTTP 200 with `status: failed`" logic error comes back as
    /// [`Error::Api`] with [`ApiError::is_logic_failure`]: an answer that holds exactly
    /// `status: "failed"` and a `message` list of strings. A cache that merely
    /// keeps a `status` key of its own, `"failed"` included, is returned as the cache.
    pub async fn get_cache(
        &self,
        user_id: &str,
        bot_id: Option<&str>,
    ) -> Result<Map<String, Value>, Error> {
        let call = self.raw().cache_get().user_id(user_id);
        let call = match bot_id {
            Some(bot_id) => call.bot_id(bot_id),
            None => call,
        };
        Ok(self.send(call).await?.0)
    }

    /// Merges `params` into a user's cache for a bot (`cache_set`); reused keys are overwritten.
    pub async fn set_cache(
        &self,
        user_id: &str,
        bot_id: &str,
        params: Map<String, Value>,
    ) -> Result<types::CacheSetResponse, Error> {
        let body = types::CacheSetRequest {
            bot_id: bot_id.to_owned(),
            params,
        };
        let call = self.raw().cache_set().user_id(user_id).body(body);
        self.send(call).await
    }

    /// Sends a message from the bot to a user (`message_send`). Never sent twice by the SDK.
    pub async fn send_message(
        &self,
        bot_id: &str,
        message: &Message,
    ) -> Result<types::MessageSendResponse, Error> {
        message.validate()?;
        let body: types::MessageSendRequest = to_generated("message", message)?;
        let call = self.raw().message_send().bot_id(bot_id).body(body);
        self.send(call).await
    }

    /// One page of a bot's chat history (`history_list`).
    pub async fn history_page(
        &self,
        bot_id: &str,
        query: &HistoryQuery,
    ) -> Result<types::HistoryPage, Error> {
        query.validate()?;
        let mut call = self
            .raw()
            .history_list()
            .bot_id(bot_id)
            .limit(non_zero(
                "limit",
                query.limit.unwrap_or(DEFAULT_HISTORY_LIMIT),
            )?)
            .page(non_zero("page", query.page)?);
        if let Some(start_at) = &query.start_at {
            call = call.start_at(start_at.clone());
        }
        if let Some(end_at) = &query.end_at {
            call = call.end_at(end_at.clone());
        }
        if let Some(client_id) = &query.client_id {
            call = call.client_id(client_id.clone());
        }
        if let Some(message_id) = &query.message_id {
            call = call.message_id(message_id.clone());
        }
        self.send(call).await
    }

    /// Every page of a bot's chat history from `query.page` on, one page at a time.
    ///
    /// Pages hold [`MAX_HISTORY_LIMIT`] messages unless `query.limit` says otherwise: under the
    /// rate limit, the largest page reads a history fastest.
    pub fn history_pages(
        &self,
        bot_id: impl Into<String>,
        query: HistoryQuery,
    ) -> impl Stream<Item = Result<types::HistoryPage, Error>> + Send + 'static {
        let client = self.clone();
        let bot_id = bot_id.into();
        let query = HistoryQuery {
            limit: Some(query.limit.unwrap_or(MAX_HISTORY_LIMIT)),
            ..query
        };
        stream::try_unfold(Some(query), move |next| {
            let client = client.clone();
            let bot_id = bot_id.clone();
            async move {
                let Some(query) = next else {
                    return Ok::<_, Error>(None);
                };
                let page = client.history_page(&bot_id, &query).await?;
                let more =
                    !page.results.is_empty() && page.pagination.page < page.pagination.total_pages;
                let next = more.then(|| HistoryQuery {
                    page: query.page + 1,
                    ..query
                });
                Ok(Some((page, next)))
            }
        })
    }

    /// Every message of a bot's chat history from `query.page` on, following the pages (of
    /// [`MAX_HISTORY_LIMIT`] messages unless `query.limit` says otherwise).
    pub fn history(
        &self,
        bot_id: impl Into<String>,
        query: HistoryQuery,
    ) -> impl Stream<Item = Result<types::HistoryMessage, Error>> + Send + 'static {
        self.history_pages(bot_id, query)
            .map_ok(|page| stream::iter(page.results.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Sends an approved template to each of its destinations (`hsm_send`), and returns one
    /// `{id, destination}` per destination. Not retried after a server error: a template is
    /// never sent twice by the SDK.
    pub async fn send_template(
        &self,
        bot_id: &str,
        template: &TemplateSend,
    ) -> Result<Vec<types::HsmSent>, Error> {
        template.validate()?;
        let body: types::HsmSendRequest = to_generated("template", template)?;
        let call = self.raw().hsm_send().bot_id(bot_id).body(body);
        Ok(self.send(call).await?.0)
    }

    /// Sends an agent's message to the user of a panel conversation
    /// (`panel_message_send`, on the panel's delivery host), signed with the integration's
    /// signing secret ([`crate::JelouBuilder::signing_secret`] or
    /// [`Jelou::set_signing_secret`]). The answer is undocumented and kept as it comes. Not
    /// retried after a server error: a message is never sent twice by the SDK.
    ///
    /// ```no_run
    /// # async fn example(jelou: &jelou_ext::Jelou, event: &jelou_webhooks::PanelMessage) -> Result<(), jelou_ext::Error> {
    /// use jelou_ext::PanelReply;
    /// if let Some(reply) = PanelReply::answering(event) {
    ///     jelou.send_panel_message(&reply.text("Hola, ¿en qué te ayudo?")).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send_panel_message(
        &self,
        reply: &PanelReply,
    ) -> Result<types::UndocumentedAnswer, Error> {
        reply.validate()?;
        let body: types::PanelMessageSendRequest = to_generated("panel message", reply)?;
        let call = self.raw().panel_message_send().body(body);
        self.send(call).await
    }

    /// Every row of a Datum database, page after page (`row_list`, `limit` rows a page),
    /// each row's own fields in `extra` beside its `_id`, `createdAt` and `updatedAt`.
    ///
    /// ```no_run
    /// # async fn example(jelou: &jelou_ext::Jelou) -> Result<(), jelou_ext::Error> {
    /// use futures_util::TryStreamExt;
    /// let rows: Vec<_> = jelou.rows("123456789", 50).try_collect().await?;
    /// for row in &rows {
    ///     println!("{:?}: {:?}", row.id, row.extra.get("name"));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn rows<'a>(
        &'a self,
        database_id: &'a str,
        limit: u32,
    ) -> impl Stream<Item = Result<types::Row, Error>> + Send + 'a {
        let call = self
            .raw()
            .row_list()
            .database_id(database_id)
            .limit(limit)
            .page(1u32);
        self.pages(call)
            .map_ok(|page: types::RowPage| stream::iter(page.results.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Creates a user (`user_create`).
    pub async fn create_user(&self, user: &NewUser) -> Result<types::UserCreateResponse, Error> {
        user.validate()?;
        let body: types::UserCreateRequest = to_generated("user", user)?;
        self.send(self.raw().user_create().body(body)).await
    }

    /// One page of users (`user_list`).
    pub async fn list_users(&self, query: &UserQuery) -> Result<types::UserList, Error> {
        query.validate()?;
        let mut call = self.raw().user_list();
        if let Some(limit) = query.limit {
            call = call.limit(non_zero("limit", limit)?);
        }
        if let Some(after) = &query.after {
            let after: types::UserListAfter =
                after.parse().map_err(|e: types::error::ConversionError| {
                    ValidationError::new("after", "exactly 24 characters", e.to_string())
                })?;
            call = call.after(after);
        }
        if let Some(field) = query.sort_field {
            call = call.sort_field(field);
        }
        if let Some(order) = query.sort_order {
            call = call.sort_order(order);
        }
        if let Some(match_) = query.match_ {
            call = call.match_(match_);
        }
        if !query.filters.is_empty() {
            call = call.filters(Value::Array(query.filters.clone()).to_string());
        }
        self.send(call).await
    }

    /// Every user from `query.after` on, following the `after` cursor page by page.
    pub fn users(
        &self,
        query: UserQuery,
    ) -> impl Stream<Item = Result<types::User, Error>> + Send + 'static {
        let client = self.clone();
        stream::try_unfold(Some(query), move |next| {
            let client = client.clone();
            async move {
                let Some(query) = next else {
                    return Ok::<_, Error>(None);
                };
                let page = client.list_users(&query).await?;
                let page_size = query.limit.unwrap_or(40) as usize;
                let next = match page.data.last() {
                    Some(last) if page.data.len() >= page_size => Some(UserQuery {
                        after: Some(last.id.clone()),
                        ..query
                    }),
                    _ => None,
                };
                Ok(Some((page.data, next)))
            }
        })
        .map_ok(|users| stream::iter(users.into_iter().map(Ok)))
        .try_flatten()
    }

    /// One user's details (`user_get`).
    pub async fn get_user(&self, id: &str) -> Result<types::UserDetails, Error> {
        self.send(self.raw().user_get().id(id)).await
    }

    /// Sets a user's attributes (`user_update`).
    pub async fn update_user(
        &self,
        id: &str,
        attributes: &Attributes,
    ) -> Result<types::StatusResponse, Error> {
        let input = serde_json::json!({ "attributes": attributes });
        validate::body("user_update", &input)?;
        let body: types::UserUpdateRequest = to_generated("attributes", &input)?;
        self.send(self.raw().user_update().id(id).body(body)).await
    }

    /// Sets the attributes of a user's active session (`user_session_update`).
    pub async fn update_session(
        &self,
        id: &str,
        session_id: &str,
        attributes: &Attributes,
    ) -> Result<types::StatusResponse, Error> {
        let input = serde_json::json!({ "sessionId": session_id, "attributes": attributes });
        validate::body("user_session_update", &input)?;
        let body: types::UserSessionUpdateRequest = to_generated("session", &input)?;
        let call = self.raw().user_session_update().id(id).body(body);
        self.send(call).await
    }

    /// Sends input to the bot and returns its answer (`chat_query`).
    pub async fn chat(&self, input: &ChatInput) -> Result<types::ChatQueryResponse, Error> {
        input.validate()?;
        let body: types::ChatQueryRequest = to_generated("chat", input)?;
        self.send(self.raw().chat_query().body(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validated_inputs_convert_into_the_generated_types() {
        let message = Message::text("u", "hola").option(crate::ListOption::new("Opción 1"));
        let body: types::MessageSendRequest = to_generated("message", &message).expect("converts");
        let types::MessageSendRequest::TextMessage(text) = body else {
            panic!("a text message decodes as one: {body:?}");
        };
        assert_eq!(text.options.len(), 1);
        let chat = ChatInput::new("session-123").query("hola").confidence(0.3);
        let body: types::ChatQueryRequest = to_generated("chat", &chat).expect("converts");
        assert_eq!(body.confidence, 0.3);
        assert_eq!(body.lifespan.get(), 2, "documented default");
    }
}
