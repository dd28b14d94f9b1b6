//! The command line, as clap parses it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The Jelou API from the command line: messages, cache, history, users and chat.
#[derive(Debug, Parser)]
#[command(
    name = "jelou",
    version,
    about,
    propagate_version = true,
    subcommand_required = true
)]
pub(crate) struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub(crate) globals: Globals,
    /// What to do; `None` for a command of the spec's (`jelou api …`), parsed apart.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Options every command takes: where the API is, the credentials, the shared limit, the
/// output.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Globals {
    /// The API's base URL.
    #[arg(long, env = "JELOU_BASE_URL", global = true)]
    pub(crate) base_url: Option<String>,
    /// The account's client id.
    #[arg(long, env = "JELOU_CLIENT_ID", global = true)]
    pub(crate) client_id: Option<String>,
    /// The account's client secret.
    #[arg(
        long,
        env = "JELOU_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub(crate) client_secret: Option<String>,
    /// Share the account's rate limit with every `jelou` (and SDK) process using this Redis,
    /// e.g. redis://127.0.0.1:6379/0. Without it the limit is kept by this process alone.
    #[arg(long, env = "JELOU_REDIS_URL", global = true, hide_env_values = true)]
    pub(crate) redis_url: Option<String>,
    /// While Redis is unreachable, go on at this share of the limit (above 0, at most 1)
    /// instead of failing. With k processes, 1/k keeps them within the limit together.
    #[arg(long, env = "JELOU_REDIS_FALLBACK_SHARE", global = true)]
    pub(crate) redis_fallback_share: Option<f64>,
    /// Start a sandbox with demo data in this process and talk to it instead of the API.
    #[arg(long, global = true)]
    pub(crate) sandbox: bool,
    /// How answers are printed: a table on a terminal, JSON otherwise.
    #[arg(long, value_enum, global = true)]
    pub(crate) output: Option<OutputFormat>,
}

/// How answers are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// JSON, one document per answer.
    Json,
    /// Aligned `field  value` rows.
    Table,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Send messages.
    #[command(subcommand)]
    Messages(MessagesCommand),
    /// Read and write a user's cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// A bot's chat history.
    History(HistoryArgs),
    /// Manage users and their sessions.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Send input to the bot and print its answer.
    Chat(ChatArgs),
    /// Run the local sandbox of the API.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// A guided tour: calls every operation once and says what happened.
    Demo,
    /// Print shell completions for `jelou` (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MessagesCommand {
    /// Send a text message, optionally with a list of options.
    Send(SendArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The sending bot.
    #[arg(long)]
    pub(crate) bot: String,
    /// The recipient (a phone number without `+`).
    #[arg(long)]
    pub(crate) user: String,
    /// The message text.
    #[arg(long)]
    pub(crate) text: String,
    /// The title above the options.
    #[arg(long)]
    pub(crate) title: Option<String>,
    /// The label of the button that opens the options.
    #[arg(long)]
    pub(crate) button_text: Option<String>,
    /// An option, `ID=TITLE[:DESCRIPTION]`; without `ID=` it has no id. Up to 10.
    #[arg(long = "option", value_name = "ID=TITLE[:DESCRIPTION]")]
    pub(crate) options: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CacheCommand {
    /// Print a user's cache.
    Get {
        /// The user (a phone number without `+`).
        #[arg(long)]
        user: String,
        /// Only this bot's cache.
        #[arg(long)]
        bot: Option<String>,
    },
    /// Merge keys into a user's cache for a bot.
    Set {
        /// The user (a phone number without `+`).
        #[arg(long)]
        user: String,
        /// The bot.
        #[arg(long)]
        bot: String,
        /// `KEY=VALUE` pairs; values are strings.
        #[arg(value_name = "KEY=VALUE", required = true)]
        pairs: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The bot.
    #[arg(long)]
    pub(crate) bot: String,
    /// Start of the date range (ISO 8601).
    #[arg(long)]
    pub(crate) start_at: Option<String>,
    /// End of the date range (ISO 8601).
    #[arg(long)]
    pub(crate) end_at: Option<String>,
    /// Only this client's (user's) messages.
    #[arg(long)]
    pub(crate) client: Option<String>,
    /// Only this message.
    #[arg(long)]
    pub(crate) message_id: Option<String>,
    /// Messages per page, 1 to 50 [default: 10 for one page, 50 with --all]
    #[arg(long)]
    pub(crate) limit: Option<u32>,
    /// The page to print.
    #[arg(long, default_value_t = 1, conflicts_with = "all")]
    pub(crate) page: u32,
    /// Follow every page and write JSON Lines (one message per line).
    #[arg(long)]
    pub(crate) all: bool,
    /// With `--all`: write to this file instead of stdout; run again to resume.
    #[arg(long, requires = "all")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Create a user (or update the one with the same userId).
    Create {
        /// The user's id in your system; needed unless `--attr default_email=…` is given.
        #[arg(long)]
        user_id: Option<String>,
        /// An attribute, `KEY=VALUE`.
        #[arg(long = "attr", value_name = "KEY=VALUE", required = true)]
        attributes: Vec<String>,
        /// A segment id (24 characters) to add the user to.
        #[arg(long = "segment")]
        segments: Vec<String>,
    },
    /// List users, one page.
    List {
        /// Users per page, 1 to 40.
        #[arg(long)]
        limit: Option<u32>,
        /// Start after this user id.
        #[arg(long)]
        after: Option<String>,
        /// Sort by this field.
        #[arg(long, value_parser = ["createdAt", "lastSeen"])]
        sort_field: Option<String>,
        /// Sort order.
        #[arg(long, value_parser = ["asc", "desc"])]
        sort_order: Option<String>,
        /// Whether users must match all filters or any.
        #[arg(long = "match", value_parser = ["all", "any"])]
        match_: Option<String>,
        /// A filter as a JSON object, e.g. `{"field":"default_city","value":"Quito"}`.
        #[arg(long = "filter")]
        filters: Vec<String>,
    },
    /// Print one user.
    Get {
        /// The user's 24-character id.
        id: String,
    },
    /// Set a user's attributes.
    Update {
        /// The user's 24-character id.
        id: String,
        /// An attribute, `KEY=VALUE`.
        #[arg(long = "attr", value_name = "KEY=VALUE", required = true)]
        attributes: Vec<String>,
    },
    /// Set the attributes of a user's session.
    Session {
        /// The user's 24-character id.
        id: String,
        /// The session id (10 to 64 characters).
        #[arg(long)]
        session: String,
        /// An attribute, `KEY=VALUE`.
        #[arg(long = "attr", value_name = "KEY=VALUE", required = true)]
        attributes: Vec<String>,
    },
    /// Whether the bot or a person answers a user: read it, or hand the conversation over.
    #[command(subcommand)]
    State(UserStateCommand),
}

/// `jelou users state …`
#[derive(Debug, Subcommand)]
pub(crate) enum UserStateCommand {
    /// Print the user's state: `auto` (the bot answers) or `manual` (a person does).
    Get {
        /// The user's phone number, without `+`.
        phone: String,
    },
    /// Switch the user to `manual` (the bot stops answering; reply with `messages send`)
    /// or back to `auto`.
    Set {
        /// The user's phone number, without `+`.
        phone: String,
        /// The bot the conversation is with.
        #[arg(long)]
        bot: String,
        /// The state wanted.
        #[arg(long, value_parser = ["manual", "auto"])]
        state: String,
        /// Seconds the manual state lasts before the bot takes over again.
        #[arg(long)]
        ttl: Option<f64>,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("input").required(true).args(["query", "trigger", "goto"])))]
pub(crate) struct ChatArgs {
    /// The session (10 to 64 characters).
    #[arg(long)]
    pub(crate) session: String,
    /// Free text from the user.
    #[arg(long)]
    pub(crate) query: Option<String>,
    /// A trigger to fire.
    #[arg(long)]
    pub(crate) trigger: Option<String>,
    /// An interaction id (24 characters) to go to.
    #[arg(long)]
    pub(crate) goto: Option<String>,
    /// Minimum confidence, 0.1 to 1.0.
    #[arg(long)]
    pub(crate) confidence: Option<f64>,
    /// Turns the context lives, 1 to 10.
    #[arg(long)]
    pub(crate) lifespan: Option<u8>,
    /// Reset the session's context first.
    #[arg(long)]
    pub(crate) reset: bool,
    /// The story to use (24 characters).
    #[arg(long)]
    pub(crate) story_id: Option<String>,
    /// A parameter, `KEY=VALUE`.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub(crate) parameters: Vec<String>,
    /// Ask for debugging information.
    #[arg(long)]
    pub(crate) debug: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SandboxCommand {
    /// Serve the sandbox until interrupted.
    Serve {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: SocketAddr,
        /// A seed file (JSON); the demo data otherwise.
        #[arg(long)]
        seed: Option<PathBuf>,
    },
}
