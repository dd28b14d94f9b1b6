//! Every refusal the sandbox answers with, in the shapes the documentation shows: the bare
//! 401, and the envelope (`message`, `statusMessage`, `status`, `error`, `validationError`).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A message in the three languages of the documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Localized {
    pub(crate) es: String,
    pub(crate) en: String,
    pub(crate) pt: String,
}

impl Localized {
    fn to_json(&self) -> Value {
        json!({"es": self.es, "en": self.en, "pt": self.pt})
    }
}

/// Why a request was refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Missing or wrong credentials: the bare 401 of page 004.
    Unauthenticated,
    /// `E1019 BOT_NOT_FOUND` (page 004).
    BotNotFound,
    /// A user id that does not exist (page 000 lists "404 - User or bot not found").
    UserNotFound,
    /// A path the API does not have.
    NoSuchPath,
    /// A resource the path names that does not exist (a database, a row): the pages document
    /// the 404 without a body, so the sandbox answers its own not-found envelope.
    NotFound(&'static str),
    /// A path the API has, with a method it does not take there; the methods it takes.
    WrongMethod(Vec<&'static str>),
    /// `E0422 VALIDATOR_ERROR` (page 004), with the messages about each invalid field.
    Invalid(BTreeMap<String, Vec<Localized>>),
    /// More than five requests in a second for one account (page 001).
    TooManyRequests { retry_after: Duration },
    /// A body larger than the sandbox accepts.
    TooLarge,
}

impl Refusal {
    /// One invalid field, with the same explanation in three languages.
    pub(crate) fn invalid(field: &str, es: String, en: String, pt: String) -> Self {
        Self::Invalid(BTreeMap::from([(
            field.to_owned(),
            vec![Localized { es, en, pt }],
        )]))
    }

    /// A rule of the spec that the request breaks, named as the SDK names it.
    pub(crate) fn broken(rule: &jelou_client::check::BrokenRule) -> Self {
        let (field, limit, value) = (&rule.field, &rule.limit, &rule.value);
        Self::invalid(
            field,
            format!("el campo {field} no cumple la regla «{limit}»: {value}"),
            format!("the {field} field must be {limit}, got {value}"),
            format!("o campo {field} não cumpre a regra «{limit}»: {value}"),
        )
    }

    /// One field that must be a date, worded as in page 004's example.
    pub(crate) fn not_a_date(field: &str) -> Self {
        Self::invalid(
            field,
            format!("el campo {field} debe ser una fecha"),
            format!("the {field} field must be a Date"),
            format!("o campo {field} deve ser uma data"),
        )
    }

    /// One field that breaks a rule, given in English (`must be at least 1`) with its
    /// Spanish and Portuguese equivalents.
    pub(crate) fn field_rule(field: &str, es: &str, en: &str, pt: &str) -> Self {
        Self::invalid(
            field,
            format!("el campo {field} {es}"),
            format!("the {field} field {en}"),
            format!("o campo {field} {pt}"),
        )
    }
}

fn envelope(
    message_en: &str,
    code: &str,
    key: &str,
    description: &str,
    developer: Localized,
    client: Localized,
) -> Value {
    json!({
        "message": [message_en],
        "statusMessage": "failed",
        "status": 0,
        "error": {
            "code": code,
            "key": key,
            "description": description,
            "developerMessages": developer.to_json(),
            "clientMessages": client.to_json(),
        }
    })
}

fn localized(es: &str, en: &str, pt: &str) -> Localized {
    Localized {
        es: es.to_owned(),
        en: en.to_owned(),
        pt: pt.to_owned(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, body, retry_after) = match self {
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                json!({"message": "Authentication failed"}),
                None,
            ),
            Self::BotNotFound => (
                StatusCode::NOT_FOUND,
                envelope(
                    "The Bot could not be found at the moment.",
                    "E1019",
                    "BOT_NOT_FOUND",
                    "Error to be thrown when trying to get a Bot.",
                    localized(
                        "El botId no se encuentra en la base de datos o ha sido eliminado.",
                        "The botId is not found in the database or has been deleted.",
                        "A botId não é encontrada no banco de dados ou foi apagada.",
                    ),
                    localized(
                        "El Bot no se pudo encontrar por el momento.",
                        "The Bot could not be found at the moment.",
                        "A Bot não pôde ser encontrada no momento.",
                    ),
                ),
                None,
            ),
            Self::UserNotFound => (
                StatusCode::NOT_FOUND,
                envelope(
                    "The User could not be found at the moment.",
                    "E1020",
                    "USER_NOT_FOUND",
                    "Error to be thrown when trying to get a User.",
                    localized(
                        "El id del usuario no se encuentra en la base de datos.",
                        "The user id is not found in the database.",
                        "O id do usuário não é encontrado no banco de dados.",
                    ),
                    localized(
                        "El Usuario no se pudo encontrar por el momento.",
                        "The User could not be found at the moment.",
                        "O Usuário não pôde ser encontrado no momento.",
                    ),
                ),
                None,
            ),
            Self::NoSuchPath => (
                StatusCode::NOT_FOUND,
                envelope(
                    "The requested resource does not exist.",
                    "E0404",
                    "NOT_FOUND",
                    "Error to be thrown when the path or method is not part of the API.",
                    localized(
                        "La ruta o el método no existen en el API.",
                        "The path or method is not part of the API.",
                        "O caminho ou método não existe na API.",
                    ),
                    localized(
                        "El recurso solicitado no existe.",
                        "The requested resource does not exist.",
                        "O recurso solicitado não existe.",
                    ),
                ),
                None,
            ),
            Self::NotFound(what) => (
                StatusCode::NOT_FOUND,
                envelope(
                    &format!("The {what} could not be found."),
                    "E0404",
                    "NOT_FOUND",
                    "Error to be thrown when the resource the path names does not exist.",
                    localized(
                        "El recurso no existe o fue eliminado.",
                        "The resource does not exist or was deleted.",
                        "O recurso não existe ou foi apagado.",
                    ),
                    localized(
                        "El recurso solicitado no existe.",
                        "The requested resource does not exist.",
                        "O recurso solicitado não existe.",
                    ),
                ),
                None,
            ),
            Self::WrongMethod(allowed) => {
                let mut response = (
                    StatusCode::METHOD_NOT_ALLOWED,
                    axum::Json(envelope(
                        "The requested method is not allowed on this resource.",
                        "E0405",
                        "METHOD_NOT_ALLOWED",
                        "Error to be thrown when the path does not take the method.",
                        localized(
                            "La ruta existe pero no acepta ese método.",
                            "The path exists but does not take that method.",
                            "O caminho existe mas não aceita esse método.",
                        ),
                        localized(
                            "El método solicitado no está permitido.",
                            "The requested method is not allowed.",
                            "O método solicitado não é permitido.",
                        ),
                    )),
                )
                    .into_response();
                if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
                return response;
            }
            Self::Invalid(fields) => {
                let mut body = envelope(
                    "The values entered are not correct.",
                    "E0422",
                    "VALIDATOR_ERROR",
                    "Error to be thrown when cannot process request because of incoming values",
                    localized(
                        "Los valores del request no son correctos para ser procesados.",
                        "The request values are not correct for processing.",
                        "Os valores do request não estão corretos para serem processados.",
                    ),
                    localized(
                        "Los valores ingresados no son correctos.",
                        "The values entered are not correct.",
                        "Os valores inseridos não estão corretos.",
                    ),
                );
                body["validationError"] = fields
                    .into_iter()
                    .map(|(field, messages)| {
                        (field, messages.iter().map(Localized::to_json).collect())
                    })
                    .collect::<serde_json::Map<String, Value>>()
                    .into();
                (StatusCode::UNPROCESSABLE_ENTITY, body, None)
            }
            Self::TooManyRequests { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                envelope(
                    "Too many requests, please slow down.",
                    "E0429",
                    "TOO_MANY_REQUESTS",
                    "Error to be thrown when an account sends more than five requests per second",
                    localized(
                        "La cuenta superó las cinco solicitudes por segundo.",
                        "The account went over five requests per second.",
                        "A conta ultrapassou cinco solicitações por segundo.",
                    ),
                    localized(
                        "Demasiadas solicitudes, intenta en un momento.",
                        "Too many requests, please slow down.",
                        "Muitas solicitações, tente novamente em instantes.",
                    ),
                ),
                // Whole seconds, rounded up, never zero.
                Some(retry_after.as_millis().div_ceil(1000).max(1)),
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                envelope(
                    "The request body is too large.",
                    "E0413",
                    "PAYLOAD_TOO_LARGE",
                    "Error to be thrown when the request body is larger than accepted",
                    localized(
                        "El cuerpo del request es demasiado grande.",
                        "The request body is too large.",
                        "O corpo do request é grande demais.",
                    ),
                    localized(
                        "La solicitud es demasiado grande.",
                        "The request is too large.",
                        "A solicitação é grande demais.",
                    ),
                ),
                None,
            ),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
