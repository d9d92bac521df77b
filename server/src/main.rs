//! `bijli`: the Bijli server binary and its client-side sub-commands.
//!
//! - `bijli serve --data-dir DIR --listen ADDR`: recover the store and serve the Postgres wire.
//! - `bijli demo`: generate a DISCO, load it over the wire, bill a cycle, print a summary, serve.
//! - `bijli generate --consumers N --seed S --out DIR`: CSV files `COPY ... FROM STDIN` accepts.
//! - `bijli recover --data-dir DIR`: recover a data directory, print counts, time, memory; exit.
//! - `bijli bench --consumers N`: time generate, load, readings COPY and a whole cycle.
//!
//! Owns networking, limits, logging and the SQLSTATE mapping (`errors.rs`); no tariff rules.

mod bench;
mod command_table;
mod demo;
mod errors;
mod guard;
mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use query::Engine;
use storage::{Backend, Store};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Most concurrent client connections; more wait for a free slot.
pub const MAX_CONNECTIONS: usize = 256;

#[derive(Parser)]
#[command(
    name = "bijli",
    version,
    about = "Bijli: electricity billing database server for Pakistan's DISCOs"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Recover the data directory and serve the Postgres wire protocol.
    Serve {
        #[arg(long, default_value = "bijli-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:5433")]
        listen: String,
        /// Durable backend for the journal: journal (default) or sled.
        #[arg(long, default_value = "journal")]
        backend: Backend,
        /// Connections served at once; one more is refused with 53300, as PostgreSQL does.
        #[arg(long, default_value_t = MAX_CONNECTIONS)]
        max_connections: usize,
    },
    /// Generate a DISCO, load it over the wire, bill one cycle, print a summary, keep serving.
    Demo {
        #[arg(long, default_value_t = 200_000)]
        consumers: u64,
        #[arg(long, default_value = "127.0.0.1:5433")]
        listen: String,
        #[arg(long, default_value = "bijli-data-demo")]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Exit after the summary instead of serving (for scripts).
        #[arg(long)]
        exit: bool,
    },
    /// Write consumers.csv, readings.csv and payments.csv for a realistic DISCO.
    Generate {
        #[arg(long, default_value_t = 200_000)]
        consumers: u64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "MEPCO")]
        disco: String,
        #[arg(long, default_value = "2026-11")]
        cycle: String,
    },
    /// Recover the data directory (replay, re-bill cycles), print what it holds and the time
    /// and memory that took, then exit. Checks a data directory without serving it.
    Recover {
        #[arg(long, default_value = "bijli-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "journal")]
        backend: Backend,
    },
    /// Time generate, load, readings COPY and a billing cycle for N consumers.
    Bench {
        #[arg(long, default_value_t = 1_000_000)]
        consumers: u64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Data directory (default: a fresh temporary one).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    match cli.cmd.unwrap_or(Cmd::Demo {
        consumers: 200_000,
        listen: "127.0.0.1:5433".into(),
        data_dir: "bijli-data-demo".into(),
        seed: 7,
        exit: false,
    }) {
        Cmd::Serve {
            data_dir,
            listen,
            backend,
            max_connections,
        } => rt.block_on(serve(data_dir, listen, backend, max_connections)),
        Cmd::Demo {
            consumers,
            listen,
            data_dir,
            seed,
            exit,
        } => rt.block_on(demo::run(consumers, listen, data_dir, seed, exit)),
        Cmd::Generate {
            consumers,
            seed,
            out,
            disco,
            cycle,
        } => {
            let cycle: billing::YearMonth = cycle
                .parse()
                .map_err(|e| anyhow::anyhow!("invalid --cycle {cycle:?}: {e:?}"))?;
            let opts = clients::generate::GenerateOptions {
                consumers,
                seed,
                disco,
                cycle,
            };
            let t = std::time::Instant::now();
            let s = clients::generate::generate_to_dir(&opts, &out)?;
            println!(
                "generated {} consumers, {} readings, {} payments in {:.2?} into {}",
                s.consumers,
                s.readings,
                s.payments,
                t.elapsed(),
                out.display()
            );
            for (tariff, n) in &s.by_tariff {
                println!("  {tariff:<8} {n}");
            }
            Ok(())
        }
        Cmd::Recover { data_dir, backend } => {
            let t = std::time::Instant::now();
            let store = open_store(&data_dir, backend)?;
            let elapsed = t.elapsed();
            let st = store.read();
            println!(
                "recovered {} consumers, {} readings, {} payments, {} billed cycles in {:.3} s; resident {}, peak {}",
                st.consumers.len(),
                st.readings.len(),
                st.payments.len(),
                st.cycles.len(),
                elapsed.as_secs_f64(),
                proc_status("VmRSS"),
                proc_status("VmHWM"),
            );
            drop(st);
            store.shutdown();
            Ok(())
        }
        Cmd::Bench {
            consumers,
            seed,
            data_dir,
        } => rt.block_on(bench::run(consumers, seed, data_dir)),
    }
}

/// A memory figure of this process from /proc/self/status (`VmRSS`, `VmHWM`), e.g. "812 MB".
pub fn proc_status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                let kb: u64 = l.split_whitespace().nth(1)?.parse().ok()?;
                Some(format!("{} MB", kb / 1024))
            })
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Opens the store and prints what recovery found.
pub fn open_store(data_dir: &std::path::Path, backend: Backend) -> anyhow::Result<Arc<Store>> {
    let (store, report) = Store::open(data_dir, backend)
        .with_context(|| format!("opening data directory {}", data_dir.display()))?;
    if let Some((offset, bytes)) = report.replay.corrupt_tail {
        eprintln!(
            "WARNING: journal had an unreadable tail at byte {offset} ({bytes} bytes, never acknowledged or corrupt); moved aside as journal.corrupt-{offset}"
        );
    }
    eprintln!(
        "recovered {} ({}): {} consumers, {} readings, {} payments, {} billed cycles from {} journal frames in {} ms",
        data_dir.display(),
        report.backend,
        report.consumers,
        report.readings,
        report.payments,
        report.cycles,
        report.replay.frames,
        report.elapsed_ms
    );
    Ok(store)
}

/// Binds `listen`; if it is taken and `fallback` is set, binds an ephemeral port instead.
pub async fn bind(listen: &str, fallback: bool) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(listen).await {
        Ok(l) => Ok(l),
        Err(e) if fallback => {
            let addr: SocketAddr = listen.parse().context("parsing --listen")?;
            eprintln!("{listen} is busy ({e}); using a free port instead");
            Ok(TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?)
        }
        Err(e) => Err(e).with_context(|| format!("binding {listen}")),
    }
}

/// Accepts connections until `shutdown` resolves.
pub async fn run_server(
    listener: TcpListener,
    engine: Arc<Engine>,
    max_connections: usize,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let handlers = Arc::new(wire::Handlers::new(engine));
    let limit = Arc::new(Semaphore::new(max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (socket, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => { tracing::warn!("accept failed: {e}"); continue; }
                };
                let _ = socket.set_nodelay(true);
                let permit = match limit.clone().try_acquire_owned() {
                    Ok(p) => p,
                    Err(tokio::sync::TryAcquireError::NoPermits) => {
                        tokio::spawn(wire::refuse_too_many(socket));
                        continue;
                    }
                    Err(tokio::sync::TryAcquireError::Closed) => break,
                };
                let h = handlers.clone();
                tokio::spawn(async move {
                    if let Err(e) = pgwire::tokio::process_socket(socket, None, h).await {
                        tracing::debug!("connection ended: {e}");
                    }
                    drop(permit);
                });
            }
        }
    }
    Ok(())
}

pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn serve(
    data_dir: PathBuf,
    listen: String,
    backend: Backend,
    max_connections: usize,
) -> anyhow::Result<()> {
    let store = open_store(&data_dir, backend)?;
    let engine = Arc::new(Engine::new(store.clone())?);
    let listener = bind(&listen, false).await?;
    let addr = listener.local_addr()?;
    // Scripts wait for this exact line.
    println!("bijli listening on {addr}");
    println!(
        "connect: psql \"host={} port={} user=bijli dbname=bijli\"",
        addr.ip(),
        addr.port()
    );
    run_server(listener, engine, max_connections, shutdown_signal()).await?;
    store.shutdown();
    eprintln!("bijli stopped cleanly");
    Ok(())
}
