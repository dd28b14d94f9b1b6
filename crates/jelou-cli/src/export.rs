//! `jelou history --all`: every page as JSON Lines, with progress, resumable from its file.
//!
//! Resuming relies on the file alone: its complete lines are the messages already written
//! (a line cut short by an interruption is dropped), so the export restarts at the page that
//! holds the next message and skips the ids it already has. The history is read oldest first,
//! so a message is never written twice and none is left out.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use jelou_ext::{HistoryQuery, Jelou, MAX_HISTORY_LIMIT};
use serde_json::Value;

use crate::failure::Failure;

/// What an earlier, interrupted export left in its file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    /// Complete lines (messages) in the file.
    pub(crate) lines: u64,
    /// Their message ids.
    pub(crate) ids: HashSet<String>,
    /// Where the complete lines end: anything after is a cut line to drop.
    pub(crate) valid_len: u64,
}

/// Reads what an earlier export wrote to `file`: lines whose `key` field is their id, written by
/// `command`.
pub(crate) fn read_resume(
    file: &mut File,
    path: &Path,
    key: &str,
    command: &str,
) -> Result<Resume, Failure> {
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let complete = text.rfind('\n').map_or(0, |end| end + 1);
    let mut resume = Resume {
        valid_len: complete as u64,
        ..Resume::default()
    };
    for (number, line) in text[..complete].lines().enumerate() {
        let id = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|m| m.get(key)?.as_str().map(str::to_owned))
            .ok_or_else(|| {
                Failure::usage(format!(
                    "{} line {} has no {key}: it was not written by `{command}`; refusing to append to it",
                    path.display(),
                    number + 1
                ))
            })?;
        resume.ids.insert(id);
        resume.lines += 1;
    }
    Ok(resume)
}

pub(crate) fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} pages, {msg} [{elapsed_precise}, ETA {eta}] {wide_bar}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Where an export writes: stdout, or `out` resumed from what it already holds (a cut last
/// line dropped).
pub(crate) fn open_sink(
    out: Option<&Path>,
    key: &str,
    command: &str,
) -> Result<(Box<dyn Write>, Resume), Failure> {
    match out {
        None => Ok((Box::new(std::io::stdout().lock()), Resume::default())),
        Some(path) => {
            let mut file = OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .open(path)
                .map_err(|e| Failure::usage(format!("cannot open {}: {e}", path.display())))?;
            let resume = read_resume(&mut file, path, key, command)?;
            file.set_len(resume.valid_len)
                .and_then(|()| file.seek(SeekFrom::End(0)).map(drop))
                .map_err(|e| Failure::internal(format!("cannot trim {}: {e}", path.display())))?;
            Ok((Box::new(BufWriter::new(file)), resume))
        }
    }
}

/// One page of an export: its items, its number and the count of pages.
pub(crate) struct Page {
    pub(crate) items: Vec<Item>,
    pub(crate) number: u64,
    pub(crate) total_pages: u64,
}

/// One item of a page, as its source writes it.
pub(crate) struct Item {
    /// Its id, to write it once; an item without one is always written.
    pub(crate) id: Option<String>,
    /// Its line of JSON.
    pub(crate) line: String,
}

/// What an export reads and writes.
pub(crate) struct Export<'a> {
    /// The file to write, resumed from what it holds; stdout without one.
    pub(crate) out: Option<&'a Path>,
    /// The field of an item that is its id.
    pub(crate) key: &'a str,
    /// The command that writes such files, for the refusal of a file it did not write.
    pub(crate) command: &'a str,
    /// What the items are, for the progress line (`messages`, `rows`).
    pub(crate) noun: &'a str,
    /// The page size of this run, which need not be the one that wrote the file: the file
    /// counts items, and whole pages of this size are skipped.
    pub(crate) limit: u32,
    /// The first page asked for.
    pub(crate) first_page: u32,
}

/// Writes every item of the pages `pages_from(start page)` reads, one JSON object a line,
/// flushed after each page. Rerun with the same `out`, it starts after the whole pages its
/// lines already hold and skips the ids it already has: no item is written twice.
pub(crate) async fn export_pages<'a, S>(
    export: Export<'_>,
    pages_from: impl FnOnce(u32) -> S,
) -> Result<(), Failure>
where
    S: futures_util::Stream<Item = Result<Page, Failure>> + 'a,
{
    let (mut sink, resume) = open_sink(export.out, export.key, export.command)?;
    let limit = u64::from(export.limit.max(1));
    let first_page = export.first_page.max(1);
    let skipped_pages = u32::try_from(resume.lines / limit).unwrap_or(u32::MAX);
    let mut seen = resume.ids;
    let mut written = resume.lines;

    let bar = progress_bar();
    let started = std::time::Instant::now();
    let mut pages = Box::pin(pages_from(first_page.saturating_add(skipped_pages)));
    while let Some(page) = pages.next().await {
        let page = page?;
        // Counts from the server are shown as they come; an odd one only skews the bar.
        let before_first = u64::from(first_page) - 1;
        bar.set_length(page.total_pages.saturating_sub(before_first));
        bar.set_position(page.number.saturating_sub(before_first));
        for item in page.items {
            if let Some(id) = item.id
                && !seen.insert(id)
            {
                continue;
            }
            writeln!(sink, "{}", item.line)
                .map_err(|e| Failure::internal(format!("cannot write: {e}")))?;
            written += 1;
        }
        sink.flush()
            .map_err(|e| Failure::internal(format!("cannot write: {e}")))?;
        let rate = written as f64 / started.elapsed().as_secs_f64().max(0.001);
        bar.set_message(format!(
            "{written} {}, {rate:.1} {}/s",
            export.noun, export.noun
        ));
    }
    bar.finish_and_clear();
    if let Some(path) = export.out {
        eprintln!("{written} {} in {}", export.noun, path.display());
    }
    Ok(())
}

/// Writes every message of the history from the query on, to `out` or stdout.
pub(crate) async fn export(
    jelou: &Jelou,
    bot: &str,
    query: HistoryQuery,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let export = Export {
        out,
        key: "messageId",
        command: "jelou history --all",
        noun: "messages",
        limit: query.limit.unwrap_or(MAX_HISTORY_LIMIT),
        first_page: query.page,
    };
    export_pages(export, |page| {
        jelou
            .history_pages(bot, HistoryQuery { page, ..query })
            .map(|page| {
                let page = page.map_err(Failure::from)?;
                let items = page
                    .results
                    .iter()
                    .map(|message| {
                        Ok(Item {
                            id: Some(message.message_id.clone()),
                            line: serde_json::to_string(message)?,
                        })
                    })
                    .collect::<Result<_, serde_json::Error>>()
                    .map_err(|e| Failure::internal(e.to_string()))?;
                Ok(Page {
                    items,
                    number: u64::try_from(page.pagination.page).unwrap_or(0),
                    total_pages: u64::try_from(page.pagination.total_pages).unwrap_or(0),
                })
            })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_last_line_is_dropped_and_complete_ones_counted() {
        let dir = std::env::temp_dir().join(format!("jelou-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("history.jsonl");
        std::fs::write(
            &path,
            "{\"messageId\":\"a\"}\n{\"messageId\":\"b\"}\n{\"messageId\":\"c",
        )
        .expect("write");
        let mut file = File::open(&path).expect("open");
        let resume =
            read_resume(&mut file, &path, "messageId", "jelou history --all").expect("readable");
        assert_eq!(resume.lines, 2);
        assert_eq!(resume.valid_len, 36);
        assert!(resume.ids.contains("a") && resume.ids.contains("b"));

        std::fs::write(&path, "not a message\n").expect("write");
        let mut file = File::open(&path).expect("open");
        let refused = read_resume(&mut file, &path, "messageId", "jelou history --all")
            .expect_err("foreign file");
        assert!(refused.message.contains("line 1"), "{}", refused.message);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
