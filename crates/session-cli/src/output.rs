//! What commands print: text for people, or one JSON document with `--json`; spinners on a
//! terminal while waiting for the chain.

use std::future::Future;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// How a command reports.
#[derive(Clone, Copy)]
pub struct Output {
    /// Print JSON instead of text.
    pub json: bool,
}

impl Output {
    /// Prints `text` for people (nothing in JSON mode).
    pub fn say(&self, text: impl AsRef<str>) {
        if !self.json {
            println!("{}", text.as_ref());
        }
    }

    /// Warns about something allowed but probably unintended (on stderr, also in JSON mode).
    pub fn warn(&self, text: impl AsRef<str>) {
        eprintln!("warning: {}", text.as_ref());
    }

    /// Prints the command's result: `json` in JSON mode, else `text`.
    pub fn result(&self, text: impl AsRef<str>, json: Value) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(&json).expect("JSON values serialize"));
        } else {
            println!("{}", text.as_ref());
        }
    }

    /// Runs `work` with a spinner saying `message` (on a terminal, in text mode only).
    pub async fn waiting<T>(&self, message: &str, work: impl Future<Output = T>) -> T {
        let spinner = if self.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
        spinner.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
        spinner.set_message(message.to_owned());
        spinner.enable_steady_tick(Duration::from_millis(100));
        let result = work.await;
        spinner.finish_and_clear();
        result
    }
}
