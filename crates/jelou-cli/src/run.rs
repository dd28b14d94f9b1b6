//! Each command, as calls through `jelou-ext`.

use jelou_ext::types::{FilterMatch, SortOrder, UserSortField};
use jelou_ext::{
    Attributes, ChatInput, HistoryQuery, Jelou, ListOption, Message, NewUser, UserQuery,
};
use serde_json::{Map, Value};

use crate::args::{
    CacheCommand, ChatArgs, HistoryArgs, MessagesCommand, OutputFormat, SendArgs, UserStateCommand,
    UsersCommand,
};
use crate::export::export;
use crate::failure::Failure;
use crate::output::print;

/// `KEY=VALUE`, or a usage failure naming the option.
pub(crate) fn pair<'a>(option: &str, text: &'a str) -> Result<(&'a str, &'a str), Failure> {
    text.split_once('=')
        .ok_or_else(|| Failure::usage(format!("{option} must be KEY=VALUE, got {text:?}")))
}

fn attributes(option: &str, pairs: &[String]) -> Result<Attributes, Failure> {
    pairs.iter().map(|p| pair(option, p)).collect()
}

/// `ID=TITLE[:DESCRIPTION]`; without `ID=` the option has no id.
pub(crate) fn list_option(text: &str) -> ListOption {
    let (id, rest) = match text.split_once('=') {
        Some((id, rest)) => (Some(id), rest),
        None => (None, text),
    };
    let (title, description) = match rest.split_once(':') {
        Some((title, description)) => (title, Some(description)),
        None => (rest, None),
    };
    let mut option = ListOption::new(title);
    if let Some(id) = id {
        option = option.id(id);
    }
    if let Some(description) = description {
        option = option.description(description);
    }
    option
}

pub(crate) async fn messages(
    jelou: &Jelou,
    command: Box<MessagesCommand>,
    format: OutputFormat,
) -> Result<(), Failure> {
    let MessagesCommand::Send(args) = *command;
    let message = message_from(&args)?;
    print(
        format,
        "message_send",
        &jelou.send_message(&args.bot, &message).await?,
    )
}

/// A media message's constructor: `Message::image` and its siblings.
type MediaKind = fn(&str, &str) -> Message;

/// The message `messages send` describes: the kind its flags name, a text otherwise.
pub(crate) fn message_from(args: &SendArgs) -> Result<Message, Failure> {
    let user = args.user.as_str();
    let media: [(&Option<String>, MediaKind); 5] = [
        (&args.image, |user, url| Message::image(user, url)),
        (&args.video, |user, url| Message::video(user, url)),
        (&args.audio, |user, url| Message::audio(user, url)),
        (&args.file, |user, url| Message::file(user, url)),
        (&args.sticker, |user, url| Message::sticker(user, url)),
    ];
    let mut message = if let Some((url, kind)) = media
        .iter()
        .find_map(|(url, kind)| url.as_deref().map(|url| (url, kind)))
    {
        let mut message = kind(user, url);
        if let Some(caption) = args.caption.as_deref().or(args.text.as_deref()) {
            message = message.caption(caption);
        }
        if let Some(filename) = &args.filename {
            message = message.filename(filename);
        }
        message
    } else if let Some(location) = &args.location {
        let (latitude, longitude) = coordinates(location)?;
        Message::location(user, latitude, longitude)
    } else if let Some(template) = &args.template {
        let mut message = Message::template(user, template);
        for param in &args.params {
            let (name, value) = param.split_once('=').ok_or_else(|| {
                Failure::usage(format!("--param must be NAME=VALUE, got {param:?}"))
            })?;
            message = message.parameter(name, value);
        }
        message
    } else {
        let text = args.text.as_deref().ok_or_else(|| {
            Failure::usage(
                "--text is required unless --image, --video, --audio, --file, --sticker, \
                 --location or --template says what to send",
            )
        })?;
        if args.quick_replies.is_empty() {
            let mut message = Message::text(user, text);
            if let Some(label) = &args.button_text {
                message = message.button_text(label);
            }
            for option in &args.options {
                message = message.option(list_option(option));
            }
            message
        } else {
            args.quick_replies
                .iter()
                .fold(Message::quick_reply(user, text), |m, title| m.reply(title))
        }
    };
    if let Some(title) = &args.title {
        message = message.title(title);
    }
    Ok(message)
}

/// `LATITUDE,LONGITUDE` in decimal degrees.
fn coordinates(text: &str) -> Result<(f64, f64), Failure> {
    let parsed = text.split_once(',').and_then(|(lat, long)| {
        Some((
            lat.trim().parse::<f64>().ok()?,
            long.trim().parse::<f64>().ok()?,
        ))
    });
    parsed.ok_or_else(|| {
        Failure::usage(format!(
            "--location must be LATITUDE,LONGITUDE in decimal degrees (such as -0.18,-78.47), got {text:?}"
        ))
    })
}

pub(crate) async fn cache(
    jelou: &Jelou,
    command: CacheCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        CacheCommand::Get { user, bot } => print(
            format,
            "cache_get",
            &jelou.get_cache(&user, bot.as_deref()).await?,
        ),
        CacheCommand::Set { user, bot, pairs } => {
            let params: Map<String, Value> = pairs
                .iter()
                .map(|p| pair("KEY=VALUE", p).map(|(k, v)| (k.to_owned(), Value::from(v))))
                .collect::<Result<_, _>>()?;
            print(
                format,
                "cache_set",
                &jelou.set_cache(&user, &bot, params).await?,
            )
        }
    }
}

pub(crate) async fn history(
    jelou: &Jelou,
    args: HistoryArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let query = HistoryQuery {
        limit: args.limit,
        page: args.page,
        start_at: args.start_at,
        end_at: args.end_at,
        client_id: args.client,
        message_id: args.message_id,
    };
    if args.all {
        // Checked here too, so that a bad query fails before a file is touched.
        query
            .validate()
            .map_err(|e| Failure::from(jelou_ext::Error::Validation(e)))?;
        export(jelou, &args.bot, query, args.out.as_deref()).await
    } else {
        print(
            format,
            "history_list",
            &jelou.history_page(&args.bot, &query).await?,
        )
    }
}

fn parse_enum<T: serde::de::DeserializeOwned>(value: Option<String>) -> Option<T> {
    value.and_then(|v| serde_json::from_value(Value::String(v)).ok())
}

pub(crate) async fn users(
    jelou: &Jelou,
    command: UsersCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        UsersCommand::Create {
            user_id,
            attributes: pairs,
            segments,
        } => {
            let attributes = attributes("--attr", &pairs)?;
            let mut user = match user_id {
                Some(user_id) => NewUser::with_user_id(user_id, attributes),
                None => NewUser::with_attributes(attributes),
            };
            for segment in segments {
                user = user.segment(segment);
            }
            print(format, "user_create", &jelou.create_user(&user).await?)
        }
        UsersCommand::List {
            limit,
            after,
            sort_field,
            sort_order,
            match_,
            filters,
        } => {
            let filters = filters
                .iter()
                .map(|f| {
                    serde_json::from_str::<Value>(f).map_err(|e| {
                        Failure::usage(format!("--filter must be a JSON object, got {f:?}: {e}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let query = UserQuery {
                limit,
                after,
                sort_field: parse_enum::<UserSortField>(sort_field),
                sort_order: parse_enum::<SortOrder>(sort_order),
                match_: parse_enum::<FilterMatch>(match_),
                filters,
            };
            print(format, "user_list", &jelou.list_users(&query).await?)
        }
        UsersCommand::Get { id } => print(format, "user_get", &jelou.get_user(&id).await?),
        UsersCommand::Update {
            id,
            attributes: pairs,
        } => print(
            format,
            "user_update",
            &jelou
                .update_user(&id, &attributes("--attr", &pairs)?)
                .await?,
        ),
        UsersCommand::Session {
            id,
            session,
            attributes: pairs,
        } => {
            let attributes = attributes("--attr", &pairs)?;
            print(
                format,
                "user_session_update",
                &jelou.update_session(&id, &session, &attributes).await?,
            )
        }
        UsersCommand::State(UserStateCommand::Get { phone }) => print(
            format,
            "user_state_get",
            &jelou
                .send(jelou.raw().user_state_get().user_id(phone))
                .await?,
        ),
        UsersCommand::State(UserStateCommand::Set {
            phone,
            bot,
            state,
            ttl,
        }) => {
            let mut change = serde_json::json!({ "botId": bot, "userId": phone, "state": state });
            if let Some(ttl) = ttl {
                change["ttl"] = Value::from(ttl);
            }
            let request = jelou_ext::JsonRequest::new().body(change);
            print(
                format,
                "user_state_set",
                &jelou.send_json("user_state_set", request).await?,
            )
        }
    }
}

pub(crate) async fn chat(
    jelou: &Jelou,
    args: ChatArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let mut input = ChatInput::new(args.session);
    if let Some(query) = args.query {
        input = input.query(query);
    }
    if let Some(trigger) = args.trigger {
        input = input.trigger(trigger);
    }
    if let Some(goto) = args.goto {
        input = input.goto(goto);
    }
    if let Some(confidence) = args.confidence {
        input = input.confidence(confidence);
    }
    if let Some(lifespan) = args.lifespan {
        input = input.lifespan(lifespan);
    }
    if args.reset {
        input = input.reset(true);
    }
    if let Some(story_id) = args.story_id {
        input = input.story_id(story_id);
    }
    for parameter in &args.parameters {
        let (key, value) = pair("--param", parameter)?;
        input = input.parameter(key, value);
    }
    if args.debug {
        input = input.debug(true);
    }
    print(format, "chat_query", &jelou.chat(&input).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_take_an_optional_id_and_description() {
        let message = Message::text("u", "t")
            .option(list_option("a=Uno:La primera"))
            .option(list_option("Dos"))
            .option(list_option("c=Tres"));
        let json = serde_json::to_value(&message).expect("serializes");
        assert_eq!(
            json["options"],
            serde_json::json!([
                {"id": "a", "title": "Uno", "description": "La primera"},
                {"title": "Dos"},
                {"id": "c", "title": "Tres"}
            ])
        );
    }

    /// The message `jelou messages send --bot b --user u ARGS…` builds.
    fn sent(args: &[&str]) -> Result<serde_json::Value, String> {
        use clap::Parser;
        let mut line = vec!["jelou", "messages", "send", "--bot", "b", "--user", "u"];
        line.extend_from_slice(args);
        let cli = crate::args::Cli::try_parse_from(line).map_err(|e| e.to_string())?;
        let Some(crate::args::Command::Messages(command)) = cli.command else {
            return Err("not messages send".into());
        };
        let MessagesCommand::Send(send) = *command;
        let message = message_from(&send).map_err(|f| f.to_string())?;
        message.validate().map_err(|e| e.to_string())?;
        Ok(message.to_json())
    }

    #[test]
    fn each_kind_of_message_has_its_flags() {
        let json = |args: &[&str]| sent(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(
            json(&["--image", "https://e.com/a.png", "--caption", "Foto"]),
            serde_json::json!({"type": "image", "userId": "u", "mediaUrl": "https://e.com/a.png", "text": "Foto"})
        );
        assert_eq!(
            json(&["--file", "https://e.com/a.pdf", "--filename", "a.pdf"])["filename"],
            "a.pdf"
        );
        for kind in ["video", "audio", "sticker"] {
            let flag = format!("--{kind}");
            assert_eq!(json(&[&flag, "https://e.com/x"])["type"], kind);
        }
        assert_eq!(
            json(&[
                "--text",
                "¿Seguimos?",
                "--quick-reply",
                "Sí",
                "--quick-reply",
                "No"
            ]),
            serde_json::json!({"type": "quick_reply", "userId": "u", "text": "¿Seguimos?",
                "quick_replies": [{"title": "Sí"}, {"title": "No"}]})
        );
        assert_eq!(
            json(&["--location", "-0.18,-78.47"])["coordinates"],
            serde_json::json!({"lat": -0.18, "long": -78.47})
        );
        assert_eq!(
            json(&["--template", "T1", "--param", "nombre=Ana"]),
            serde_json::json!({"type": "template", "userId": "u", "templateId": "T1",
                "parameters": {"nombre": "Ana"}})
        );
        assert_eq!(json(&["--text", "hola"])["type"], "text");
    }

    #[test]
    fn a_message_without_what_to_send_or_with_two_kinds_is_a_usage_error() {
        let missing = sent(&[]).expect_err("nothing to send");
        assert!(missing.contains("--text is required"), "{missing}");
        let two =
            sent(&["--image", "https://e.com/a.png", "--location", "1,2"]).expect_err("two kinds");
        assert!(two.contains("cannot be used with"), "{two}");
        let bad = sent(&["--location", "north"]).expect_err("not coordinates");
        assert!(
            bad.contains("LATITUDE,LONGITUDE") && bad.contains("north"),
            "{bad}"
        );
        let far = sent(&["--location", "91,0"]).expect_err("off the globe");
        assert!(
            far.contains("coordinates.lat") && far.contains("91"),
            "{far}"
        );
        let http = sent(&["--image", "http://e.com/a.png"]).expect_err("not https");
        assert!(http.contains("mediaUrl"), "{http}");
        let four = sent(&[
            "--text",
            "t",
            "--quick-reply",
            "a",
            "--quick-reply",
            "b",
            "--quick-reply",
            "c",
            "--quick-reply",
            "d",
        ])
        .expect_err("four buttons");
        assert!(
            four.contains("quick_replies") && four.contains("1 to 3"),
            "{four}"
        );
    }
}
