//! Every command of `jelou` sends requests that Prism, validating against the spec on its
//! own, accepts: a mock server written by others, not this project, checks the CLI's requests.
//!
//! Needs `prism mock openapi/jelou.yaml --errors` listening at `JELOU_PRISM_URL`; with
//! `--errors`, a request that breaks the spec gets an error answer and the command fails.
//! Without the variable the test says so and passes, unless `JELOU_REQUIRE_PRISM` is set
//! (as `.ci/run` does), where it fails.

use std::process::Command;

use jelou_client::{JsonRequest, OPERATIONS};
use serde_json::Value;

const USER_ID: &str = "5b7ff847cc3c3fb33c9249a8";
const SESSION_ID: &str = "c6d4bc58-4947-4f82-9e0b-67b87c6dc2de";

fn prism_url() -> Option<String> {
    match std::env::var("JELOU_PRISM_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("JELOU_REQUIRE_PRISM").is_none(),
                "JELOU_REQUIRE_PRISM is set but JELOU_PRISM_URL is not"
            );
            eprintln!("JELOU_PRISM_URL is not set: the Prism check did not run");
            None
        }
    }
}

/// The commands written by hand, each with arguments that the spec allows.
fn hand_written() -> Vec<Vec<String>> {
    let commands: &[&[&str]] = &[
        &[
            "messages",
            "send",
            "--bot",
            "BOT_ID",
            "--user",
            "593987654321",
            "--text",
            "Elige",
            "--title",
            "Menú",
            "--button-text",
            "Ver",
            "--option",
            "a=Uno:La primera",
            "--option",
            "Dos",
        ],
        &[
            "messages",
            "send",
            "--bot",
            "BOT_ID",
            "--user",
            "593987654321",
            "--text",
            "",
        ],
        &[
            "history",
            "--bot",
            "BOT_ID",
            "--limit",
            "10",
            "--page",
            "1",
            "--start-at",
            "2025-01-15",
            "--client",
            "593987654321",
        ],
        &["cache", "get", "--user", "593987654321"],
        &["cache", "get", "--user", "593987654321", "--bot", "BOT_ID"],
        &[
            "cache",
            "set",
            "--user",
            "593987654321",
            "--bot",
            "bot-12345",
            "groupId=grp-67890",
        ],
        &[
            "users",
            "create",
            "--user-id",
            "0735887f",
            "--attr",
            "default_email=joe@doe.com",
            "--segment",
            "5c46d514bda7873576a30c48",
        ],
        &[
            "users",
            "list",
            "--limit",
            "10",
            "--sort-field",
            "createdAt",
            "--sort-order",
            "asc",
        ],
        &["users", "get", USER_ID],
        &["users", "update", USER_ID, "--attr", "default_name=Joe"],
        &[
            "users",
            "session",
            USER_ID,
            "--session",
            SESSION_ID,
            "--attr",
            "default_name=Joe",
        ],
        &[
            "chat",
            "--session",
            SESSION_ID,
            "--query",
            "hola",
            "--confidence",
            "0.5",
        ],
        &["chat", "--session", SESSION_ID, "--trigger", "start"],
        &["users", "state", "get", "573001234567"],
        &[
            "users",
            "state",
            "set",
            "573001234567",
            "--bot",
            "bot-12345",
            "--state",
            "manual",
            "--ttl",
            "3600",
        ],
    ];
    commands
        .iter()
        .map(|args| args.iter().map(|a| (*a).to_owned()).collect())
        .collect()
}

/// `jelou api <operation>` for every operation of the spec, from its documented request.
fn generated() -> Vec<Vec<String>> {
    OPERATIONS
        .iter()
        .map(|operation| {
            let request = JsonRequest::documented(operation);
            let mut args = vec!["api".to_owned(), operation.id.replace('_', "-")];
            if !operation.secrets.is_empty() {
                // A new file for the answer's secret, as the command requires.
                let file = std::env::temp_dir().join(format!(
                    "jelou-prism-{}-{}",
                    std::process::id(),
                    operation.id
                ));
                let _ = std::fs::remove_file(&file);
                args.push("--secret-file".to_owned());
                args.push(file.display().to_string());
            }
            for (name, value) in request
                .path
                .iter()
                .chain(request.query.iter().map(|(name, value)| (name, value)))
            {
                args.push(format!("--{}", kebab(name)));
                args.push(value.clone());
            }
            if let Some(body) = &request.body {
                args.push("--body".to_owned());
                args.push(body.to_string());
            }
            args
        })
        .collect()
}

fn kebab(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_command_sends_requests_prism_accepts() {
    let Some(url) = prism_url() else {
        return;
    };
    let commands: Vec<Vec<String>> = hand_written().into_iter().chain(generated()).collect();
    let mut failures = Vec::new();
    for args in &commands {
        let output = Command::new(env!("CARGO_BIN_EXE_jelou"))
            .args([
                "--base-url",
                &url,
                "--client-id",
                "demo-client",
                "--client-secret",
            ])
            .arg("demo-secret")
            .args(["--output", "json"])
            .args(args)
            .env_remove("JELOU_REDIS_URL")
            // The panel's hosts are Prism too (it serves every path of the spec at its root),
            // with the project's key and a signing secret.
            .env("JELOU_PANEL_BASE_URL", &url)
            .env("JELOU_PANEL_DELIVERY_BASE_URL", &url)
            .env("JELOU_API_KEY", "PROJECT_API_KEY")
            .env("JELOU_SIGNING_SECRET", "SIGNING_SECRET")
            .output()
            .expect("jelou runs");
        let answer: Result<Value, _> = serde_json::from_slice(&output.stdout);
        if !output.status.success() || answer.is_err() {
            failures.push(format!(
                "jelou {}: {}\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    // The secrets the panel's commands kept.
    for args in &commands {
        if let Some(at) = args.iter().position(|arg| arg == "--secret-file") {
            let _ = std::fs::remove_file(&args[at + 1]);
        }
    }
    assert!(
        commands.len() >= 36,
        "{} commands: every operation and every hand-written command",
        commands.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
