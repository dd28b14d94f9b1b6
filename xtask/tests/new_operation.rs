//! The proof that the spec drives everything: a copy of the workspace gets one new read
//! operation (path and query parameters, a paged answer) and one new write operation (a body
//! with a length limit and an enum) in its spec, and nothing else; after `cargo xtask
//! generate`, only the spec and generated files differ, and the copy's own suites and
//! binaries show the new operations sent by `jelou-ext`, called from the `jelou` command,
//! answered by the sandbox and covered by the conformance suite.
//!
//! It builds a second copy of the workspace in a target directory of its own (minutes on a
//! first run), so it runs on request: `cargo test -p xtask --test new_operation -- --ignored`,
//! as CI does after the test suite.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The operations added to the copy's spec, under a tag of their own.
const NEW_OPERATIONS: &str = r##"  /v1/bots/{botId}/labels:
    get:
      operationId: label_list
      tags: [labels]
      summary: List labels
      description: |
        One page of a bot's labels (an operation added by the generator's proof test).
      x-jelou-pagination:
        style: page
        parameter: page
        items: /results
        totalPages: /pagination/totalPages
      parameters:
        - name: botId
          in: path
          required: true
          description: The bot.
          example: demo-bot
          schema:
            type: string
        - name: page
          in: query
          required: true
          description: The page, from 1.
          example: 1
          schema:
            type: integer
            minimum: 1
      responses:
        "200":
          description: One page of labels.
          content:
            application/json:
              schema:
                type: object
                description: One page of labels.
                required: [results, pagination]
                properties:
                  results:
                    type: array
                    description: The labels.
                    items:
                      type: object
                      description: A label.
                      properties:
                        name:
                          type: string
                          description: The label's name.
                  pagination:
                    type: object
                    description: Where the page is.
                    properties:
                      totalPages:
                        type: integer
                        description: How many pages there are.
              example:
                results: [{name: vip}]
                pagination: {totalPages: 1}
        "4XX":
          $ref: "#/components/responses/Error"
        "5XX":
          $ref: "#/components/responses/Error"
    post:
      operationId: label_create
      tags: [labels]
      summary: Create a label
      description: |
        Creates a label for a bot (an operation added by the generator's proof test).
      parameters:
        - name: botId
          in: path
          required: true
          description: The bot.
          example: demo-bot
          schema:
            type: string
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              description: A new label.
              required: [name, color]
              additionalProperties: false
              properties:
                name:
                  type: string
                  description: The label's name.
                  minLength: 1
                  maxLength: 20
                color:
                  type: string
                  description: The label's color.
                  enum: [red, green]
            example: {name: vip, color: green}
      responses:
        "200":
          description: The label was created.
          content:
            application/json:
              schema:
                type: object
                description: Whether the label was created.
                properties:
                  success:
                    type: boolean
                    description: Always true on a 200.
              example: {success: true}
        "4XX":
          $ref: "#/components/responses/Error"
        "5XX":
          $ref: "#/components/responses/Error"
"##;

/// A new method on a path the API already has (and a tag whose commands are hand-written).
const NEW_METHOD: &str = r##"    delete:
      operationId: user_delete
      tags: [users]
      summary: Delete a user
      description: |
        Deletes a user (an operation added by the generator's proof test).
      responses:
        "200":
          description: The user was deleted.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/StatusResponse"
              example:
                timestamp: "2025-01-15T10:30:00.000Z"
                status:
                  code: 200
                  type: success
        "4XX":
          $ref: "#/components/responses/Error"
        "5XX":
          $ref: "#/components/responses/Error"
"##;

/// The files a spec change may touch: the spec and what `cargo xtask generate` writes.
const MAY_CHANGE: [&str; 4] = [
    "openapi/jelou.yaml",
    "crates/jelou-client/src/generated.rs",
    "crates/jelou-client/src/generated_operations.rs",
    "crates/jelou-client-httpmock/src/generated_httpmock.rs",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds xtask")
        .to_path_buf()
}

/// Runs `program args` in `dir`, failing the test with its output when it fails.
fn run(dir: &Path, program: &str, args: &[&str], target: &Path) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({:?}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A copy of the workspace's tracked files, committed in a repository of its own.
fn copy_workspace(into: &Path, target: &Path) {
    let root = workspace();
    let listed = run(&root, "git", &["ls-files", "-z"], target);
    for file in listed.stdout.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let file = std::str::from_utf8(file).expect("UTF-8 path");
        let to = into.join(file);
        std::fs::create_dir_all(to.parent().expect("a folder")).expect("folder");
        std::fs::copy(root.join(file), &to).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let git = |args: &[&str]| run(into, "git", args, target);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=proof",
        "-c",
        "user.email=proof@localhost",
        "commit",
        "-q",
        "-m",
        "copy",
    ]);
}

/// The copy's spec with the new operations, their tag, and the new method on `/users/{id}`.
fn add_operations(copy: &Path) {
    let path = copy.join("openapi/jelou.yaml");
    let spec = std::fs::read_to_string(&path).expect("the spec");
    let spec = spec.replacen("\npaths:\n", &format!("\npaths:\n{NEW_OPERATIONS}"), 1);
    let spec = spec.replacen(
        "\n  /users/{id}:\n",
        &format!("\n  /users/{{id}}:\n{NEW_METHOD}"),
        1,
    );
    let spec = spec.replacen(
        "\ntags:\n",
        "\ntags:\n  - name: labels\n    description: A bot's labels (added by the proof test).\n",
        1,
    );
    std::fs::write(&path, spec).expect("the spec is written");
}

/// One request to the sandbox, as raw HTTP/1.1: the status line and the body.
fn raw_request(port: u16, method: &str, path: &str, body: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the sandbox");
    // `Basic base64("demo-client:demo-secret")`, the sandbox's demo account.
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        demo_authorization(),
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

fn demo_authorization() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_ID}:{DEMO_SECRET}"))
}

/// A child process stopped when dropped, a failed assertion included.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The sandbox's demo account (`jelou_sandbox::DEMO_CLIENT_ID` and `DEMO_CLIENT_SECRET`).
const DEMO_ID: &str = "demo-client";
const DEMO_SECRET: &str = "demo-secret";

#[test]
#[ignore = "builds a second copy of the workspace; CI runs it with --ignored"]
fn an_operation_added_to_the_spec_needs_nothing_else() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // A target directory of its own: the copy's crates have the same names and hashes as the
    // workspace's (cargo leaves the path out of them), so sharing one would overwrite the
    // workspace's artifacts. It lives inside the workspace's, and is reused by later runs.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
        .join("new-operation-proof");
    let temporary = tempfile::tempdir().expect("a temporary folder");
    let copy = temporary.path();
    copy_workspace(copy, &target);
    add_operations(copy);

    let generated = run(copy, &cargo, &["xtask", "generate"], &target);
    assert!(
        text(&generated).contains("generated_operations.rs"),
        "{}",
        text(&generated)
    );
    let status = run(copy, "git", &["status", "--porcelain"], &target);
    let changed: Vec<String> = String::from_utf8_lossy(&status.stdout)
        .lines()
        .map(|line| line[3..].to_owned())
        .collect();
    for file in &changed {
        assert!(
            MAY_CHANGE.contains(&file.as_str()),
            "{file} changed: {changed:?}"
        );
    }
    let stat = run(copy, "git", &["diff", "--stat"], &target);
    println!("git diff --stat after the spec change:\n{}", text(&stat));

    // 4: the conformance suite covers both operations for both clients, from the spec.
    let suite = run(
        copy,
        &cargo,
        &[
            "test",
            "-p",
            "jelou-conformance",
            "--test",
            "spec_conformance",
            "--test",
            "coverage",
        ],
        &target,
    );
    let suite = text(&suite);
    assert!(
        suite.contains("every_paged_list_is_followed_to_its_last_page ... ok"),
        "{suite}"
    );
    assert!(
        suite.contains(
            "a_write_is_never_sent_twice_after_an_ambiguous_failure_and_a_read_is_retried ... ok"
        ),
        "{suite}"
    );

    // 1, 2 and 3: the `jelou` command calls them through jelou-ext against the sandbox, which
    // checks them against the spec and answers the documented examples.
    run(copy, &cargo, &["build", "-p", "jelou-cli"], &target);
    let jelou = target.join("debug/jelou");
    let jelou = jelou.to_str().expect("UTF-8 path");
    let listed = run(
        copy,
        jelou,
        &[
            "--sandbox",
            "--output",
            "json",
            "labels",
            "list",
            "--bot-id",
            "demo-bot",
            "--page",
            "1",
        ],
        &target,
    );
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(listed["results"][0]["name"], "vip");
    let created = run(
        copy,
        jelou,
        &[
            "--sandbox",
            "--output",
            "json",
            "labels",
            "create",
            "--bot-id",
            "demo-bot",
            "--name",
            "vip",
            "--color",
            "green",
        ],
        &target,
    );
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).expect("JSON");
    assert_eq!(created["success"], true);
    // A new method on a served path: a generated verb beside the hand-written `users` ones,
    // answered by the sandbox with its documented example.
    let deleted = run(
        copy,
        jelou,
        &[
            "--sandbox",
            "--output",
            "json",
            "users",
            "delete",
            "--id",
            "5b7ff847cc3c3fb33c9249a8",
        ],
        &target,
    );
    let deleted: serde_json::Value = serde_json::from_slice(&deleted.stdout).expect("JSON");
    assert_eq!(deleted["status"]["type"], "success");
    for (flags, expected) in [
        (
            ["--name", "a-name-of-twenty-one!", "--color", "green"],
            "error: invalid input, nothing was sent: name must be 1 to 20 characters, got 21 characters: \"a-name-of-twenty-one!\"",
        ),
        (
            ["--name", "vip", "--color", "blue"],
            "error: invalid input, nothing was sent: color must be one of \"red\", \"green\", got 4 characters: \"blue\"",
        ),
    ] {
        let refused = Command::new(jelou)
            .args(["--sandbox", "labels", "create", "--bot-id", "demo-bot"])
            .args(flags)
            .output()
            .expect("runs");
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(stderr.lines().next(), Some(expected), "{stderr}");
    }

    // 3: the sandbox itself refuses what the spec refuses, whoever sends it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let _sandbox = Stopped(
        Command::new(jelou)
            .args(["sandbox", "serve", "--addr", &format!("127.0.0.1:{port}")])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the sandbox starts"),
    );
    let answer = (0..100)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(|_| {
                    raw_request(
                        port,
                        "POST",
                        "/v1/bots/demo-bot/labels",
                        r#"{"name":"vip","color":"blue"}"#,
                    )
                })
        })
        .expect("the sandbox answers");
    assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
    assert!(
        answer.contains("the color field must be one of"),
        "{answer}"
    );
}
