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
    /// The project's API key, for the external support panel's commands (`jelou panel`);
    /// without it they use the client id and secret.
    #[arg(long, env = "JELOU_API_KEY", global = true, hide_env_values = true)]
    pub(crate) api_key: Option<String>,
    /// The panel integration's signing secret, to send its messages to users
    /// (`jelou panel message-send`).
    #[arg(
        long,
        env = "JELOU_SIGNING_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub(crate) signing_secret: Option<String>,
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
    Messages(Box<MessagesCommand>),
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
    /// WhatsApp templates (HSM): list, create, send.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Campaigns that send templates.
    #[command(subcommand)]
    Campaigns(CampaignsCommand),
    /// Datum databases and their rows.
    #[command(subcommand)]
    Db(DbCommand),
    /// Receive what Jelou sends: verify and print each delivery.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
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
    /// Send a message: a text (with options or quick replies), an image, video, audio, file
    /// or sticker, a location or an approved template.
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
    /// The message text (required for a text, options or quick replies).
    #[arg(long)]
    pub(crate) text: Option<String>,
    /// The title above the options or quick replies.
    #[arg(long)]
    pub(crate) title: Option<String>,
    /// The label of the button that opens the options.
    #[arg(long)]
    pub(crate) button_text: Option<String>,
    /// An option, `ID=TITLE[:DESCRIPTION]`; without `ID=` it has no id. Up to 10.
    #[arg(long = "option", value_name = "ID=TITLE[:DESCRIPTION]")]
    pub(crate) options: Vec<String>,
    /// A reply button (1 to 3, up to 20 characters each, all different).
    #[arg(long = "quick-reply", value_name = "TITLE", conflicts_with = "options")]
    pub(crate) quick_replies: Vec<String>,
    /// Send the image at this public https URL (JPEG or PNG, at most 5 MB).
    #[arg(long, value_name = "URL", group = "kind")]
    pub(crate) image: Option<String>,
    /// Send the video at this public https URL (MP4 or 3GP, at most 16 MB).
    #[arg(long, value_name = "URL", group = "kind")]
    pub(crate) video: Option<String>,
    /// Send the audio at this public https URL (AAC, MP4, MPEG, AMR or OGG, at most 16 MB).
    #[arg(long, value_name = "URL", group = "kind")]
    pub(crate) audio: Option<String>,
    /// Send the document at this public https URL (text, PDF or Office, at most 100 MB).
    #[arg(long, value_name = "URL", group = "kind")]
    pub(crate) file: Option<String>,
    /// Send the sticker at this public https URL (WebP, at most 100 KB).
    #[arg(long, value_name = "URL", group = "kind")]
    pub(crate) sticker: Option<String>,
    /// The caption of an image, video or file.
    #[arg(long)]
    pub(crate) caption: Option<String>,
    /// The name a file is shown with.
    #[arg(long, requires = "file")]
    pub(crate) filename: Option<String>,
    /// Send a location, `LATITUDE,LONGITUDE` in decimal degrees.
    #[arg(
        long,
        value_name = "LAT,LONG",
        group = "kind",
        allow_hyphen_values = true
    )]
    pub(crate) location: Option<String>,
    /// Send the approved template with this id (it reaches the user outside the 24 hours).
    #[arg(long, value_name = "TEMPLATE_ID", group = "kind")]
    pub(crate) template: Option<String>,
    /// A template variable, `NAME=VALUE`.
    #[arg(long = "param", value_name = "NAME=VALUE", requires = "template")]
    pub(crate) params: Vec<String>,
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
        /// Deliver the sandbox's events (message deliveries, users' messages) to this URL,
        /// signed with --webhook-secret as Jelou signs them.
        #[arg(long, requires = "webhook_secret")]
        webhook_url: Option<String>,
        /// The secret the deliveries are signed with.
        #[arg(long, env = "JELOU_SIGNING_SECRET", hide_env_values = true)]
        webhook_secret: Option<String>,
    },
    /// Tell a running sandbox (at --base-url) that a user wrote to the bot: the message joins
    /// the history and the sandbox delivers a `message` event to its webhook.
    Say {
        /// The user, a phone number without `+`.
        #[arg(long)]
        user: String,
        /// The bot [default: the demo bot].
        #[arg(long)]
        bot: Option<String>,
        /// What the user wrote.
        text: String,
    },
}

/// `jelou templates …`
#[derive(Debug, Subcommand)]
pub(crate) enum TemplatesCommand {
    /// List a bot's templates.
    List {
        /// The bot.
        #[arg(long)]
        bot: String,
        /// Only those in this state: PENDING, REJECTED, APPROVED (also DELETED, DISABLED).
        #[arg(long)]
        status: Option<String>,
        /// Only those of this category: UTILITY, MARKETING, AUTHENTICATION.
        #[arg(long)]
        category: Option<String>,
        /// Only those whose name contains this text.
        #[arg(long)]
        query: Option<String>,
    },
    /// Create a text template (`PENDING` until WhatsApp approves it).
    Create {
        /// The bot.
        #[arg(long)]
        bot: String,
        /// The template's unique name: lowercase letters, digits and `_`.
        #[arg(long)]
        name: String,
        /// The name operators see [default: the name].
        #[arg(long)]
        display_name: Option<String>,
        /// UTILITY, MARKETING or AUTHENTICATION.
        #[arg(long)]
        category: String,
        /// The language, such as `es`.
        #[arg(long)]
        language: String,
        /// The body, with placeholders `{{1}}`, `{{2}}`, …
        #[arg(long)]
        text: String,
        /// A placeholder, in order, `LABEL=EXAMPLE`.
        #[arg(long = "param", value_name = "LABEL=EXAMPLE")]
        params: Vec<String>,
        /// Submit it to WhatsApp for approval.
        #[arg(long)]
        submit: bool,
    },
    /// Send an approved template to one or more numbers.
    Send {
        /// The sending bot.
        #[arg(long)]
        bot: String,
        /// The template's name.
        #[arg(long)]
        name: String,
        /// A destination, a phone number with its country code and no `+`.
        #[arg(long, required = true, value_name = "NUMBER")]
        to: Vec<String>,
        /// The template's language, such as `es`.
        #[arg(long)]
        language: Option<String>,
        /// The value of the next placeholder, in order.
        #[arg(long = "param", value_name = "VALUE")]
        params: Vec<String>,
    },
}

/// `jelou campaigns …`
#[derive(Debug, Subcommand)]
pub(crate) enum CampaignsCommand {
    /// List a bot's campaigns between two days.
    List {
        /// The bot.
        #[arg(long)]
        bot: String,
        /// The first day, `YYYY-MM-DD`.
        #[arg(long)]
        from: String,
        /// The last day, `YYYY-MM-DD`.
        #[arg(long)]
        to: String,
        /// Only those in this state: COMPLETED, PENDING, IN_PROGRESS, SCHEDULED.
        #[arg(long)]
        status: Option<String>,
        /// Only those of this template.
        #[arg(long)]
        template: Option<String>,
        /// Campaigns per page, 1 to 50 [default: 10].
        #[arg(long)]
        limit: Option<u32>,
        /// The page to print.
        #[arg(long, default_value_t = 1)]
        page: u32,
    },
}

/// `jelou db …`
#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// List the account's databases, with their schemas.
    List,
    /// Read and write a database's rows.
    #[command(subcommand)]
    Rows(RowsCommand),
}

/// `jelou db rows …`
#[derive(Debug, Subcommand)]
pub(crate) enum RowsCommand {
    /// Print one page of rows.
    List {
        /// The database.
        #[arg(long)]
        database: String,
        /// Rows per page.
        #[arg(long)]
        limit: Option<u32>,
        /// The page to print.
        #[arg(long, default_value_t = 1)]
        page: u32,
    },
    /// Insert a row (the database's required fields must be given).
    Create {
        /// The database.
        #[arg(long)]
        database: String,
        /// A field, `NAME=VALUE` (as text).
        #[arg(long = "field", value_name = "NAME=VALUE", required = true)]
        fields: Vec<String>,
    },
    /// Print one row.
    Get {
        /// The database.
        #[arg(long)]
        database: String,
        /// The row's `_id`.
        #[arg(long)]
        row: String,
    },
    /// Change some of a row's fields.
    Update {
        /// The database.
        #[arg(long)]
        database: String,
        /// The row's `_id`.
        #[arg(long)]
        row: String,
        /// A field, `NAME=VALUE` (as text).
        #[arg(long = "field", value_name = "NAME=VALUE", required = true)]
        fields: Vec<String>,
    },
    /// Delete a row.
    Delete {
        /// The database.
        #[arg(long)]
        database: String,
        /// The row's `_id`.
        #[arg(long)]
        row: String,
    },
    /// Write rows as JSON Lines, one row a line; run again with the same --out to resume.
    #[command(group = clap::ArgGroup::new("from").required(true).args(["all", "page"]))]
    Export {
        /// The database.
        #[arg(long)]
        database: String,
        /// Every page, from the first.
        #[arg(long)]
        all: bool,
        /// Every page from this one on.
        #[arg(long)]
        page: Option<u32>,
        /// Rows per page.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Write to this file instead of stdout; run again to resume.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `jelou webhooks …`
#[derive(Debug, Subcommand)]
pub(crate) enum WebhooksCommand {
    /// Listen for deliveries, verify each signature and print each event as one JSON line (a
    /// readable line on a terminal); a bad signature is answered 401 and reported on stderr.
    Listen {
        /// The port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// The integration's signing secret.
        #[arg(long, env = "JELOU_SIGNING_SECRET", hide_env_values = true)]
        secret: String,
        /// The largest body accepted, in bytes.
        #[arg(long, default_value_t = jelou_webhooks::DEFAULT_BODY_LIMIT)]
        max_body: usize,
    },
}
