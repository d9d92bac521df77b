//! `bijli bench`: times each stage of a billing month for N consumers, through the wire.
//! Prints one line per stage; timings are measurements, never assertions.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use query::Engine;
use storage::Backend;

use crate::demo::{DEMO_CYCLE, DEMO_DISCO};

pub const REPORT_SQL: &str = "SELECT category, count(*) AS bills, sum(units) AS units_kwh, sum(payable_within_due) AS payable \
     FROM bills GROUP BY category ORDER BY category";

pub async fn run(consumers: u64, seed: u64, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let tmp;
    let dir = match data_dir {
        Some(d) => d,
        None => {
            tmp = std::env::temp_dir().join(format!("bijli-bench-{}", std::process::id()));
            tmp.clone()
        }
    };
    let gen_dir = dir.join("generated");
    println!(
        "bijli bench: {consumers} consumers, seed {seed}, data dir {}",
        dir.display()
    );
    let opts = clients::generate::GenerateOptions {
        consumers,
        seed,
        disco: DEMO_DISCO.into(),
        cycle: DEMO_CYCLE.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?,
    };
    let t = Instant::now();
    let g = tokio::task::spawn_blocking({
        let gen_dir = gen_dir.clone();
        move || clients::generate::generate_to_dir(&opts, &gen_dir)
    })
    .await??;
    stage("generate (CSV files)", g.consumers, t);

    let store = crate::open_store(&dir.join("store"), Backend::Journal)?;
    let engine = Arc::new(Engine::new(store.clone())?);
    let listener = crate::bind("127.0.0.1:0", true).await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::run_server(
        listener,
        engine.clone(),
        crate::MAX_CONNECTIONS,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let (client, connection) = tokio_postgres::connect(
        &format!(
            "host={} port={} user=bijli dbname=bijli",
            addr.ip(),
            addr.port()
        ),
        tokio_postgres::NoTls,
    )
    .await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    for (table, file, label) in [
        (
            "consumers",
            "consumers.csv",
            "load consumers (COPY, durable)",
        ),
        ("readings", "readings.csv", "readings COPY (durable)"),
        ("payments", "payments.csv", "payments COPY (durable)"),
    ] {
        let t = Instant::now();
        let n = clients::load::copy_csv_file(
            &client,
            table,
            &gen_dir.join(file),
            clients::load::ROWS_PER_COPY,
        )
        .await
        .with_context(|| format!("COPY {table}"))?;
        stage(label, n, t);
    }
    let t = Instant::now();
    let row = client
        .query_one(
            &format!("CALL bill_cycle('{DEMO_DISCO}', '{DEMO_CYCLE}')"),
            &[],
        )
        .await?;
    let bills: i64 = row.get("bills");
    stage("billing cycle (durable)", bills as u64, t);
    // Tariff what-if: S.R.O. 279 proposed again from 2026-10-01 with A-2a at Rs 40.00.
    let proposal = what_if_proposal()?;
    let t = Instant::now();
    let rows = client
        .simple_query(&format!(
            "CALL simulate_tariff($p${proposal}$p$, '{DEMO_CYCLE}', '{DEMO_DISCO}')"
        ))
        .await?;
    let total = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) if r.get("category") == Some("ALL") => {
            Some(r.get("revenue_change").unwrap_or("").to_string())
        }
        _ => None,
    });
    stage("simulate_tariff (what-if, every bill)", bills as u64, t);
    println!(
        "  revenue change of the what-if: Rs {}",
        total.unwrap_or_default()
    );
    for i in 0..3 {
        let t = Instant::now();
        let rows = client.simple_query(REPORT_SQL).await?;
        let n = rows
            .iter()
            .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
            .count();
        stage(
            &format!("report: bills by category (run {})", i + 1),
            n as u64,
            t,
        );
    }
    let some_ref: String = client
        .query_one("SELECT reference FROM consumers LIMIT 1", &[])
        .await?
        .get(0);
    let t = Instant::now();
    for _ in 0..100 {
        client
            .simple_query(&format!(
                "SELECT payable_within_due FROM bills WHERE reference = '{some_ref}'"
            ))
            .await?;
    }
    stage("100 bill look-ups by reference", 100, t);
    drop(client);
    let _ = stop_tx.send(());
    let _ = server.await;
    println!(
        "serving process: resident {}, peak {}",
        crate::proc_status("VmRSS"),
        crate::proc_status("VmHWM")
    );
    store.shutdown();
    drop(engine);
    drop(store);
    // Restart in a fresh process, as an operator would: replay the journal, re-bill the cycle.
    let exe = std::env::current_exe().context("locating the bijli binary")?;
    let t = Instant::now();
    let out = std::process::Command::new(exe)
        .arg("recover")
        .arg("--data-dir")
        .arg(dir.join("store"))
        .output()
        .context("running bijli recover")?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "bijli recover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    println!(
        "{:<44} {secs:>25.3} s (process start to recovered)",
        "restart (new process: replay, re-bill cycle)"
    );
    println!("  {}", report.trim());
    Ok(())
}

/// The shipped S.R.O. 279 as a proposal in force from 2026-10-01, A-2a at Rs 40.00.
fn what_if_proposal() -> anyhow::Result<String> {
    let sro = billing::data::file("sro-279-2026.toml")
        .ok_or_else(|| anyhow::anyhow!("sro-279-2026.toml is not shipped"))?;
    let mut p = sro.to_string();
    for (from, to) in [
        (r#"id = "SRO-279(I)/2026""#, r#"id = "BENCH-PROPOSAL""#),
        (
            r#"effective_from = "2026-02-12""#,
            r#"effective_from = "2026-10-01""#,
        ),
        (r#"rate = "37.44""#, r#"rate = "40.00""#),
    ] {
        anyhow::ensure!(
            p.matches(from).count() == 1,
            "S.R.O. 279 data changed: {from}"
        );
        p = p.replace(from, to);
    }
    Ok(p)
}

fn stage(label: &str, n: u64, t: Instant) {
    let s = t.elapsed().as_secs_f64();
    println!(
        "{label:<44} {n:>10} rows {s:>9.3} s {:>12.0} rows/s",
        n as f64 / s.max(1e-9)
    );
}
