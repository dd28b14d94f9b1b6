//! What a failed attempt's `reqwest::Error` means for the call: the one place where transport
//! errors are classified, and where their causes are read.

use std::error::Error as StdError;

use crate::retry::AttemptOutcome;

/// What kind of transport failure `error` is.
///
/// A TLS failure (an untrusted certificate, a failed handshake) is told apart from other
/// connection failures: it cannot heal by retrying.
pub(crate) fn classify(error: &reqwest::Error) -> AttemptOutcome {
    if is_tls(error) {
        AttemptOutcome::TlsFailed
    } else if error.is_connect() {
        AttemptOutcome::NotConnected
    } else if error.is_timeout() {
        AttemptOutcome::TimedOut
    } else {
        AttemptOutcome::ConnectionLost
    }
}

/// Whether a TLS error (rustls's) is anywhere in `error`'s causes.
fn is_tls(error: &(dyn StdError + 'static)) -> bool {
    causes(error).any(|cause| cause.is::<rustls::Error>())
}

/// `error` and every cause below it, outermost first.
///
/// An `std::io::Error` that wraps an error hands out that error's *source*, skipping the
/// wrapped error itself (rustls's errors travel wrapped so); it is put back in the chain here.
pub(crate) fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(error);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => None,
            },
            None => current.source(),
        };
        Some(current)
    })
}

/// The innermost cause of `error`: what actually went wrong ("Connection refused (os error
/// 111)", "invalid peer certificate: UnknownIssuer"), without the layers around it.
pub(crate) fn root_cause(error: &(dyn StdError + 'static)) -> String {
    causes(error)
        .last()
        .map_or_else(|| error.to_string(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<dyn StdError + Send + Sync>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn the_chain_goes_through_io_errors_to_what_they_wrap() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = Layer("client error (Connect)", Some(Box::new(io)));
        let shown: Vec<String> = causes(&outer).map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "client error (Connect)",
                "invalid peer certificate: UnknownIssuer",
                "invalid peer certificate: UnknownIssuer",
            ]
        );
        assert!(is_tls(&outer));
        assert_eq!(
            root_cause(&outer),
            "invalid peer certificate: UnknownIssuer"
        );
    }

    #[test]
    fn a_chain_without_rustls_is_not_tls() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let outer = Layer("tcp connect error", Some(Box::new(refused)));
        assert!(!is_tls(&outer));
        assert_eq!(root_cause(&outer), "connection refused");
        let alone = Layer("alone", None);
        assert_eq!(causes(&alone).count(), 1);
    }
}
