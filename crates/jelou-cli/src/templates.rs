//! `jelou templates …` and `jelou campaigns list`: WhatsApp templates, their sends and the
//! campaigns that send them.

use jelou_ext::{Jelou, JsonRequest, TemplateSend};
use serde_json::{Value, json};

use crate::args::{CampaignsCommand, OutputFormat, TemplatesCommand};
use crate::failure::Failure;
use crate::output::print;

/// `LABEL=EXAMPLE` pairs as a new template's placeholders `{{1}}`, `{{2}}`, … in order.
fn placeholders(pairs: &[String]) -> Result<Vec<Value>, Failure> {
    pairs
        .iter()
        .enumerate()
        .map(|(n, pair)| {
            let (label, example) = pair.split_once('=').ok_or_else(|| {
                Failure::usage(format!("--param must be LABEL=EXAMPLE, got {pair:?}"))
            })?;
            Ok(json!({"param": (n + 1).to_string(), "label": label, "example": example}))
        })
        .collect()
}

pub(crate) async fn templates(
    jelou: &Jelou,
    command: TemplatesCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    match command {
        TemplatesCommand::List {
            bot,
            status,
            category,
            query,
        } => {
            let mut request = JsonRequest::new().path("botId", bot);
            for (name, value) in [("status", status), ("category", category), ("query", query)] {
                if let Some(value) = value {
                    request = request.query(name, value);
                }
            }
            print(
                format,
                "template_list",
                &jelou.send_json("template_list", request).await?,
            )
        }
        TemplatesCommand::Create {
            bot,
            name,
            display_name,
            category,
            language,
            text,
            params,
            submit,
        } => {
            let params = placeholders(&params)?;
            let body = json!({
                "elementName": name,
                "displayName": display_name.unwrap_or_else(|| name.clone()),
                "category": category,
                "language": language,
                "template": text,
                "paramsNumber": params.len(),
                "params": params,
                "type": "HSM",
                "interactiveAction": "NONE",
            });
            let mut request = JsonRequest::new().path("botId", bot).body(body);
            if submit {
                request = request.query("sendToAprove", "true");
            }
            print(
                format,
                "template_create",
                &jelou.send_json("template_create", request).await?,
            )
        }
        TemplatesCommand::Send {
            bot,
            name,
            to,
            language,
            params,
        } => {
            let mut send = TemplateSend::new(name);
            for number in to {
                send = send.to(number);
            }
            if let Some(language) = language {
                send = send.language(language);
            }
            for value in params {
                send = send.parameter(value);
            }
            print(format, "hsm_send", &jelou.send_template(&bot, &send).await?)
        }
    }
}

pub(crate) async fn campaigns(
    jelou: &Jelou,
    command: CampaignsCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    let CampaignsCommand::List {
        bot,
        from,
        to,
        status,
        template,
        limit,
        page,
    } = command;
    let mut request = JsonRequest::new()
        .query("botId", bot)
        .query("startAt", from)
        .query("endAt", to)
        .query("page", page.to_string());
    for (name, value) in [
        ("status", status),
        ("elementName", template),
        ("limit", limit.map(|l| l.to_string())),
    ] {
        if let Some(value) = value {
            request = request.query(name, value);
        }
    }
    print(
        format,
        "campaign_list",
        &jelou.send_json("campaign_list", request).await?,
    )
}
