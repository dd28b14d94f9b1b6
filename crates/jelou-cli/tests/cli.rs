//! The real `jelou` binary against the sandbox: every command, the exit statuses, and a
//! resumed `history --all --out`.

use std::io::Write;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "support/tls.rs"]
mod tls;

use assert_cmd::Command;
use jelou_sandbox::{
    DEMO_BOT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PHONE, DEMO_USER_ID, Sandbox, Seed,
};
use sandbox::{many_messages, serve_router};
use serde_json::Value;

/// A sandbox served from its own thread for the rest of the test process.
fn serve(seed: Seed) -> String {
    serve_router(Sandbox::new(seed).router())
}

/// `jelou --output json` with the demo account's credentials and `base_url`, as a process
/// to spawn in the background.
fn jelou_process(base_url: &str) -> StdCommand {
    let mut command = StdCommand::new(assert_cmd::cargo::cargo_bin("jelou"));
    command
        .env("JELOU_BASE_URL", base_url)
        .env("JELOU_CLIENT_ID", DEMO_CLIENT_ID)
        .env("JELOU_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .args(["--output", "json"]);
    command
}

/// [`jelou_process`], to run to completion and assert on.
fn jelou(base_url: &str) -> Command {
    Command::from_std(jelou_process(base_url))
}

/// A loopback port nobody listens on (once the probe is dropped).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
        .port()
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn run_ok(command: &mut Command) -> Value {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    json_of(&output)
}

fn failing(command: &mut Command, status: i32) -> String {
    let output = command.output().expect("runs");
    assert_eq!(
        output.status.code(),
        Some(status),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_sandbox_demo_calls_every_operation() {
    let output = Command::cargo_bin("jelou")
        .expect("built")
        .args(["--sandbox", "demo"])
        .env_remove("JELOU_CLIENT_ID")
        .env_remove("JELOU_CLIENT_SECRET")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    for operation in jelou_client::OPERATIONS.iter().map(|op| op.id) {
        assert!(
            stdout.contains(operation),
            "{operation} missing from:\n{stdout}"
        );
    }
}

#[test]
fn an_empty_text_is_sent_as_the_spec_allows() {
    let url = serve(Seed::demo());
    let sent = run_ok(jelou(&url).args([
        "messages", "send", "--bot", DEMO_BOT, "--user", DEMO_PHONE, "--text", "",
    ]));
    assert_eq!(sent["success"], true, "{sent}");
}

#[test]
fn messages_send_stores_the_message_in_the_history() {
    let url = serve(Seed::demo());
    let sent = run_ok(jelou(&url).args([
        "messages",
        "send",
        "--bot",
        DEMO_BOT,
        "--user",
        DEMO_PHONE,
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
    ]));
    assert_eq!(sent["success"], true);
    let id = sent["messageId"].as_str().expect("an id").to_owned();
    let page = run_ok(jelou(&url).args([
        "history", "--bot", DEMO_BOT, "--limit", "40", "--client", DEMO_PHONE,
    ]));
    let ids: Vec<&str> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|m| m["messageId"].as_str())
        .collect();
    assert!(ids.contains(&id.as_str()), "{ids:?}");
    let one = run_ok(jelou(&url).args([
        "history",
        "--bot",
        DEMO_BOT,
        "--message-id",
        &id,
        "--start-at",
        "2020-01-01",
        "--end-at",
        "2999-12-31",
    ]));
    assert_eq!(one["pagination"]["total"], 1);
}

#[test]
fn cache_set_merges_and_cache_get_reads() {
    let url = serve(Seed::demo());
    let set = run_ok(jelou(&url).args([
        "cache",
        "set",
        "--user",
        DEMO_PHONE,
        "--bot",
        DEMO_BOT,
        "groupId=grp-1",
        "orderNumber=ORD-9",
    ]));
    assert_eq!(set["status"], "success");
    let cache = run_ok(jelou(&url).args(["cache", "get", "--user", DEMO_PHONE, "--bot", DEMO_BOT]));
    assert_eq!(
        cache,
        serde_json::json!({"groupId": "grp-1", "orderNumber": "ORD-9"})
    );
    // The documented logic error (200 with status failed) is an API error.
    let stderr = failing(jelou(&url).args(["cache", "get", "--user", "111"]), 3);
    assert!(stderr.contains("200"), "{stderr}");
}

#[test]
fn a_cache_that_keeps_status_failed_reads_back() {
    let url = serve(Seed::demo());
    let fresh_user = "593900000001";
    let set = run_ok(jelou(&url).args([
        "cache",
        "set",
        "--user",
        fresh_user,
        "--bot",
        DEMO_BOT,
        "status=failed",
    ]));
    assert_eq!(set["status"], "success");
    let cache = run_ok(jelou(&url).args(["cache", "get", "--user", fresh_user, "--bot", DEMO_BOT]));
    assert_eq!(cache, serde_json::json!({"status": "failed"}));

    run_ok(jelou(&url).args([
        "cache",
        "set",
        "--user",
        fresh_user,
        "--bot",
        DEMO_BOT,
        "message=payment declined",
    ]));
    let cache = run_ok(jelou(&url).args(["cache", "get", "--user", fresh_user, "--bot", DEMO_BOT]));
    assert_eq!(
        cache,
        serde_json::json!({"status": "failed", "message": "payment declined"}),
        "a text message beside status failed is the user's data, not the error's list"
    );
}

#[test]
fn users_commands_create_list_get_update_and_set_the_session() {
    let url = serve(Seed::demo());
    let created = run_ok(jelou(&url).args([
        "users",
        "create",
        "--user-id",
        "ext-1",
        "--attr",
        "default_name=Ana",
        "--attr",
        "default_city=Quito",
    ]));
    let id = created[0]["id"].as_str().expect("an id").to_owned();
    let list = run_ok(jelou(&url).args([
        "users",
        "list",
        "--limit",
        "10",
        "--sort-field",
        "createdAt",
        "--sort-order",
        "desc",
        "--match",
        "all",
        "--filter",
        r#"{"field":"default_city","value":"Quito"}"#,
    ]));
    assert_eq!(list["data"][0]["id"], id.as_str());
    let after = run_ok(jelou(&url).args(["users", "list", "--after", DEMO_USER_ID]));
    assert_eq!(after["count"], 1);
    run_ok(jelou(&url).args([
        "users",
        "update",
        &id,
        "--attr",
        "default_email=ana@example.com",
    ]));
    run_ok(jelou(&url).args([
        "users",
        "session",
        &id,
        "--session",
        "session-0001",
        "--attr",
        "step=2",
    ]));
    let user = run_ok(jelou(&url).args(["users", "get", &id]));
    assert_eq!(user["attributes"]["default_email"], "ana@example.com");
    assert_eq!(user["sessionAttributes"]["step"], "2");
}

#[test]
fn chat_answers_queries_triggers_and_gotos() {
    let url = serve(Seed::demo());
    let greeting = run_ok(jelou(&url).args([
        "chat",
        "--session",
        "session-0001",
        "--query",
        "hola",
        "--confidence",
        "0.5",
        "--lifespan",
        "3",
        "--param",
        "city=Quito",
        "--reset",
        "--debug",
    ]));
    assert_eq!(greeting["result"]["interaction"]["name"], "greeting");
    assert_eq!(greeting["result"]["lifespan"], 3);
    assert_eq!(greeting["result"]["sessionParameters"]["city"], "Quito");
    let trigger =
        run_ok(jelou(&url).args(["chat", "--session", "session-0001", "--trigger", "start"]));
    assert_eq!(trigger["result"]["interaction"]["name"], "trigger");
    let goto = run_ok(jelou(&url).args([
        "chat",
        "--session",
        "session-0001",
        "--goto",
        "5b07fd67c2376e30306d9b0d",
        "--story-id",
        "5b07fd67c2376e30306d9b0d",
    ]));
    assert_eq!(goto["result"]["storyId"], "5b07fd67c2376e30306d9b0d");
}

#[test]
fn exit_status_2_for_bad_usage_and_input_rejected_before_sending() {
    let url = serve(Seed::demo());
    // A 25-character option title: refused by the client, nothing sent.
    let stderr = failing(
        jelou(&url).args([
            "messages",
            "send",
            "--bot",
            DEMO_BOT,
            "--user",
            "1",
            "--text",
            "t",
            "--option",
            "Opción número veinticinco",
        ]),
        2,
    );
    assert!(
        stderr.contains("options[0].title")
            && stderr.contains("1 to 24 characters")
            && stderr.contains("25 characters"),
        "{stderr}"
    );
    let page = run_ok(jelou(&url).args(["history", "--bot", DEMO_BOT]));
    assert_eq!(page["pagination"]["total"], 3, "nothing was sent");
    // clap's own usage errors, and missing credentials.
    failing(jelou(&url).args(["chat", "--session", "session-0001"]), 2);
    failing(
        jelou(&url).args(["history", "--bot", DEMO_BOT, "--page", "2", "--all"]),
        2,
    );
    let stderr = failing(
        Command::cargo_bin("jelou")
            .expect("built")
            .env_remove("JELOU_CLIENT_ID")
            .env_remove("JELOU_CLIENT_SECRET")
            .args(["users", "get", DEMO_USER_ID]),
        2,
    );
    assert!(stderr.contains("credentials"), "{stderr}");
}

#[test]
fn exit_status_3_prints_the_apis_code_key_and_message() {
    let url = serve(Seed::demo());
    let stderr = failing(
        jelou(&url).args([
            "messages",
            "send",
            "--bot",
            "no-such-bot",
            "--user",
            "1",
            "--text",
            "hola",
        ]),
        3,
    );
    assert!(
        stderr.contains("E1019")
            && stderr.contains("BOT_NOT_FOUND")
            && stderr.contains("The Bot could not be found"),
        "{stderr}"
    );
    let stderr = failing(
        jelou(&url).args(["history", "--bot", DEMO_BOT, "--start-at", "yesterday"]),
        3,
    );
    assert!(
        stderr.contains("E0422") && stderr.contains("startAt: the startAt field must be a Date"),
        "{stderr}"
    );
    let stderr = failing(
        jelou(&url)
            .env("JELOU_CLIENT_SECRET", "wrong")
            .args(["users", "get", DEMO_USER_ID]),
        3,
    );
    assert!(
        stderr.contains("401") && stderr.contains("Authentication failed"),
        "{stderr}"
    );
}

#[test]
fn a_refused_connection_is_retried_then_shown_with_every_cause() {
    let port = free_port();
    let stderr = failing(
        jelou(&format!("http://127.0.0.1:{port}")).args(["users", "get", DEMO_USER_ID]),
        4,
    );
    assert_eq!(
        stderr,
        format!(
            "error: transport error: Connection refused (os error 111) (after 4 attempts)
caused by: error sending request for url (http://127.0.0.1:{port}/users/{DEMO_USER_ID})
caused by: client error (Connect)
caused by: tcp connect error
caused by: Connection refused (os error 111)
"
        )
    );
}

#[test]
fn a_host_that_does_not_resolve_is_shown_as_a_dns_error() {
    // `.invalid` never resolves (RFC 2606).
    let stderr = failing(
        jelou("https://jelou-sdk-test.invalid").args(["users", "get", DEMO_USER_ID]),
        4,
    );
    let lines: Vec<&str> = stderr.lines().collect();
    // The resolver's own words end the chain; they depend on why the name failed.
    let resolver = lines.last().copied().unwrap_or_default();
    assert!(
        resolver.starts_with("caused by: failed to lookup address information: "),
        "{stderr}"
    );
    let reason = resolver.trim_start_matches("caused by: ");
    assert_eq!(
        lines,
        [
            format!("error: transport error: {reason} (after 4 attempts)"),
            format!(
                "caused by: error sending request for url (https://jelou-sdk-test.invalid/users/{DEMO_USER_ID})"
            ),
            "caused by: client error (Connect)".to_owned(),
            "caused by: dns error".to_owned(),
            "caused by: error resolving DNS".to_owned(),
            format!("caused by: {reason}"),
        ]
    );
}

#[test]
fn an_untrusted_certificate_is_a_tls_failure_tried_once() {
    let (url, connections) = tls::serve_self_signed();
    let stderr = failing(jelou(&url).args(["users", "get", DEMO_USER_ID]), 4);
    let port = url.rsplit(':').next().unwrap_or_default();
    assert_eq!(
        stderr,
        format!(
            "error: TLS failure, nothing was sent: invalid peer certificate: UnknownIssuer
caused by: error sending request for url (https://localhost:{port}/users/{DEMO_USER_ID})
caused by: client error (Connect)
caused by: invalid peer certificate: UnknownIssuer
"
        )
    );
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a certificate cannot heal: no retry"
    );
}

#[test]
fn an_unreachable_redis_fails_the_command_or_falls_back_as_asked() {
    let base_url = serve(Seed::demo());
    let redis_url = format!("redis://127.0.0.1:{}/0", free_port());
    // No fallback: exit status 4, the reason on stderr, nothing sent.
    let stderr = failing(
        jelou(&base_url)
            .args(["--redis-url", &redis_url])
            .args(["history", "--bot", DEMO_BOT]),
        4,
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(stderr.contains("unreachable"), "{stderr}");
    // With a share: the command goes on under its own limiter and warns.
    let output = jelou(&base_url)
        .env("JELOU_REDIS_URL", &redis_url)
        .env("JELOU_REDIS_FALLBACK_SHARE", "0.5")
        .args(["history", "--bot", DEMO_BOT])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("WARN") && stderr.contains("Redis is unreachable"),
        "{stderr}"
    );
    json_of(&output);
    // A share without a Redis URL is a usage error.
    let stderr = failing(
        jelou(&base_url).args([
            "--redis-fallback-share",
            "0.5",
            "history",
            "--bot",
            DEMO_BOT,
        ]),
        2,
    );
    assert!(stderr.contains("--redis-url"), "{stderr}");
}

fn ids_in(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("the file")
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).expect("a JSON line")["messageId"]
                .as_str()
                .expect("an id")
                .to_owned()
        })
        .collect()
}

#[test]
fn history_all_to_stdout_writes_every_message_once_as_json_lines() {
    let url = serve(many_messages(25));
    let output = jelou(&url)
        .args(["history", "--bot", DEMO_BOT, "--all", "--limit", "10"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let ids: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("JSON line")["messageId"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (0..25).map(|i| format!("m-{i:05}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn an_interrupted_history_export_resumes_with_no_duplicates_and_no_gaps() {
    const TOTAL: usize = 150;
    let url = serve(many_messages(TOTAL));
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("history.jsonl");
    let args = [
        "history", "--bot", DEMO_BOT, "--all", "--limit", "10", "--out",
    ];
    let mut first = jelou_process(&url)
        .args(args)
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    // At five pages a second, 15 pages take three seconds: stop it part-way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&out)
        .map(|t| t.lines().count())
        .unwrap_or(0)
        < 40
    {
        assert!(Instant::now() < deadline, "the export never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().expect("interrupted");
    first.wait().expect("ended");
    let written_before = ids_in(&out).len();
    assert!(
        written_before < TOTAL,
        "interrupted before the end ({written_before})"
    );
    // As if the interruption had cut a line in half.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&out)
        .and_then(|mut f| f.write_all(br#"{"messageId":"m-0"#))
        .expect("append a cut line");

    jelou(&url).args(args).arg(&out).assert().success();

    let ids = ids_in(&out);
    let expected: Vec<String> = (0..TOTAL).map(|i| format!("m-{i:05}")).collect();
    assert_eq!(ids, expected, "every message exactly once, in order");
    // Run again when complete: nothing is added.
    jelou(&url).args(args).arg(&out).assert().success();
    assert_eq!(ids_in(&out).len(), TOTAL);
}

#[test]
fn an_export_begun_in_pages_of_10_resumes_in_the_default_pages_of_50() {
    const TOTAL: usize = 180;
    let url = serve(many_messages(TOTAL));
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("history.jsonl");
    // What an export in pages of 10 had written when it was cut: 73 messages and half a line.
    let earlier = jelou(&url)
        .args(["history", "--bot", DEMO_BOT, "--all", "--limit", "10"])
        .output()
        .expect("runs");
    assert!(earlier.status.success());
    let lines: Vec<&str> = std::str::from_utf8(&earlier.stdout)
        .expect("UTF-8")
        .lines()
        .collect();
    assert_eq!(lines.len(), TOTAL);
    std::fs::write(
        &out,
        format!("{}\n{{\"messageId\":\"m-0", lines[..73].join("\n")),
    )
    .expect("the cut file");

    let resumed = jelou(&url)
        .args(["history", "--bot", DEMO_BOT, "--all", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let expected: Vec<String> = (0..TOTAL).map(|i| format!("m-{i:05}")).collect();
    assert_eq!(
        ids_in(&out),
        expected,
        "every message exactly once, in order"
    );
}

#[test]
fn sandbox_serve_answers_commands_with_a_seed_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let seed_path = dir.path().join("seed.json");
    let mut seed = Seed::empty("seed-id", "seed-secret");
    seed.bots.push("seed-bot".into());
    std::fs::write(&seed_path, serde_json::to_string(&seed).expect("JSON")).expect("written");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = StdCommand::new(assert_cmd::cargo::cargo_bin("jelou"))
        .args(["sandbox", "serve", "--addr", &addr, "--seed"])
        .arg(&seed_path)
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the sandbox never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("http://{addr}");
    let sent = run_ok(
        jelou(&url)
            .env("JELOU_CLIENT_ID", "seed-id")
            .env("JELOU_CLIENT_SECRET", "seed-secret")
            .args([
                "messages", "send", "--bot", "seed-bot", "--user", "1", "--text", "hola",
            ]),
    );
    assert_eq!(sent["messageId"], "msg_000000001");
    failing(jelou(&url).args(["users", "list"]), 3); // the demo credentials are not this seed's
    server.kill().expect("stopped");
    server.wait().expect("ended");
}

#[test]
fn every_operation_has_a_command_built_from_the_spec() {
    let url = serve(Seed::demo());
    let sent = run_ok(jelou(&url).args([
        "api",
        "message-send",
        "--bot-id",
        DEMO_BOT,
        "--user-id",
        DEMO_PHONE,
        "--type",
        "text",
        "--text",
        "hola",
        "--options",
        r#"[{"title":"Uno"}]"#,
    ]));
    assert_eq!(sent["success"], true);
    // The global --client-id keeps its name; the history's own clientId is --param-client-id.
    let page = run_ok(jelou(&url).args([
        "api",
        "history-list",
        "--bot-id",
        DEMO_BOT,
        "--limit",
        "50",
        "--page",
        "1",
        "--param-client-id",
        DEMO_PHONE,
    ]));
    let texts: Vec<&Value> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|message| &message["bubble"]["text"])
        .collect();
    assert!(texts.contains(&&Value::from("hola")), "{texts:?}");
    let user = run_ok(jelou(&url).args(["api", "user-get", "--id", DEMO_USER_ID]));
    assert_eq!(user["id"], DEMO_USER_ID);

    let stderr = failing(
        jelou(&url).args([
            "api",
            "history-list",
            "--bot-id",
            DEMO_BOT,
            "--limit",
            "51",
            "--page",
            "1",
        ]),
        2,
    );
    assert_eq!(
        stderr.lines().next(),
        Some("error: invalid input, nothing was sent: limit must be 1 to 50, got 51")
    );
    let stderr = failing(
        jelou(&url).args(["api", "message-send", "--bot-id", DEMO_BOT, "--body", "[1]"]),
        2,
    );
    assert_eq!(
        stderr.trim(),
        "error: --body must be a JSON object, got [1]"
    );
}

#[test]
fn completions_cover_the_commands_built_from_the_spec() {
    let output = Command::cargo_bin("jelou")
        .expect("the binary")
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let script = String::from_utf8_lossy(&output.stdout);
    for word in ["history-list", "message-send", "--param-client-id", "demo"] {
        assert!(script.contains(word), "{word} missing from the completions");
    }
}

#[test]
fn templates_are_created_pending_listed_and_sent_to_several_numbers() {
    let url = serve(Seed::demo());
    run_ok(jelou(&url).args([
        "templates",
        "create",
        "--bot",
        DEMO_BOT,
        "--name",
        "pedido_enviado",
        "--category",
        "UTILITY",
        "--language",
        "es",
        "--text",
        "Tu pedido {{1}} va en camino.",
        "--param",
        "pedido=ORD-777",
    ]));
    let pending = run_ok(jelou(&url).args([
        "templates",
        "list",
        "--bot",
        DEMO_BOT,
        "--status",
        "PENDING",
    ]));
    assert_eq!(pending["data"][0]["elementName"], "pedido_enviado");
    assert_eq!(pending["data"][0]["params"][0]["label"], "pedido");
    let sent = run_ok(jelou(&url).args([
        "templates",
        "send",
        "--bot",
        DEMO_BOT,
        "--name",
        "recordatorio_cita",
        "--to",
        "593999999999",
        "--to",
        "593988888888",
        "--param",
        "Ana",
    ]));
    assert_eq!(sent.as_array().map(Vec::len), Some(2), "{sent}");
    let history = run_ok(jelou(&url).args(["history", "--bot", DEMO_BOT, "--limit", "50"]));
    let hsm = history["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|m| m["bubble"]["type"] == "HSM")
        .count();
    assert_eq!(hsm, 2);
}

#[test]
fn db_rows_are_written_read_and_exported_resumably_with_each_row_once() {
    let url = serve(Seed::demo());
    let database = "123456789";
    let mut ids = Vec::new();
    for n in 0..5 {
        let created = run_ok(jelou(&url).args([
            "db",
            "rows",
            "create",
            "--database",
            database,
            "--field",
            &format!("name=n{n}"),
            "--field",
            &format!("total={n}"),
        ]));
        ids.push(created["data"]["_id"].as_str().expect("an id").to_owned());
    }
    let updated = run_ok(jelou(&url).args([
        "db",
        "rows",
        "update",
        "--database",
        database,
        "--row",
        &ids[0],
        "--field",
        "total=99",
    ]));
    assert_eq!(updated["data"]["_id"], ids[0].as_str());
    let read = run_ok(jelou(&url).args([
        "db",
        "rows",
        "get",
        "--database",
        database,
        "--row",
        &ids[0],
    ]));
    assert_eq!(read["data"]["total"], "99");
    let refused = failing(
        jelou(&url).args([
            "db",
            "rows",
            "create",
            "--database",
            database,
            "--field",
            "total=1",
        ]),
        3,
    );
    assert!(refused.contains("fields.name"), "{refused}");

    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("rows.jsonl");
    let export = |url: &str| {
        let output = jelou(url)
            .args([
                "db",
                "rows",
                "export",
                "--database",
                database,
                "--all",
                "--limit",
                "2",
                "--out",
            ])
            .arg(&out)
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    export(&url);
    let written = std::fs::read_to_string(&out).expect("the file");
    assert_eq!(written.lines().count(), 5);
    // An interruption cut the last line: the rerun drops it and writes only what is missing.
    std::fs::write(&out, &written[..written.len() - 10]).expect("cut");
    export(&url);
    let mut again: Vec<String> = std::fs::read_to_string(&out)
        .expect("the file")
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).expect("JSON")["_id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    again.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(again, expected);
}

/// One raw HTTP/1.1 POST to `port`, with the signature header when given; the status.
fn post_raw(port: u16, body: &[u8], signature: Option<&str>) -> u16 {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("nothing listens on {port}: {e}"),
        }
    };
    let mut request = format!(
        "POST /jelou HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(signature) = signature {
        request.push_str(&format!("X-Jelou-Signature: {signature}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("sent");
    stream.write_all(body).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {answer}"))
}

#[test]
fn webhooks_listen_prints_each_verified_delivery_and_refuses_the_others() {
    let port = free_port();
    let mut listener = StdCommand::new(assert_cmd::cargo::cargo_bin("jelou"))
        .args([
            "webhooks",
            "listen",
            "--port",
            &port.to_string(),
            "--secret",
            "whsec_test",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let body = br#"{"event_type":"message","contact":{"id":"593987654321"},"value":{"type":"text","content":{"body":"hola"}}}"#;
    let good = {
        // openssl dgst -sha256 -hmac whsec_test over the same bytes.
        let output = StdCommand::new("openssl")
            .args(["dgst", "-sha256", "-hmac", "whsec_test", "-r"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().expect("stdin").write_all(body)?;
                child.wait_with_output()
            })
            .expect("openssl runs");
        let text = String::from_utf8_lossy(&output.stdout);
        format!(
            "sha256={}",
            text.split_whitespace().next().expect("a digest")
        )
    };
    assert_eq!(post_raw(port, body, Some(&good)), 200);
    assert_eq!(
        post_raw(port, b"{\"event_type\":\"message\"}", Some(&good)),
        401,
        "another body"
    );
    assert_eq!(post_raw(port, body, None), 401, "no signature");
    assert_eq!(post_raw(port, body, Some("sha256=xyz")), 401, "malformed");
    listener.kill().expect("stops");
    let output = listener.wait_with_output().expect("ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "only the verified delivery is printed: {stdout}"
    );
    assert_eq!(lines[0]["value"]["content"]["body"], "hola");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("refused a delivery").count(), 3, "{stderr}");
}
