//! Known answers computed outside Rust, and the refusals. Each digest below was printed by
//! `openssl dgst -sha256 -hmac SECRET FILE` (and checked with Python's `hmac`).

use jelou_webhooks::{SignatureError, SigningSecret, verify};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// (secret, body, hex HMAC-SHA256) from openssl.
fn known_answers() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        (
            "whsec_test",
            fixture("panel_message.json"),
            "dc147737f43493d30451d87169ec2ba3e2e362fd60aeb7b1852998c8af121d5e",
        ),
        (
            "whsec_test",
            fixture("widget_user_new.json"),
            "c2f4bb4a403905cda01c041d034dcf7f5883025c3d7d6ed10d6219d30b27b1b0",
        ),
        (
            "whsec_test",
            Vec::new(),
            "43c0f4d23c8e8841358fad4624b1a592799222b29f25bb59baea43cdcb522ed1",
        ),
        (
            "a much longer signing secret than the 64 bytes of a SHA-256 block, so HMAC hashes the key first",
            b"x".to_vec(),
            "e60ab7521246423f77f63cdeff3ca89e6d08dfde0914cfdf439c9fc7f1b4c7df",
        ),
    ]
}

#[test]
fn signatures_computed_by_openssl_verify_and_are_what_sign_produces() {
    for (secret, body, digest) in known_answers() {
        let header = format!("sha256={digest}");
        verify(secret.as_bytes(), &body, &header).unwrap_or_else(|e| panic!("{digest}: {e}"));
        let secret = SigningSecret::new(secret).expect("not empty");
        assert_eq!(secret.sign(&body), header);
        // Upper-case hex is the same digest.
        secret
            .verify(&body, &header.to_uppercase().replace("SHA256=", "sha256="))
            .expect("hex in either case");
    }
}

#[test]
fn a_changed_byte_another_secret_or_a_reencoded_body_does_not_verify() {
    let body = fixture("panel_message.json");
    let header = "sha256=dc147737f43493d30451d87169ec2ba3e2e362fd60aeb7b1852998c8af121d5e";
    let mut tampered = body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    assert_eq!(
        verify(b"whsec_test", &tampered, header),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(b"whsec_other", &body, header),
        Err(SignatureError::Mismatch)
    );
    // The same JSON written again (no spaces) is other bytes: what is verified is what came.
    let value: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let reencoded = serde_json::to_vec(&value).expect("JSON");
    assert_ne!(reencoded, body);
    assert_eq!(
        verify(b"whsec_test", &reencoded, header),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn only_the_documented_form_is_accepted_and_an_empty_secret_never() {
    let body = b"{}";
    let good = SigningSecret::new("s").expect("not empty").sign(body);
    let digest = good.trim_start_matches("sha256=");
    for malformed in [
        digest.to_owned(),                    // no prefix
        format!("sha1={digest}"),             // another algorithm
        format!("sha256={}", &digest[..63]),  // too short
        format!("sha256={digest}00"),         // too long
        format!("sha256={}g", &digest[..63]), // not hex
        "sha256=".to_owned(),
        String::new(),
        format!("sha256= {digest}"),
    ] {
        assert!(
            matches!(
                verify(b"s", body, &malformed),
                Err(SignatureError::Malformed(_))
            ),
            "{malformed:?}"
        );
    }
    assert_eq!(
        SigningSecret::new("").map(|_| ()),
        Err(SignatureError::EmptySecret)
    );
    assert_eq!(verify(b"", body, &good), Err(SignatureError::EmptySecret));
    assert_eq!(
        format!(
            "{:?}",
            SigningSecret::new("whsec_live_123").expect("not empty")
        ),
        "SigningSecret(<redacted>)"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_and_any_header_never_panic(
            secret in proptest::collection::vec(any::<u8>(), 0..80),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            header in ".{0,100}",
        ) {
            let _ = verify(&secret, &body, &header);
            let _ = jelou_webhooks::Event::decode(&body);
        }

        #[test]
        fn what_is_signed_verifies_and_any_other_body_does_not(
            secret in proptest::collection::vec(any::<u8>(), 1..80),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            other in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let key = SigningSecret::new(secret).expect("not empty");
            let header = key.sign(&body);
            prop_assert_eq!(key.verify(&body, &header), Ok(()));
            if other != body {
                prop_assert_eq!(key.verify(&other, &header), Err(SignatureError::Mismatch));
            }
        }
    }
}
