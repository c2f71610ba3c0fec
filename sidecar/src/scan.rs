//! `sentinel-sidecar scan`: texts in, one JSON verdict per text out (JSON
//! Lines), in input order and flushed as it goes so it works in a pipe.
//!
//! Input errors name the source and the line and stop the run with a non-zero
//! exit; verdicts already printed stay printed.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use anyhow::{anyhow, Context};
use sentinel_engines::Scanner;

use crate::config::ScanArgs;
use crate::report::VerdictReport;
use crate::request;

const STDIN: &str = "<stdin>";

/// How each input line is read.
#[derive(Clone, Copy)]
enum Format {
    /// The line is the text.
    Plain,
    /// The line is a `{"text": "..."}` object.
    Jsonl,
}

pub fn run(args: &ScanArgs) -> anyhow::Result<()> {
    let scanner = Scanner::builder()
        .engines(args.detection.engines())
        .build()
        .context("cannot build the engines")?;
    let mut judge = Judge {
        scanner: &scanner,
        threshold: args.detection.threshold,
        out: io::stdout().lock(),
    };
    let result = match (&args.text, &args.jsonl) {
        (Some(text), _) => judge.judge(text),
        (None, Some(path)) if path == Path::new("-") => {
            read_lines(io::stdin().lock(), STDIN, Format::Jsonl, &mut judge)
        }
        (None, Some(path)) => {
            let name = path.display().to_string();
            let file = File::open(path).with_context(|| format!("cannot open {name}"))?;
            read_lines(BufReader::new(file), &name, Format::Jsonl, &mut judge)
        }
        (None, None) => read_lines(io::stdin().lock(), STDIN, Format::Plain, &mut judge),
    };
    match result {
        // The reader went away (`| head`): nothing left to say to anyone.
        Err(err) if is_broken_pipe(&err) => Ok(()),
        other => other,
    }
}

/// Scans one text and prints its verdict line.
struct Judge<'a, W: Write> {
    scanner: &'a Scanner,
    threshold: f32,
    out: W,
}

impl<W: Write> Judge<'_, W> {
    fn judge(&mut self, text: &str) -> anyhow::Result<()> {
        let report = VerdictReport::new(&self.scanner.scan(text), self.threshold);
        self.print(&report).context("cannot write to stdout")
    }

    fn print(&mut self, report: &VerdictReport) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, report)?;
        self.out.write_all(b"\n")?;
        // Per line, so a consumer sees each verdict as soon as it exists.
        self.out.flush()
    }
}

fn read_lines<W: Write>(
    mut reader: impl BufRead,
    source: &str,
    format: Format,
    judge: &mut Judge<'_, W>,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        number += 1;
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("{source}:{number}: cannot read"))?;
        if read == 0 {
            return Ok(());
        }
        let line = std::str::from_utf8(trim_newline(&buf))
            .map_err(|e| anyhow!("{source}:{number}: invalid UTF-8 ({e})"))?;
        if line.trim().is_empty() {
            continue;
        }
        match format {
            Format::Plain => judge.judge(line)?,
            Format::Jsonl => {
                let text = request::text_of(line.as_bytes())
                    .map_err(|e| anyhow!("{source}:{number}: {e}"))?;
                judge.judge(&text)?;
            }
        }
    }
}

fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.root_cause()
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn judge_all(input: &str, format: Format) -> (anyhow::Result<()>, Vec<String>) {
        let scanner = Scanner::builder().build().expect("engines build");
        let mut judge = Judge {
            scanner: &scanner,
            threshold: 0.7,
            out: Vec::new(),
        };
        let result = read_lines(input.as_bytes(), "in.jsonl", format, &mut judge);
        let out = String::from_utf8(judge.out).expect("utf-8 output");
        (result, out.lines().map(str::to_string).collect())
    }

    #[test]
    fn one_verdict_per_non_blank_line() {
        let (result, lines) = judge_all("a\r\n\n  \nb\nc", Format::Plain);
        result.expect("plain input is fine");
        assert_eq!(lines.len(), 3);
        for line in lines {
            let v: Value = serde_json::from_str(&line).expect("verdict is JSON");
            assert!(v["verdict"] == "allow" || v["verdict"] == "block");
        }
    }

    #[test]
    fn bad_jsonl_line_names_line_and_keeps_earlier_verdicts() {
        for (bad, why) in [
            ("not json", "invalid JSON"),
            ("[1]", "expected a JSON object"),
            (r#"{"txt": "x"}"#, "no \"text\" field"),
            (r#"{"text": 3}"#, "not a string"),
        ] {
            let input = format!("{{\"text\": \"a\"}}\n\n{bad}\n{{\"text\": \"b\"}}\n");
            let (result, lines) = judge_all(&input, Format::Jsonl);
            let err = result.expect_err("bad line must fail").to_string();
            assert!(err.starts_with("in.jsonl:3: "), "{err}");
            assert!(err.contains(why), "{err}");
            assert_eq!(lines.len(), 1);
        }
    }

    #[test]
    fn invalid_utf8_is_an_error_with_line_number() {
        let scanner = Scanner::builder().build().expect("engines build");
        let mut judge = Judge {
            scanner: &scanner,
            threshold: 0.7,
            out: Vec::new(),
        };
        let input: &[u8] = b"ok\n\xff\xfe\n";
        let err = read_lines(input, STDIN, Format::Plain, &mut judge).expect_err("not UTF-8");
        assert!(
            err.to_string().starts_with("<stdin>:2: invalid UTF-8"),
            "{err}"
        );
    }
}
