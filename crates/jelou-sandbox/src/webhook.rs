//! Deliveries to the user's own service: each event the sandbox emits is signed as Jelou signs
//! (`X-Jelou-Signature`), posted to the configured URL, and retried with backoff until it is
//! answered 2xx, one event at a time, so that they arrive in the order they happened.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jelou_webhooks::{SIGNATURE_HEADER, SigningSecret};
use serde_json::Value;
use tokio::sync::mpsc;

/// Where the sandbox delivers its events, and how it signs them.
#[derive(Clone, Debug)]
pub struct WebhookTarget {
    url: String,
    secret: SigningSecret,
    attempts: u32,
    first_backoff: Duration,
    timeout: Duration,
}

impl WebhookTarget {
    /// Events posted to `url`, signed with `secret`. Each is tried up to 8 times, waiting
    /// 200 ms after the first failure and twice as long after each next one (at most 5 s),
    /// each attempt within 5 s.
    pub fn new(url: impl Into<String>, secret: SigningSecret) -> Self {
        Self {
            url: url.into(),
            secret,
            attempts: 8,
            first_backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
        }
    }

    /// The secret the deliveries are signed with.
    pub(crate) fn secret(&self) -> &SigningSecret {
        &self.secret
    }

    /// The wait after the `failures`-th failure.
    fn backoff(&self, failures: u32) -> Duration {
        self.first_backoff
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)))
            .min(Duration::from_secs(5))
    }
}

/// The events waiting to go out, and the one task that delivers them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outbox {
    target: Option<Arc<WebhookTarget>>,
    sender: Arc<OnceLock<mpsc::UnboundedSender<Value>>>,
}

impl Outbox {
    pub(crate) fn to(target: WebhookTarget) -> Self {
        Self {
            target: Some(Arc::new(target)),
            sender: Arc::default(),
        }
    }

    /// Queues `events` for delivery, in order. Without a target they are dropped. The
    /// delivering task starts with the first event, on the runtime that serves the sandbox.
    pub(crate) fn send(&self, events: Vec<Value>) {
        let Some(target) = &self.target else {
            return;
        };
        if events.is_empty() {
            return;
        }
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(deliver_all(Arc::clone(target), receiver));
            sender
        });
        for event in events {
            // The task ends only with the sandbox; a closed channel drops the event.
            let _ = sender.send(event);
        }
    }
}

async fn deliver_all(target: Arc<WebhookTarget>, mut events: mpsc::UnboundedReceiver<Value>) {
    let client = reqwest::Client::builder()
        .timeout(target.timeout)
        .build()
        .unwrap_or_default();
    while let Some(event) = events.recv().await {
        let body = event.to_string().into_bytes();
        let signature = target.secret.sign(&body);
        let id = event["event_id"].as_str().unwrap_or_default().to_owned();
        for attempt in 1..=target.attempts {
            let sent = client
                .post(&target.url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => break,
                outcome => {
                    let why = match outcome {
                        Ok(answer) => format!("answered {}", answer.status()),
                        Err(error) => error.to_string(),
                    };
                    if attempt == target.attempts {
                        eprintln!(
                            "sandbox: gave up delivering event {id} after {attempt} attempts: {why}"
                        );
                    } else {
                        tokio::time::sleep(target.backoff(attempt)).await;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_200_ms_up_to_5_s() {
        let target = WebhookTarget::new("http://x", SigningSecret::new("s").expect("not empty"));
        let waits: Vec<u128> = (1..=7).map(|n| target.backoff(n).as_millis()).collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 5000, 5000]);
    }
}
