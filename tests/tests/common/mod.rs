//! Spawning the real `bijli` binary on a temporary data directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// target/<profile>/bijli, next to this test executable's deps/ folder.
pub fn bijli_bin() -> PathBuf {
    if let Ok(p) = std::env::var("BIJLI_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("bijli");
    assert!(
        bin.exists(),
        "{} not found: build it first (`cargo build --bins`, as scripts/test.sh does)",
        bin.display()
    );
    bin
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    pub data_dir: PathBuf,
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, "journal")
    }

    pub fn start_with(data_dir: &Path, backend: &str) -> Server {
        Self::start_args(data_dir, backend, &[])
    }

    /// `bijli serve` with extra arguments (e.g. `--max-connections 2`).
    pub fn start_args(data_dir: &Path, backend: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(bijli_bin())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--backend",
                backend,
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn bijli serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("bijli exited before listening")
                .expect("read stdout");
            if let Some(a) = line.strip_prefix("bijli listening on ") {
                break a.trim().to_string();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            data_dir: data_dir.to_path_buf(),
        }
    }

    pub fn host(&self) -> &str {
        self.addr
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or("127.0.0.1")
    }

    pub fn port(&self) -> &str {
        self.addr.rsplit_once(':').map(|(_, p)| p).unwrap_or("5433")
    }

    pub fn conn_str(&self) -> String {
        format!(
            "host={} port={} user=bijli dbname=bijli",
            self.host(),
            self.port()
        )
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.conn_str(), tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client
    }

    /// SIGKILL: no graceful shutdown, no flush.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    pub fn psql(&self, sql: &str) -> std::process::Output {
        Command::new("psql")
            .args([
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.host(),
                "-p",
                self.port(),
                "-U",
                "bijli",
                "-d",
                "bijli",
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs (PostgreSQL client installed)")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Generates a small DISCO with the real `bijli generate`.
pub fn generate(out: &Path, consumers: u64, seed: u64) {
    let st = Command::new(bijli_bin())
        .args([
            "generate",
            "--consumers",
            &consumers.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .expect("bijli generate");
    assert!(st.success());
}

pub async fn copy_file(
    client: &tokio_postgres::Client,
    table: &str,
    path: &Path,
) -> Result<u64, tokio_postgres::Error> {
    use futures::SinkExt;
    let data = std::fs::read(path).expect("read csv");
    // The header names the columns (as `bijli`'s own loader does).
    let header = String::from_utf8_lossy(data.split(|&b| b == b'\n').next().unwrap_or(b""))
        .trim()
        .to_string();
    let sink = client
        .copy_in(&format!(
            "COPY {table} ({header}) FROM STDIN WITH (FORMAT csv, HEADER true)"
        ))
        .await?;
    futures::pin_mut!(sink);
    for chunk in data.chunks(64 * 1024) {
        sink.send(bytes::Bytes::copy_from_slice(chunk)).await?;
    }
    sink.finish().await
}

pub async fn copy_text(
    client: &tokio_postgres::Client,
    sql: &str,
    data: &str,
) -> Result<u64, tokio_postgres::Error> {
    use futures::SinkExt;
    let sink = client.copy_in(sql).await?;
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::copy_from_slice(data.as_bytes()))
        .await?;
    sink.finish().await
}

pub fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.code()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| format!("no sqlstate: {e}"))
}

/// A generated DISCO served from a fresh data directory with its consumers loaded: the
/// temporary folder (kept alive by the caller), the generated CSV folder and the data folder.
pub struct Disco {
    pub tmp: tempfile::TempDir,
    pub gen: PathBuf,
    pub data: PathBuf,
}

pub async fn served_disco(consumers: u64, seed: u64) -> (Disco, Server, tokio_postgres::Client) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let gen = tmp.path().join("gen");
    generate(&gen, consumers, seed);
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let client = server.client().await;
    copy_file(&client, "consumers", &gen.join("consumers.csv"))
        .await
        .expect("COPY consumers");
    (Disco { tmp, gen, data }, server, client)
}

/// This checkout's `tests/` directory, as cargo gives it when running the test (a binary
/// reused from another checkout through a shared target directory still reads this one).
pub fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}
