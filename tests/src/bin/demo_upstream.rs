//! `demo-upstream [--listen 127.0.0.1:8081]`: the offline OpenAI-compatible
//! upstream of the local stack (see `sentinel_stack::upstream`).

use anyhow::{bail, Context, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:8081");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().context("--listen needs an address")?,
            other => bail!("unknown argument {other:?} (usage: demo-upstream [--listen ADDR])"),
        }
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    eprintln!("demo upstream listening on {listen}");
    sentinel_stack::upstream::run(listener, shutdown()).await
}

async fn shutdown() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
