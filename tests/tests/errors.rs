//! Every documented error, through both clients: the generated client's `ErrorResponse` and
//! `jelou-ext`'s `ApiError` decode the same fields, keep the status, and `jelou-ext` keeps the
//! raw body. Writes are used where a 5XX must not be retried, so each case is one request.

use httpmock::{Mock, MockServer};
use jelou_client::types;
use jelou_client_httpmock::MockServerExt;
use jelou_conformance::exchanges::BOT_ID;
use jelou_conformance::{
    ext_client, fixture, generated_client, generated_history, generated_send, spec_yaml,
};
use jelou_ext::{Error, HistoryQuery, Language, Message};
use serde_json::{Value, json};

/// Page 001's table: code, status, description.
const PAGE_001_ERRORS: [(&str, u16, &str); 7] = [
    ("bot_not_found", 404, "Bot is not assigned to your company"),
    (
        "forbidden_bot",
        403,
        "Bot is not allowed to be used by your company",
    ),
    (
        "message_could_not_be_send",
        400,
        "Message failed to be send because of bad request",
    ),
    (
        "notification_could_not_be_send",
        400,
        "Notification failed to be send because of bad request",
    ),
    (
        "unauthorized",
        401,
        "Authorization is not allowed for this request",
    ),
    (
        "unprocessable_entity",
        422,
        "Missing or bad field to process request",
    ),
    (
        "internal_server_error",
        500,
        "Authorization company token doesn't have a company assigned",
    ),
];

async fn generated_send_error(server: &MockServer) -> jelou_client::Error<types::ApiError> {
    generated_send(&server.base_url())
        .await
        .expect_err("an error answer")
}

async fn ext_send(server: &MockServer) -> Error {
    let (jelou, _) = ext_client(&server.base_url());
    jelou
        .send_message(BOT_ID, &Message::text("USER_ID", "hola"))
        .await
        .expect_err("an error answer")
}

async fn generated_history_error(server: &MockServer) -> jelou_client::Error<types::ApiError> {
    generated_history(&server.base_url())
        .await
        .expect_err("an error answer")
}

async fn ext_history(server: &MockServer) -> Error {
    let (jelou, _) = ext_client(&server.base_url());
    jelou
        .history_page(BOT_ID, &HistoryQuery::default())
        .await
        .expect_err("an error answer")
}

/// The decoded body of the generated client's error, which must be an `ErrorResponse`.
fn decoded(error: jelou_client::Error<types::ApiError>, status: u16) -> types::ApiError {
    match error {
        jelou_client::Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), status);
            response.into_inner()
        }
        other => panic!("expected the decoded {status} answer, got {other:?}"),
    }
}

/// `jelou-ext`'s decoded error, which must be `Api` with `status` and the exact raw body.
fn api(error: &Error, status: u16, raw: &Value) -> jelou_ext::ApiError {
    let Error::Api(api) = error else {
        panic!("expected Error::Api for {status}, got {error:?}");
    };
    assert_eq!(api.status().as_u16(), status);
    let kept: Value = serde_json::from_slice(api.raw_body()).expect("the raw body is kept");
    assert_eq!(&kept, raw);
    (**api).clone()
}

fn history_error_mock<'a>(server: &'a MockServer, status: u16, body: &Value) -> Mock<'a> {
    let body: types::ApiError = serde_json::from_value(body.clone()).expect("documented shape");
    server.history_list(|when, then| {
        when.bot_id(BOT_ID);
        if status >= 500 {
            then.server_error(status, &body);
        } else {
            then.client_error(status, &body);
        }
    })
}

#[test]
fn the_table_matches_the_spec() {
    let spec = spec_yaml();
    let codes = &spec["components"]["schemas"]["ApiError"]["x-jelou-error-codes"];
    let in_spec: Vec<(String, u64)> = codes
        .as_mapping()
        .expect("x-jelou-error-codes is a map")
        .iter()
        .map(|(code, status)| {
            (
                code.as_str().expect("code").to_owned(),
                status.as_u64().expect("status"),
            )
        })
        .collect();
    let here: Vec<(String, u64)> = PAGE_001_ERRORS
        .iter()
        .map(|(code, status, _)| ((*code).to_owned(), u64::from(*status)))
        .collect();
    assert_eq!(in_spec, here);
}

#[tokio::test]
async fn page_001s_seven_errors_decode_with_their_status_in_both_clients() {
    for (code, status, description) in PAGE_001_ERRORS {
        let server = MockServer::start_async().await;
        let body = json!({"code": code, "description": description});
        let mock = server.mock(|when, then| {
            when.method("POST").path("/v1/bots/BOT_ID/messages");
            then.status(status).json_body(body.clone());
        });

        let generated = decoded(generated_send_error(&server).await, status);
        assert_eq!(generated.code.as_deref(), Some(code));
        assert_eq!(generated.description.as_deref(), Some(description));

        let error = ext_send(&server).await;
        let api = api(&error, status, &body);
        assert_eq!(api.code(), Some(code), "{code}");
        assert_eq!(api.description(), Some(description));
        assert!(!api.is_logic_failure());
        assert!(error.to_string().contains(code), "{error}");
        // A write is never repeated, whatever the status: one request per client.
        mock.assert_calls_async(2).await;
    }
}

#[tokio::test]
async fn e1019_bot_not_found_decodes_in_three_languages() {
    let server = MockServer::start_async().await;
    let body = fixture("history_list.404.json");
    let mock = history_error_mock(&server, 404, &body);

    let generated = decoded(generated_history_error(&server).await, 404);
    let detail = generated.error.as_ref().expect("envelope error");
    assert_eq!(detail.code.as_deref(), Some("E1019"));
    assert_eq!(detail.key.as_deref(), Some("BOT_NOT_FOUND"));
    let developer = detail.developer_messages.as_ref().expect("developer");
    assert_eq!(
        developer.pt.as_deref(),
        Some("A botId não é encontrada no banco de dados ou foi apagada.")
    );
    assert_eq!(generated.status_message.as_deref(), Some("failed"));
    assert_eq!(generated.status, Some(json!(0)));

    let api = api(&ext_history(&server).await, 404, &body);
    assert_eq!(api.code(), Some("E1019"));
    assert_eq!(api.key(), Some("BOT_NOT_FOUND"));
    assert_eq!(
        api.description(),
        Some("Error to be thrown when trying to get a Bot.")
    );
    assert_eq!(
        api.messages(),
        vec!["The Bot could not be found at the moment."]
    );
    assert_eq!(
        api.client_message(Language::Spanish),
        Some("El Bot no se pudo encontrar por el momento.")
    );
    assert_eq!(
        api.client_message(Language::English),
        Some("The Bot could not be found at the moment.")
    );
    assert_eq!(
        api.client_message(Language::Portuguese),
        Some("A Bot não pôde ser encontrada no momento.")
    );
    assert_eq!(
        api.developer_message(Language::English),
        Some("The botId is not found in the database or has been deleted.")
    );
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn e0422_validator_error_names_each_field_in_three_languages() {
    let server = MockServer::start_async().await;
    let body = fixture("history_list.422.json");
    let mock = history_error_mock(&server, 422, &body);

    let generated = decoded(generated_history_error(&server).await, 422);
    let detail = generated.error.as_ref().expect("envelope error");
    assert_eq!(detail.code.as_deref(), Some("E0422"));
    assert_eq!(detail.key.as_deref(), Some("VALIDATOR_ERROR"));
    let start_at = &generated.validation_error["startAt"];
    assert_eq!(start_at.len(), 1);
    assert_eq!(
        start_at[0].pt.as_deref(),
        Some("o campo startAt deve ser uma data")
    );

    let api = api(&ext_history(&server).await, 422, &body);
    assert_eq!(
        (api.code(), api.key()),
        (Some("E0422"), Some("VALIDATOR_ERROR"))
    );
    let fields: Vec<&String> = api.validation_errors().expect("fields").keys().collect();
    assert_eq!(fields, ["startAt"]);
    for (language, expected) in [
        (Language::Spanish, "el campo startAt debe ser una fecha"),
        (Language::English, "the startAt field must be a Date"),
        (Language::Portuguese, "o campo startAt deve ser uma data"),
    ] {
        assert_eq!(api.field_messages("startAt", language), vec![expected]);
    }
    // The envelope has no Portuguese client message: English is the fallback.
    assert_eq!(
        api.client_message(Language::Portuguese),
        Some("The values entered are not correct.")
    );
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn e0000_unknown_error_is_decoded_after_the_reads_retries() {
    let server = MockServer::start_async().await;
    let body = fixture("history_list.500.json");
    let mock = history_error_mock(&server, 500, &body);

    let generated = decoded(generated_history_error(&server).await, 500);
    let detail = generated.error.as_ref().expect("envelope error");
    assert_eq!(
        (detail.code.as_deref(), detail.key.as_deref()),
        (Some("E0000"), Some("UNKNOWN_ERROR"))
    );
    mock.assert_calls_async(1).await;

    // A read is retried on 500: the first attempt and three retries, then the decoded error.
    let error = ext_history(&server).await;
    assert_eq!(error.attempts(), 4, "{error:?}");
    let api = api(&error, 500, &body);
    assert_eq!(
        (api.code(), api.key()),
        (Some("E0000"), Some("UNKNOWN_ERROR"))
    );
    assert_eq!(
        api.client_message(Language::Spanish),
        Some("Estamos teniendo problemas procesando la solicitud. Por favor intenta mas tarde.")
    );
    assert_eq!(
        error.api().map(jelou_ext::ApiError::code),
        Some(Some("E0000"))
    );
    mock.assert_calls_async(5).await;
}

#[tokio::test]
async fn a_bare_401_keeps_its_one_message_and_is_not_retried() {
    let server = MockServer::start_async().await;
    let body = fixture("history_list.401.json");
    let mock = history_error_mock(&server, 401, &body);

    let generated = decoded(generated_history_error(&server).await, 401);
    assert_eq!(
        generated.message,
        Some(types::ApiErrorMessage::String(
            "Authentication failed".into()
        ))
    );

    let error = ext_history(&server).await;
    let api = api(&error, 401, &body);
    assert_eq!(api.messages(), vec!["Authentication failed"]);
    assert_eq!((api.code(), api.key()), (None, None));
    assert_eq!(api.summary(), "Authentication failed");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn the_caches_200_with_status_failed_is_an_error_in_jelou_ext() {
    let server = MockServer::start_async().await;
    let body = json!({"status": "failed", "message": ["Could not get the user's cache."]});
    let read = server.mock(|when, then| {
        when.method("GET").path("/v1/users/593987654321/cache");
        then.status(200).json_body(body.clone());
    });
    let write = server.mock(|when, then| {
        when.method("POST").path("/v1/users/593987654321/cache");
        then.status(200).json_body(body.clone());
    });

    // The generated client cannot know: it hands back the answer as it came.
    let cache = generated_client(&server.base_url())
        .cache_get()
        .user_id("593987654321")
        .send()
        .await
        .expect("a 200 decodes")
        .into_inner();
    assert_eq!(cache.get("status"), Some(&json!("failed")));

    let (jelou, _) = ext_client(&server.base_url());
    let error = jelou
        .get_cache("593987654321", None)
        .await
        .expect_err("status failed is the documented logic error");
    let api = api(&error, 200, &body);
    assert!(api.is_logic_failure());
    assert_eq!(api.messages(), vec!["Could not get the user's cache."]);

    let error = jelou
        .set_cache("593987654321", "bot-12345", serde_json::Map::new())
        .await
        .expect_err("status failed is the documented logic error");
    assert!(api_of(&error).is_logic_failure());
    read.assert_calls_async(2).await;
    write.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_cache_that_keeps_a_status_of_failed_is_data_not_an_error() {
    let server = MockServer::start_async().await;
    let cache = json!({"status": "failed", "orderNumber": "ORD-12345", "message": "declined"});
    let read = server.mock(|when, then| {
        when.method("GET").path("/v1/users/593987654321/cache");
        then.status(200).json_body(cache.clone());
    });
    let (jelou, _) = ext_client(&server.base_url());

    let read_back = jelou
        .get_cache("593987654321", None)
        .await
        .expect("a cache is data, whatever its keys hold");
    assert_eq!(serde_json::Value::Object(read_back), cache);
    read.assert_calls_async(1).await;
}

fn api_of(error: &Error) -> &jelou_ext::ApiError {
    error
        .api()
        .unwrap_or_else(|| panic!("expected an API error, got {error:?}"))
}
