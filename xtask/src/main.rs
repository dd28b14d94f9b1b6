//! Project tasks, run as `cargo xtask <task>`.
//!
//! `cargo xtask generate` turns `openapi/jelou.yaml` into the committed generated code;
//! `cargo xtask generate --check` fails with a diff when that code is stale.

mod codegen;
mod lint;
mod operations;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask generate [--check]

  generate          regenerate the client code from openapi/jelou.yaml
  generate --check  regenerate in memory and fail with a diff if a committed file differs";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["generate"] => generate(Mode::Write),
        ["generate", "--check"] => generate(Mode::Check),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Write,
    Check,
}

/// The workspace the command runs in: the nearest folder, from `start` up, whose `Cargo.toml`
/// declares a `[workspace]`.
///
/// Found at run time from the current directory, never from where the binary was built: one
/// `xtask` binary in a shared target directory serves every checkout.
fn workspace_root(start: &Path) -> Result<PathBuf> {
    for folder in start.ancestors() {
        let manifest = folder.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        if text.lines().any(|line| line.trim() == "[workspace]") {
            return Ok(folder.to_path_buf());
        }
    }
    bail!(
        "no Cargo.toml with a [workspace] in {} or any folder above it; run cargo xtask inside the SDK's checkout",
        start.display()
    )
}

fn generate(mode: Mode) -> Result<()> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let root = workspace_root(&cwd)?;
    let spec_path = root.join(codegen::SPEC_PATH);
    let spec_text = std::fs::read_to_string(&spec_path)
        .with_context(|| format!("reading {}", spec_path.display()))?;
    let raw: serde_json::Value = serde_yaml::from_str(&spec_text)
        .with_context(|| format!("parsing {} as plain data", codegen::SPEC_PATH))?;
    // The types come from the spec without the rules that only say which fields go together:
    // the checks read those from `raw`.
    let spec: openapiv3::OpenAPI = serde_json::from_value(codegen::without_field_rules(&raw))
        .with_context(|| format!("parsing {} as OpenAPI 3.0", codegen::SPEC_PATH))?;

    let problems = lint::check(&spec);
    if !problems.is_empty() {
        bail!(
            "{} does not fit the generator ({} problem(s)):\n  - {}",
            codegen::SPEC_PATH,
            problems.len(),
            problems.join("\n  - ")
        );
    }

    let outputs = codegen::generate_all(&spec, &raw)?;
    let mut stale = Vec::new();
    for output in &outputs {
        let path = root.join(output.path);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == output.contents {
            continue;
        }
        match mode {
            Mode::Write => {
                std::fs::write(&path, &output.contents)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("wrote {}", output.path);
            }
            Mode::Check => {
                print_diff(output.path, &committed, &output.contents);
                stale.push(output.path);
            }
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated code is stale: {}; run `cargo xtask generate` and commit the result",
            stale.join(", ")
        );
    }
    if mode == Mode::Check {
        println!("generated code is up to date ({} files)", outputs.len());
    }
    Ok(())
}

fn print_diff(path: &str, committed: &str, fresh: &str) {
    let diff = similar::TextDiff::from_lines(committed, fresh);
    print!(
        "{}",
        diff.unified_diff().context_radius(3).header(
            &format!("a/{path} (committed)"),
            &format!("b/{path} (from the spec)")
        )
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_found_from_the_current_directory_not_from_the_build() {
        let checkout = tempfile::tempdir().expect("temporary folder");
        let nested = checkout.path().join("crates/member/src");
        std::fs::create_dir_all(&nested).expect("folders");
        std::fs::write(
            checkout.path().join("Cargo.toml"),
            "[workspace]\nmembers = []\n",
        )
        .expect("workspace manifest");
        std::fs::write(
            checkout.path().join("crates/member/Cargo.toml"),
            "[package]\nname = \"member\"\n",
        )
        .expect("member manifest");

        let root = workspace_root(&nested).expect("found");
        assert_eq!(root, checkout.path());
        assert_ne!(
            root,
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("parent"),
            "not the checkout this binary was built from"
        );
    }

    #[test]
    fn outside_any_workspace_the_error_says_where_it_looked() {
        let lonely = tempfile::tempdir().expect("temporary folder");
        let error = workspace_root(lonely.path()).expect_err("no workspace");
        assert!(
            error
                .to_string()
                .contains(&lonely.path().display().to_string()),
            "{error}"
        );
    }
}
