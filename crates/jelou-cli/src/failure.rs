//! How a command fails, and the exit status each failure gets.

use std::fmt;

use jelou_ext::Error;

/// Success.
pub(crate) const EXIT_OK: u8 = 0;
/// Bad usage, or input rejected before anything was sent.
pub(crate) const EXIT_USAGE: u8 = 2;
/// The API answered with an error.
pub(crate) const EXIT_API: u8 = 3;
/// A transport failure, a timeout, or retries exhausted.
pub(crate) const EXIT_TRANSPORT: u8 = 4;

/// A failed command: what to print on stderr and the exit status.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: u8,
    pub(crate) message: String,
    /// Why it happened, outermost first: printed as `caused by:` lines.
    pub(crate) causes: Vec<String>,
}

impl Failure {
    /// Bad usage or input, found before anything was sent.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            status: EXIT_USAGE,
            message: message.into(),
            causes: Vec::new(),
        }
    }

    /// Something failed on this side after the input was accepted (writing a file, say).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            status: EXIT_TRANSPORT,
            message: message.into(),
            causes: Vec::new(),
        }
    }
}

impl fmt::Display for Failure {
    /// The message, then one `caused by:` line per cause, as the command prints it after
    /// `error: `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for cause in &self.causes {
            write!(f, "\ncaused by: {cause}")?;
        }
        Ok(())
    }
}

/// The text of each cause of `error`, a cause that only repeats the one before it left out.
fn cause_lines(error: &Error) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for cause in error.causes() {
        let text = cause.to_string();
        if lines.last() != Some(&text) {
            lines.push(text);
        }
    }
    lines
}

/// The exit status for a failed call.
pub(crate) fn exit_status(error: &Error) -> u8 {
    match error {
        Error::Validation(_) | Error::Config(_) => EXIT_USAGE,
        Error::Api(_) => EXIT_API,
        _ => EXIT_TRANSPORT,
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let message = match &error {
            Error::Api(api) => {
                let mut parts = vec![format!("the API answered {}", api.status())];
                if let Some(code) = api.code() {
                    parts.push(format!("code {code}"));
                }
                if let Some(key) = api.key() {
                    parts.push(format!("key {key}"));
                }
                let mut message = parts.join(", ");
                message.push_str(": ");
                message.push_str(&api.summary());
                if api.attempts() > 1 {
                    message.push_str(&format!(" (after {} attempts)", api.attempts()));
                }
                for (field, messages) in api.validation_errors().into_iter().flatten() {
                    for localized in messages {
                        if let Some(text) = localized.en.as_deref().or(localized.es.as_deref()) {
                            message.push_str(&format!("\n  {field}: {text}"));
                        }
                    }
                }
                message
            }
            other => other.to_string(),
        };
        let mut causes = cause_lines(&error);
        // A validation error's message already ends with its cause's text (the field, the
        // limit and the value): it is not printed twice.
        if matches!(error, Error::Validation(_))
            && causes
                .first()
                .is_some_and(|first| message.ends_with(first.as_str()))
        {
            causes.remove(0);
        }
        Self {
            status: exit_status(&error),
            message,
            causes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_has_its_status() {
        let invalid = jelou_ext::ChatInput::new("short")
            .validate()
            .expect_err("too short");
        assert_eq!(exit_status(&Error::Validation(invalid)), EXIT_USAGE);
        assert_eq!(exit_status(&Error::Config("x".into())), EXIT_USAGE);
        let api = jelou_ext::ApiError::from_parts(
            reqwest_status(404),
            br#"{"code":"bot_not_found"}"#,
            None,
        );
        assert_eq!(exit_status(&Error::Api(Box::new(api))), EXIT_API);
        let timeout = Error::Timeout {
            after: std::time::Duration::from_secs(1),
            attempts: 4,
        };
        assert_eq!(exit_status(&timeout), EXIT_TRANSPORT);
        let no_limiter = Error::LimiterUnavailable {
            reason: "Redis at 127.0.0.1:6379 (db 0) is unreachable".into(),
            source: None,
        };
        assert_eq!(exit_status(&no_limiter), EXIT_TRANSPORT);
        assert_eq!(EXIT_OK, 0);
    }

    #[test]
    fn a_cause_the_message_ends_with_is_not_repeated() {
        let invalid = jelou_ext::ChatInput::new("short")
            .validate()
            .expect_err("too short");
        let failure = Failure::from(Error::Validation(invalid));
        assert!(failure.causes.is_empty(), "{failure}");
        assert_eq!(failure.to_string().lines().count(), 1, "{failure}");
    }

    fn reqwest_status(code: u16) -> jelou_ext::StatusCode {
        jelou_ext::StatusCode::from_u16(code).expect("a status")
    }
}
