//! `jelou`: the Jelou API from the command line. See the crate's README.
#![forbid(unsafe_code)]

mod args;
mod demo;
mod export;
mod failure;
mod output;
mod rows;
mod run;
mod spec_commands;
mod templates;
mod webhooks;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use jelou_ext::{IfRedisUnreachable, Jelou, JelouBuilder, RedisLimiter, server_env_var};
use jelou_sandbox::{
    DEMO_API_KEY, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RunningSandbox, Sandbox, Seed, WebhookTarget,
};
use jelou_webhooks::SigningSecret;

use args::{Cli, Command, Globals, OutputFormat, SandboxCommand};
use failure::{EXIT_OK, Failure};

#[tokio::main]
async fn main() -> ExitCode {
    // Warnings (such as the shared limiter's Redis becoming unreachable) go to stderr.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .init();
    let matches = spec_commands::add_to(Cli::command()).get_matches();
    match execute(&matches).await {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.status)
        }
    }
}

/// The client the command talks through, and the embedded sandbox it may talk to.
async fn connect(cli: &Globals) -> Result<(Jelou, Option<RunningSandbox>), Failure> {
    if cli.sandbox {
        let sandbox = Sandbox::new(Seed::demo())
            .start(([127, 0, 0, 1], 0).into())
            .await
            .map_err(|e| Failure::internal(format!("the sandbox could not start: {e}")))?;
        let mut builder = Jelou::builder()
            .base_url(sandbox.base_url())
            .credentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
            .api_key(DEMO_API_KEY);
        for (server, base_url) in sandbox.server_base_urls() {
            builder = builder.server_base_url(server, base_url);
        }
        builder = with_signing_secret(builder, cli)?;
        return Ok((rate_limited(builder, cli)?.build()?, Some(sandbox)));
    }
    let mut builder = Jelou::builder();
    match (&cli.client_id, &cli.client_secret) {
        (Some(client_id), Some(client_secret)) => {
            builder = builder.credentials(client_id, client_secret);
        }
        // The panel's commands alone need no account credentials.
        (None, None) if cli.api_key.is_some() || cli.signing_secret.is_some() => {}
        _ => {
            return Err(Failure::usage(
                "credentials are needed: --client-id and --client-secret (or JELOU_CLIENT_ID and JELOU_CLIENT_SECRET), or --sandbox",
            ));
        }
    }
    if let Some(api_key) = &cli.api_key {
        builder = builder.api_key(api_key);
    }
    builder = with_signing_secret(builder, cli)?;
    if let Some(base_url) = &cli.base_url {
        builder = builder.base_url(base_url);
    }
    // The panel's hosts: JELOU_PANEL_BASE_URL and JELOU_PANEL_DELIVERY_BASE_URL.
    builder = builder.server_base_urls_from_env();
    Ok((rate_limited(builder, cli)?.build()?, None))
}

fn with_signing_secret(builder: JelouBuilder, cli: &Globals) -> Result<JelouBuilder, Failure> {
    let Some(secret) = &cli.signing_secret else {
        return Ok(builder);
    };
    let secret = SigningSecret::new(secret.as_str())
        .map_err(|e| Failure::usage(format!("--signing-secret (JELOU_SIGNING_SECRET): {e}")))?;
    Ok(builder.signing_secret(secret))
}

/// The shared limiter when `--redis-url` is given; the in-process one otherwise.
fn rate_limited(builder: JelouBuilder, cli: &Globals) -> Result<JelouBuilder, Failure> {
    let Some(redis_url) = &cli.redis_url else {
        if cli.redis_fallback_share.is_some() {
            return Err(Failure::usage(
                "--redis-fallback-share needs --redis-url (or JELOU_REDIS_URL)",
            ));
        }
        return Ok(builder);
    };
    let mut redis = RedisLimiter::builder(redis_url);
    if let Some(share) = cli.redis_fallback_share {
        redis = redis.if_unreachable(IfRedisUnreachable::FallBack { share });
    }
    Ok(builder.redis_rate_limiter(redis))
}

/// Where answers go: `--output`, or a table on a terminal and JSON otherwise.
fn output_format(globals: &Globals) -> OutputFormat {
    globals
        .output
        .unwrap_or(if std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Json
        })
}

async fn execute(matches: &clap::ArgMatches) -> Result<(), Failure> {
    let usage = |e: clap::Error| Failure::usage(e.to_string());
    // A command of the spec's: the operation's own flags, and the global options.
    if let Some((operation, args)) = spec_commands::matched(matches) {
        let globals = Globals::from_arg_matches(matches).map_err(usage)?;
        let (jelou, _sandbox) = connect(&globals).await?;
        return spec_commands::run(&jelou, operation, args, output_format(&globals)).await;
    }
    let cli = Cli::from_arg_matches(matches).map_err(usage)?;
    let Some(command) = cli.command else {
        return Err(Failure::usage("a command is needed; see `jelou --help`"));
    };
    match command {
        Command::Sandbox(SandboxCommand::Serve {
            addr,
            seed,
            webhook_url,
            webhook_secret,
        }) => {
            let seed = match seed {
                Some(path) => Seed::from_file(&path).map_err(Failure::usage)?,
                None => Seed::demo(),
            };
            eprintln!(
                "sandbox listening on http://{addr} (client id {:?})",
                seed.credentials.client_id
            );
            eprintln!("  JELOU_BASE_URL={}", jelou_sandbox::base_url(addr));
            for (server, base_url) in jelou_sandbox::server_base_urls(addr) {
                eprintln!("  {}={base_url}", server_env_var(server));
            }
            let mut sandbox = Sandbox::new(seed);
            if let Some(url) = webhook_url {
                let secret = SigningSecret::new(webhook_secret.unwrap_or_default())
                    .map_err(|e| Failure::usage(format!("--webhook-secret: {e}")))?;
                eprintln!("delivering its events to {url}");
                sandbox = sandbox.with_webhook(WebhookTarget::new(url, secret));
            }
            tokio::select! {
                served = sandbox.serve(addr) => served
                    .map_err(|e| Failure::usage(format!("cannot serve on {addr}: {e}"))),
                _ = tokio::signal::ctrl_c() => Ok(()),
            }
        }
        Command::Sandbox(SandboxCommand::Say { user, bot, text }) => {
            webhooks::say(&cli.globals, &user, bot.as_deref(), &text).await
        }
        Command::Webhooks(command) => webhooks::webhooks(command).await,
        Command::Completions { shell } => {
            let mut command = spec_commands::add_to(Cli::command());
            clap_complete::generate(shell, &mut command, "jelou", &mut std::io::stdout());
            Ok(())
        }
        command => {
            let format = output_format(&cli.globals);
            let (jelou, _sandbox) = connect(&cli.globals).await?;
            match command {
                Command::Messages(command) => run::messages(&jelou, command, format).await,
                Command::Cache(command) => run::cache(&jelou, command, format).await,
                Command::History(args) => run::history(&jelou, args, format).await,
                Command::Users(command) => run::users(&jelou, command, format).await,
                Command::Chat(args) => run::chat(&jelou, args, format).await,
                Command::Templates(command) => templates::templates(&jelou, command, format).await,
                Command::Campaigns(command) => templates::campaigns(&jelou, command, format).await,
                Command::Db(command) => rows::db(&jelou, command, format).await,
                Command::Demo => demo::demo(&jelou).await,
                Command::Sandbox(_) | Command::Completions { .. } | Command::Webhooks(_) => Ok(()),
            }
        }
    }
}
