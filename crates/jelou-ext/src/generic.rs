//! Any operation of the spec, sent with everything [`Jelou`] adds, from what the spec says
//! about it: the typed methods are conveniences on top of this.

use std::sync::Arc;

use futures_util::{Stream, stream};
use jelou_client::BoxFuture;
use jelou_client::operation::{LogicError, PageToken, Pagination};
use jelou_client::{Call, JsonRequest, PagedCall};
use serde_json::Value;

use crate::call::CallState;
use crate::client::Jelou;
use crate::error::{ApiError, Error};
use crate::validate::ValidationError;

/// `request` pointed at the page `token` names: its page or cursor parameter replaced.
fn at_page(mut request: JsonRequest, pagination: Pagination, token: &PageToken) -> JsonRequest {
    let (name, value) = match (pagination, token) {
        (Pagination::Page { parameter, .. }, PageToken::Page(page)) => {
            (parameter, page.to_string())
        }
        (Pagination::Cursor { parameter, .. }, PageToken::Cursor(cursor)) => {
            (parameter, cursor.clone())
        }
        _ => return request,
    };
    request.query.retain(|(key, _)| key != name);
    request.query.push((name.to_owned(), value));
    request
}

/// An answer and what its call learned on the way.
type Recorded<T> = (T, Arc<CallState>);

impl Jelou {
    /// Sends any request built with the generated builders of [`Jelou::raw`], with
    /// everything this client adds: the checks of every limit the spec states (before the
    /// rate limiter is asked), the rate limiter, retries that never repeat a write the server
    /// may have acted on (`x-jelou-idempotent` in the spec), every error envelope decoded into
    /// [`Error`], the logic error a successful status can carry (`x-jelou-logic-error`), and
    /// a tracing span named after the operation.
    ///
    /// ```no_run
    /// # async fn example(jelou: &jelou_ext::Jelou) -> Result<(), jelou_ext::Error> {
    /// let user = jelou.send(jelou.raw().user_get().id("5b7ff847cc3c3fb33c9249a8")).await?;
    /// println!("{} conversations", user.conversations.len());
    /// # Ok(()) }
    /// ```
    // Boxed, so that the future is `Send` for every lifetime a caller's stream may need.
    pub fn send<'a, C: Call<'a>>(&'a self, call: C) -> BoxFuture<'a, Result<C::Output, Error>> {
        Box::pin(async move { Ok(self.send_recorded(call).await?.0) })
    }

    /// [`Self::send`], keeping what the call learned on its way (the URL it asked for).
    pub(crate) fn send_recorded<'a, C: Call<'a>>(
        &'a self,
        call: C,
    ) -> BoxFuture<'a, Result<Recorded<C::Output>, Error>> {
        Box::pin(async move {
            let operation = C::operation();
            let (value, state) = self.run(operation.id, call.send()).await?;
            check_logic_error(operation.logic_error, &state)?;
            Ok((value, state))
        })
    }

    /// Sends the operation named `operation_id` with its parameters and body given as JSON
    /// ([`JsonRequest`]), with everything [`Self::send`] adds, and returns the answer's JSON.
    /// For tools that know operations by name; in code, [`Self::send`] gives typed answers.
    ///
    /// ```no_run
    /// # async fn example(jelou: &jelou_ext::Jelou) -> Result<(), jelou_ext::Error> {
    /// use jelou_ext::JsonRequest;
    /// let page = jelou
    ///     .send_json("history_list", JsonRequest::new().path("botId", "my-bot").query("limit", "5").query("page", "1"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_json(
        &self,
        operation_id: &str,
        request: JsonRequest,
    ) -> Result<Value, Error> {
        Ok(self.send_json_recorded(operation_id, request).await?.0)
    }

    /// [`Self::send_json`], with the URL the request went to.
    async fn send_json_recorded(
        &self,
        operation_id: &str,
        request: JsonRequest,
    ) -> Result<(Value, Option<reqwest::Url>), Error> {
        let operation = jelou_client::operation_spec(operation_id).ok_or_else(|| {
            Error::Validation(ValidationError::new(
                "operation",
                "an operationId of the spec",
                format!("{operation_id:?}"),
            ))
        })?;
        let (value, state) = self
            .run(operation.id, self.raw().send_json(operation, request))
            .await?;
        check_logic_error(operation.logic_error, &state)?;
        Ok((value, state.record(|r| r.url.clone())))
    }

    /// Every page of the list operation named `operation_id`, as JSON, from the page
    /// `request` asks for on: [`Self::pages`] for tools that know operations by name.
    pub fn pages_json<'a>(
        &'a self,
        operation_id: &'a str,
        request: JsonRequest,
    ) -> impl Stream<Item = Result<Value, Error>> + Send + 'a {
        // An unknown operation has no paging; its first call says why it cannot be sent.
        let pagination = jelou_client::operation_spec(operation_id).and_then(|op| op.pagination);
        stream::try_unfold(Some(request), move |next| async move {
            let Some(request) = next else {
                return Ok::<_, Error>(None);
            };
            let (page, url) = self
                .send_json_recorded(operation_id, request.clone())
                .await?;
            let next = pagination.and_then(|pagination| {
                next_page(pagination, &page, url.as_ref())
                    .map(|token| at_page(request, pagination, &token))
            });
            Ok(Some((page, next)))
        })
    }

    /// Every page of a list operation, from the page `call` asks for on, following the
    /// paging the spec describes (`x-jelou-pagination`): numbered pages up to the answer's
    /// count of pages, or a cursor taken from the last item until a page comes back short.
    ///
    /// ```no_run
    /// # async fn example(jelou: &jelou_ext::Jelou) -> Result<(), jelou_ext::Error> {
    /// use futures_util::TryStreamExt;
    /// let call = jelou.raw().history_list().bot_id("my-bot").limit(50u32).page(1u32);
    /// let pages: Vec<_> = jelou.pages(call).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn pages<'a, C: PagedCall<'a>>(
        &'a self,
        call: C,
    ) -> impl Stream<Item = Result<C::Output, Error>> + Send + 'a {
        stream::try_unfold(Some(call), move |next| async move {
            let Some(call) = next else {
                return Ok::<_, Error>(None);
            };
            let (page, state) = self.send_recorded(call.clone()).await?;
            let next = match C::operation().pagination {
                Some(pagination) => {
                    let answer = serde_json::to_value(&page).unwrap_or(Value::Null);
                    let url = state.record(|r| r.url.clone());
                    next_page(pagination, &answer, url.as_ref()).and_then(|token| call.at(&token))
                }
                None => None,
            };
            Ok(Some((page, next)))
        })
    }
}

/// The operation's logic error, when its rule finds it in the successful answer's raw body.
fn check_logic_error(rule: Option<LogicError>, state: &CallState) -> Result<(), Error> {
    let Some(rule) = rule else {
        return Ok(());
    };
    let (status, body) = state.record(|r| (r.status, r.body.clone()));
    if is_logic_error(rule, &body) {
        return Err(Error::Api(Box::new(ApiError::logic_failure(
            status.unwrap_or(reqwest::StatusCode::OK),
            &body,
        ))));
    }
    Ok(())
}

/// Whether a successful answer's raw body is the operation's logic error.
///
/// With `exact_shape`, the body must be exactly `field` and a `message` list of strings: where
/// the answer is otherwise free-form data (a user's cache), a key of the same name alone
/// cannot tell. The one ambiguity left is data holding exactly those two keys with such
/// values; it reads as the error.
pub(crate) fn is_logic_error(rule: LogicError, body: &[u8]) -> bool {
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    if answer.get(rule.field).and_then(Value::as_str) != Some(rule.value) {
        return false;
    }
    if !rule.exact_shape {
        return true;
    }
    let message_is_a_list_of_text = answer
        .get("message")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().all(Value::is_string));
    answer.len() == 2 && message_is_a_list_of_text
}

/// The query value `name` of `url`.
fn query_value(url: Option<&reqwest::Url>, name: &str) -> Option<String> {
    url?.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Where the page after `answer` starts, or `None` when `answer` is the last page.
///
/// `url` is the request that `answer` answered: the page number and the page size it asked
/// for are read from it.
pub(crate) fn next_page(
    pagination: Pagination,
    answer: &Value,
    url: Option<&reqwest::Url>,
) -> Option<PageToken> {
    match pagination {
        Pagination::Page {
            parameter,
            items,
            total_pages,
        } => {
            let count = answer.pointer(items)?.as_array()?.len();
            let page: u64 = query_value(url, parameter)
                .and_then(|page| page.parse().ok())
                .unwrap_or(1);
            let total = answer.pointer(total_pages)?.as_u64()?;
            (count > 0 && page < total)
                .then(|| u32::try_from(page + 1).ok().map(PageToken::Page))
                .flatten()
        }
        Pagination::Cursor {
            parameter,
            items,
            cursor_field,
            size_parameter,
            default_size,
            ..
        } => {
            let items = answer.pointer(items)?.as_array()?;
            let size: u64 = query_value(url, size_parameter)
                .and_then(|size| size.parse().ok())
                .unwrap_or(default_size);
            if (items.len() as u64) < size.max(1) {
                return None;
            }
            let cursor = match items.last()?.get(cursor_field)? {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                _ => return None,
            };
            // A server that hands back the cursor it was given would loop forever.
            (query_value(url, parameter).as_deref() != Some(cursor.as_str()))
                .then_some(PageToken::Cursor(cursor))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(operation: &str) -> LogicError {
        jelou_client::operation_spec(operation)
            .and_then(|op| op.logic_error)
            .expect("the spec gives the operation a logic error")
    }

    fn paging(operation: &str) -> Pagination {
        jelou_client::operation_spec(operation)
            .and_then(|op| op.pagination)
            .expect("the spec pages the operation")
    }

    fn url(text: &str) -> reqwest::Url {
        text.parse().expect("url")
    }

    #[test]
    fn only_the_errors_whole_shape_is_the_caches_logic_error() {
        let exact = rule("cache_get");
        for error in [
            json!({"status": "failed", "message": ["Could not get the user's cache."]}),
            json!({"status": "failed", "message": []}),
        ] {
            assert!(
                is_logic_error(exact, error.to_string().as_bytes()),
                "{error}"
            );
        }
        for cache in [
            json!({"status": "failed"}),
            json!({"status": "failed", "message": "payment declined"}),
            json!({"status": "failed", "orderNumber": "ORD-12345"}),
            json!({"status": "failed", "message": ["m"], "orderNumber": "ORD-12345"}),
            json!({"status": "failed", "message": [1, 2]}),
            json!({"status": "failed", "message": {"text": "m"}}),
            json!({"status": "FAILED", "message": ["m"]}),
            json!({"status": "paid", "message": ["m"]}),
            json!({"message": ["m"], "statusText": "failed"}),
            json!({}),
            json!(["status", "failed"]),
        ] {
            assert!(
                !is_logic_error(exact, cache.to_string().as_bytes()),
                "{cache}"
            );
        }
        assert!(!is_logic_error(exact, b"not json"));
    }

    #[test]
    fn a_writes_status_failed_is_its_logic_error_whatever_else_it_holds() {
        let any = rule("cache_set");
        assert!(is_logic_error(
            any,
            br#"{"status":"failed","message":["m"],"x":1}"#
        ));
        assert!(is_logic_error(any, br#"{"status":"failed"}"#));
        assert!(!is_logic_error(any, br#"{"status":"success"}"#));
    }

    #[test]
    fn numbered_pages_end_at_the_count_of_pages_or_an_empty_page() {
        let pages = paging("history_list");
        let answer = |items: usize, total: u64| json!({"results": vec![json!({}); items], "pagination": {"totalPages": total}});
        let at = |page: u32| url(&format!("http://h/x?limit=2&page={page}"));
        assert_eq!(
            next_page(pages, &answer(2, 3), Some(&at(1))),
            Some(PageToken::Page(2))
        );
        assert_eq!(next_page(pages, &answer(2, 3), Some(&at(3))), None);
        assert_eq!(next_page(pages, &answer(0, 9), Some(&at(1))), None);
        assert_eq!(
            next_page(pages, &json!({"results": []}), Some(&at(1))),
            None
        );
    }

    #[test]
    fn a_cursor_follows_the_last_item_until_a_short_page() {
        let cursor = paging("user_list");
        let answer = |ids: &[&str]| json!({"data": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()});
        let asked = url("http://h/users?limit=2");
        assert_eq!(
            next_page(cursor, &answer(&["a", "b"]), Some(&asked)),
            Some(PageToken::Cursor("b".into()))
        );
        assert_eq!(next_page(cursor, &answer(&["a"]), Some(&asked)), None);
        // Without a limit the documented default size (40) applies.
        assert_eq!(next_page(cursor, &answer(&["a", "b"]), None), None);
        // A cursor that does not move ends the stream.
        let again = url("http://h/users?limit=2&after=b");
        assert_eq!(next_page(cursor, &answer(&["a", "b"]), Some(&again)), None);
    }
}
