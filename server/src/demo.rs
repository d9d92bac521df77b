//! `bijli demo`: a whole billing month on a generated DISCO, through the real wire protocol.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use query::Engine;
use storage::Backend;

pub const DEMO_DISCO: &str = "MEPCO";
pub const DEMO_CYCLE: &str = "2026-11";

pub async fn run(
    consumers: u64,
    listen: String,
    data_dir: PathBuf,
    seed: u64,
    exit: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = crate::open_store(&data_dir, Backend::Journal)?;
    let engine = Arc::new(Engine::new(store.clone())?);
    let listener = crate::bind(&listen, true).await?;
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
    println!("bijli listening on {addr}");
    let conn_str = format!(
        "host={} port={} user=bijli dbname=bijli",
        addr.ip(),
        addr.port()
    );
    let (client, connection) = tokio_postgres::connect(&conn_str, tokio_postgres::NoTls)
        .await
        .context("connecting to our own server")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });

    let already = store.read().consumers.len();
    if already == 0 {
        let gen_dir = data_dir.join("generated");
        let cycle: billing::YearMonth = DEMO_CYCLE
            .parse()
            .map_err(|e| anyhow::anyhow!("demo cycle: {e:?}"))?;
        let opts = clients::generate::GenerateOptions {
            consumers,
            seed,
            disco: DEMO_DISCO.into(),
            cycle,
        };
        let t = Instant::now();
        let g = tokio::task::spawn_blocking({
            let gen_dir = gen_dir.clone();
            move || clients::generate::generate_to_dir(&opts, &gen_dir)
        })
        .await??;
        println!(
            "generated {DEMO_DISCO}: {} consumers, {} readings, {} payments in {:.2?}",
            g.consumers,
            g.readings,
            g.payments,
            t.elapsed()
        );
        for (table, file) in [
            ("consumers", "consumers.csv"),
            ("readings", "readings.csv"),
            ("payments", "payments.csv"),
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
            let secs = t.elapsed().as_secs_f64();
            println!(
                "COPY {table}: {n} rows in {secs:.2} s ({:.0} rows/s, durable)",
                n as f64 / secs.max(1e-9)
            );
        }
        let t = Instant::now();
        let row = client
            .query_one(
                &format!("CALL bill_cycle('{DEMO_DISCO}', '{DEMO_CYCLE}')"),
                &[],
            )
            .await
            .context("CALL bill_cycle")?;
        let bills: i64 = row.get("bills");
        let refused: i64 = row.get("refused");
        println!(
            "CALL bill_cycle('{DEMO_DISCO}', '{DEMO_CYCLE}'): {bills} bills, {refused} refused, in {:.2?}",
            t.elapsed()
        );
    } else {
        println!(
            "data directory {} already holds {already} consumers: serving what it recovered",
            data_dir.display()
        );
    }

    let rows = client
        .simple_query(&format!(
            "SELECT category, count(*) AS bills, sum(units) AS units_kwh, sum(current_bill + total_fpa) AS billed_rs, \
             sum(payable_within_due) AS payable_rs FROM bills WHERE cycle = '{DEMO_CYCLE}' GROUP BY category ORDER BY category"
        ))
        .await
        .context("summary query")?;
    println!();
    println!("Bills for {DEMO_DISCO} {DEMO_CYCLE} by tariff category:");
    println!(
        "{:<14} {:>10} {:>14} {:>20} {:>20}",
        "category", "bills", "units (kWh)", "billed this month", "payable incl. arrears"
    );
    for m in &rows {
        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
            println!(
                "{:<14} {:>10} {:>14} {:>20} {:>20}",
                r.get(0).unwrap_or(""),
                r.get(1).unwrap_or(""),
                r.get(2).unwrap_or(""),
                r.get(3).unwrap_or(""),
                r.get(4).unwrap_or("")
            );
        }
    }
    let refused = client
        .simple_query("SELECT 1")
        .await
        .map(|_| {
            store
                .read()
                .cycles
                .values()
                .map(|c| c.refusals.len())
                .sum::<usize>()
        })
        .unwrap_or(0);
    if refused > 0 {
        println!("({refused} consumers were not billed: no notified rate for their category, or a load above their tariff's limit; see SELECT tariff, reason, count(*) FROM bill_refusals GROUP BY 1, 2)");
    }
    println!();
    println!("done in {:.2?}. Connect with:", started.elapsed());
    println!("  psql \"{conn_str}\"");
    println!("  e.g.  SELECT * FROM bills LIMIT 5;   SELECT * FROM bill_lines WHERE reference = '<a reference>';");
    if exit {
        let _ = stop_tx.send(());
        let _ = server.await;
        store.shutdown();
        return Ok(());
    }
    println!("serving until Ctrl-C; data is kept in {} (run `bijli serve --data-dir {}` later to reopen it)", data_dir.display(), data_dir.display());
    crate::shutdown_signal().await;
    let _ = stop_tx.send(());
    let _ = server.await;
    store.shutdown();
    Ok(())
}
