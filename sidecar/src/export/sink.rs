//! Where exported incidents go: a local file (appended, fsynced per batch)
//! or an HTTP endpoint (one POST of JSON lines per batch).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

/// One POST, connecting included.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

pub enum Sink {
    File(PathBuf),
    Http {
        client: reqwest::Client,
        url: reqwest::Url,
        /// `Authorization: Splunk <token>` when set (HEC).
        hec_token: Option<String>,
    },
}

impl Sink {
    pub fn http(url: reqwest::Url, hec_token: Option<String>) -> anyhow::Result<Sink> {
        let client = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .no_proxy()
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Sink::Http {
            client,
            url,
            hec_token,
        })
    }

    /// Delivers `lines` (JSON lines, each ending in `\n`); Ok only once the
    /// sink has them: on disk, or a 2xx answer.
    pub async fn send(&self, lines: Vec<u8>) -> anyhow::Result<()> {
        match self {
            Sink::File(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || append(&path, &lines))
                    .await
                    .context("export file task failed")?
            }
            Sink::Http {
                client,
                url,
                hec_token,
            } => {
                let mut request = client
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-ndjson")
                    .body(lines);
                if let Some(token) = hec_token {
                    request = request.header(AUTHORIZATION, format!("Splunk {token}"));
                }
                let response = request.send().await.context("export POST failed")?;
                let status = response.status();
                if !status.is_success() {
                    bail!("the export endpoint answered {status}");
                }
                Ok(())
            }
        }
    }
}

/// Appends and fsyncs. A line torn by an earlier crash is ended first, so
/// it spoils only itself: its batch is sent again whole (at least once).
fn append(path: &std::path::Path, lines: &[u8]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut last = [0u8; 1];
    let torn = file.seek(SeekFrom::End(0))? > 0
        && file.seek(SeekFrom::End(-1)).is_ok()
        && file.read_exact(&mut last).is_ok()
        && last[0] != b'\n';
    let write = |file: &mut std::fs::File| -> std::io::Result<()> {
        if torn {
            file.write_all(b"\n")?;
        }
        file.write_all(lines)?;
        file.sync_data()
    };
    write(&mut file).with_context(|| format!("cannot append to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::tests::TempDir;
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn file_sink_appends_and_ends_torn_lines() {
        let dir = TempDir::new("export-sink");
        std::fs::create_dir_all(&dir.0).expect("temp dir");
        let path = dir.0.join("siem.jsonl");
        let sink = Sink::File(path.clone());
        sink.send(b"{\"a\":1}\n".to_vec()).await.expect("first");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{\"tor"))
            .expect("tear");
        sink.send(b"{\"b\":2}\n".to_vec()).await.expect("second");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "{\"a\":1}\n{\"tor\n{\"b\":2}\n");
    }

    /// A loopback endpoint that records what it gets and answers `status`.
    async fn endpoint(status: u16) -> (reqwest::Url, Arc<Mutex<Vec<(Option<String>, String)>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let app = axum::Router::new().route(
            "/services/collector/event",
            axum::routing::post(move |headers: HeaderMap, body: String| async move {
                let auth = headers
                    .get(AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                record.lock().expect("lock").push((auth, body));
                StatusCode::from_u16(status).expect("status")
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let url = format!("http://{addr}/services/collector/event");
        (url.parse().expect("URL"), seen)
    }

    #[tokio::test]
    async fn http_sink_posts_lines_with_the_hec_token() {
        let (url, seen) = endpoint(200).await;
        let sink = Sink::http(url, Some("hec-token".into())).expect("client");
        sink.send(b"{\"a\":1}\n".to_vec()).await.expect("accepted");
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(
            seen,
            [(Some("Splunk hec-token".into()), "{\"a\":1}\n".into())]
        );

        let (url, _) = endpoint(503).await;
        let sink = Sink::http(url, None).expect("client");
        let error = sink.send(b"{}\n".to_vec()).await.expect_err("refused");
        assert!(format!("{error:#}").contains("503"), "{error:#}");
    }
}
