//! End to end: the real `bijli` binary, real clients (tokio-postgres, psql, psycopg 3), real
//! restarts and kill -9, on a generated DISCO.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tokio_postgres::SimpleQueryMessage;

fn rows(msgs: &[SimpleQueryMessage]) -> Vec<Vec<String>> {
    msgs.iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("NULL").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

async fn one(client: &tokio_postgres::Client, sql: &str) -> String {
    let r = rows(
        &client
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}")),
    );
    assert_eq!(r.len(), 1, "{sql} returned {r:?}");
    r[0][0].clone()
}

const SUMMARY: &str = "SELECT category, count(*), sum(units), sum(payable_within_due), sum(payable_after_due) FROM bills WHERE cycle = '2026-11' GROUP BY category ORDER BY category";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billing_month_survives_restart_and_kill9() {
    let tmp = tempfile::tempdir().unwrap();
    let gen = tmp.path().join("gen");
    generate(&gen, 3000, 11);
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    let c = server.client().await;
    let nc = copy_file(&c, "consumers", &gen.join("consumers.csv"))
        .await
        .unwrap();
    assert_eq!(nc, 3000);
    let nr = copy_file(&c, "readings", &gen.join("readings.csv"))
        .await
        .unwrap();
    assert!(nr > 2800, "readings loaded: {nr}");
    let np = copy_file(&c, "payments", &gen.join("payments.csv"))
        .await
        .unwrap();
    assert_eq!(
        one(&c, "SELECT count(*) FROM payments").await,
        np.to_string()
    );

    let row = c
        .query_one("CALL bill_cycle('MEPCO', '2026-11')", &[])
        .await
        .unwrap();
    let bills: i64 = row.get("bills");
    let refused: i64 = row.get("refused");
    let without: i64 = row.get("without_reading");
    assert!(
        bills > 2500,
        "bills {bills}, refused {refused}, without reading {without}"
    );
    assert_eq!(
        one(&c, "SELECT count(*) FROM bills").await,
        bills.to_string()
    );

    // Every bill: payable within due = arrears + current bill + total FPA; lines exist.
    let bad = one(
        &c,
        "SELECT count(*) FROM bills WHERE payable_within_due <> arrears + current_bill + total_fpa",
    )
    .await;
    assert_eq!(bad, "0");
    let reference = one(&c, "SELECT reference FROM bills ORDER BY reference LIMIT 1").await;
    let lines = rows(&c.simple_query(&format!("SELECT line, amount, rule, source FROM bill_lines WHERE reference = '{reference}' ORDER BY seq")).await.unwrap());
    assert!(!lines.is_empty(), "bill lines for {reference}");
    assert!(
        lines
            .iter()
            .any(|l| l[0] == "energy" || l[0] == "minimum_charge"),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| !l[3].is_empty()),
        "every line names its source: {lines:?}"
    );
    // Employee free units (BPS table, fiscal-year quota) show as their own line on the bills
    // that got them; the generated DISCO has entitled employees.
    let emp_bills = one(
        &c,
        "SELECT count(*) FROM bills WHERE employee_free_units > 0",
    )
    .await;
    let emp_lines = one(
        &c,
        "SELECT count(*) FROM bill_lines WHERE line = 'employee_free_units'",
    )
    .await;
    assert_eq!(emp_bills, emp_lines);
    assert_ne!(emp_bills, "0", "no employee bill in the generated DISCO");
    // The employer's cost per DISCO: the concession lines summed, as a positive amount.
    let cost = rows(
        &c.simple_query(
            "SELECT employees, free_units, concession FROM employer_cost WHERE cycle = '2026-11'",
        )
        .await
        .unwrap(),
    );
    let credited = one(
        &c,
        "SELECT -sum(amount) FROM bill_lines WHERE cycle = '2026-11' AND line = 'employee_free_units'",
    )
    .await;
    let units = one(
        &c,
        "SELECT sum(employee_free_units) FROM bills WHERE cycle = '2026-11'",
    )
    .await;
    assert_eq!(cost, vec![vec![emp_bills.clone(), units, credited]]);
    // Point lookup, join, group by, order by, limit.
    assert_eq!(
        one(
            &c,
            &format!("SELECT count(*) FROM consumers WHERE reference = '{reference}'")
        )
        .await,
        "1"
    );
    let joined = rows(&c.simple_query("SELECT c.province, b.category, count(*) FROM bills b JOIN consumers c ON c.reference = b.reference GROUP BY c.province, b.category ORDER BY 3 DESC LIMIT 3").await.unwrap());
    assert!(!joined.is_empty());
    let before = rows(&c.simple_query(SUMMARY).await.unwrap());
    assert!(before.iter().any(|r| r[0] == "residential"), "{before:?}");
    // NUMERIC over the extended protocol (binary) decodes exactly: compare to the text form.
    let text_sum = one(&c, "SELECT sum(payable_within_due)::text FROM bills").await;
    assert!(text_sum.contains('.'), "money keeps its paisa: {text_sum}");

    // Graceful restart.
    drop(c);
    server.stop();
    let server = Server::start(&data);
    let c = server.client().await;
    assert_eq!(
        rows(&c.simple_query(SUMMARY).await.unwrap()),
        before,
        "same bills after restart"
    );

    // An acknowledged COPY survives kill -9.
    let extra = "reference,transaction_id,amount,value_date,bank\n".to_string()
        + &format!(
            "{reference},KILL9-1,100.50,2026-11-20,HBL\n{reference},KILL9-2,0.01,2026-11-20,UBL\n"
        );
    let n = copy_text(&c, "COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv, HEADER true)", &extra).await.unwrap();
    assert_eq!(n, 2);
    drop(c);
    server.kill9();
    let server = Server::start(&data);
    let c = server.client().await;
    assert_eq!(
        one(&c, "SELECT count(*) FROM payments").await,
        (np + 2).to_string()
    );
    assert_eq!(
        one(
            &c,
            "SELECT amount FROM payments WHERE transaction_id = 'KILL9-1'"
        )
        .await,
        "100.50"
    );
    assert_eq!(
        rows(&c.simple_query(SUMMARY).await.unwrap()),
        before,
        "same bills after kill -9"
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_after_ack_on_the_sled_backend() {
    let tmp = tempfile::tempdir().unwrap();
    let gen = tmp.path().join("gen");
    generate(&gen, 500, 3);
    let data = tmp.path().join("data");
    let server = Server::start_with(&data, "sled");
    let c = server.client().await;
    copy_file(&c, "consumers", &gen.join("consumers.csv"))
        .await
        .unwrap();
    let np = copy_file(&c, "payments", &gen.join("payments.csv"))
        .await
        .unwrap();
    drop(c);
    server.kill9();
    let server = Server::start_with(&data, "sled");
    let c = server.client().await;
    assert_eq!(one(&c, "SELECT count(*) FROM consumers").await, "500");
    assert_eq!(
        one(&c, "SELECT count(*) FROM payments").await,
        np.to_string()
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_sqlstate_and_loses_nothing() {
    let (disco, server, c) = served_disco(300, 5).await;
    let good_ref = one(
        &c,
        "SELECT reference FROM consumers ORDER BY reference LIMIT 1",
    )
    .await;

    // A consumer of an unknown DISCO, or in a province its DISCO does not serve, is refused
    // (the generated file's first row under a new reference).
    let csv = std::fs::read_to_string(disco.gen.join("consumers.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    // Its quoted address (the only field with commas) replaced by a plain one.
    let first = lines.next().unwrap();
    let (before, rest) = first.split_once('"').unwrap();
    let (_, after) = rest.split_once('"').unwrap();
    let plain = format!("{before}Multan{after}");
    let row: Vec<&str> = plain.split(',').collect();
    assert_eq!(row.len(), header.split(',').count());
    let col = |name: &str| header.split(',').position(|h| h == name).unwrap();
    let (ref_col, disco_col, prov_col) = (col("reference"), col("disco"), col("province"));
    assert_eq!(row[disco_col], "MEPCO");
    let cons = format!("COPY consumers ({header}) FROM STDIN WITH (FORMAT csv)");
    for (d, p, state, field) in [
        ("KESC", "Punjab", "23503", "disco"),
        ("MEPCO", "Sindh", "22023", "province"),
    ] {
        let mut r = row.clone();
        r[ref_col] = "99999999999998";
        r[disco_col] = d;
        r[prov_col] = p;
        let e = copy_text(&c, &cons, &format!("{}\n", r.join(",")))
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&e), state, "{e:?}");
        let msg = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_default();
        assert!(msg.contains(field), "{msg}");
    }

    let e = c.simple_query("SELEC 1").await.unwrap_err();
    assert_eq!(sqlstate(&e), "42601", "{e:?}");
    let e = c
        .simple_query("SELECT * FROM no_such_table")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "42P01", "{e:?}");

    let pay = "COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv)";
    // Unknown reference on line 2: the whole COPY is refused, with line and column.
    let data =
        format!("{good_ref},T-1,10.00,2026-11-01,HBL\n99999999999999,T-2,10.00,2026-11-01,HBL\n");
    let e = copy_text(&c, pay, &data).await.unwrap_err();
    assert_eq!(sqlstate(&e), "23503", "{e:?}");
    let msg = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(msg.contains("line 2") && msg.contains("reference"), "{msg}");
    // An unknown COPY column is 42703, as in PostgreSQL; `opening_arrears` (the name `\d
    // consumers` shows) is accepted for the master's arrears.
    let e = copy_text(
        &c,
        "COPY payments (reference, no_such_column) FROM STDIN WITH (FORMAT csv)",
        "",
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "42703", "{e:?}");
    let aliased = cons.replace("arrears,", "opening_arrears,");
    assert_ne!(aliased, cons);
    let mut r = row.clone();
    r[ref_col] = "99999999999997";
    r[disco_col] = "KESC";
    let e = copy_text(&c, &aliased, &format!("{}\n", r.join(",")))
        .await
        .unwrap_err();
    assert_eq!(
        sqlstate(&e),
        "23503",
        "parsed with the alias, refused for the DISCO: {e:?}"
    );
    // Windows (CRLF) and old Mac (CR) line ends: the bad row is still reported on line 3.
    for eol in ["\r\n", "\r"] {
        let data = format!(
            "{good_ref},T-C1,1.00,2026-11-01,HBL{eol}{good_ref},T-C2,1.00,2026-11-01,HBL{eol}\
             99999999999999,T-C3,1.00,2026-11-01,HBL{eol}"
        );
        let e = copy_text(&c, pay, &data).await.unwrap_err();
        let msg = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_default();
        assert!(msg.contains("line 3"), "{eol:?}: {msg}");
    }
    // Negative amount.
    let e = copy_text(&c, pay, &format!("{good_ref},T-3,-5.00,2026-11-01,HBL\n"))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "22003", "{e:?}");
    // Bad date, short row, malformed reference.
    let e = copy_text(&c, pay, &format!("{good_ref},T-4,5.00,2026-13-01,HBL\n"))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "22007", "{e:?}");
    let e = copy_text(&c, pay, &format!("{good_ref},T-5,5.00\n"))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "22P04", "{e:?}");
    let e = copy_text(&c, pay, "12AB,T-6,5.00,2026-11-01,HBL\n")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "22P02", "{e:?}");
    assert_eq!(
        one(&c, "SELECT count(*) FROM payments").await,
        "0",
        "nothing of a refused COPY is kept"
    );

    // Idempotent re-send; a conflicting re-use of a transaction id is refused.
    let ok = format!("{good_ref},T-7,5.00,2026-11-01,HBL\n");
    assert_eq!(copy_text(&c, pay, &ok).await.unwrap(), 1);
    assert_eq!(copy_text(&c, pay, &ok).await.unwrap(), 0);
    let e = copy_text(&c, pay, &format!("{good_ref},T-7,6.00,2026-11-01,HBL\n"))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "23505", "{e:?}");
    assert_eq!(one(&c, "SELECT count(*) FROM payments").await, "1");

    // A reading for an unknown reference, and a truncated COPY (client aborts mid-stream).
    let rd = "COPY readings (reference, cycle, reading_date, previous_reading_date, offpeak_previous, offpeak_present, peak_previous, peak_present, mdi_kw, power_factor, reading_code) FROM STDIN WITH (FORMAT csv)";
    let e = copy_text(
        &c,
        rd,
        "99999999999999,2026-11,2026-11-05,2026-10-05,100,200,,,,,OK\n",
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "23503", "{e:?}");
    {
        use futures::SinkExt;
        let sink = c.copy_in::<_, bytes::Bytes>(rd).await.unwrap();
        futures::pin_mut!(sink);
        sink.send(bytes::Bytes::from_static(b"000000"))
            .await
            .unwrap();
        // Dropped without finish(): tokio-postgres sends CopyFail.
    }
    assert_eq!(one(&c, "SELECT count(*) FROM readings").await, "0");
    // Unknown command, bad cycle.
    let e = c.simple_query("CALL no_such_command()").await.unwrap_err();
    assert_eq!(sqlstate(&e), "42883", "{e:?}");
    let e = c
        .simple_query("CALL bill_cycle('MEPCO', '2026-13')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");
    // The connection and server are still fine.
    assert_eq!(one(&c, "SELECT 1").await, "1");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_and_psycopg_work_against_the_binary() {
    let (disco, server, c) = served_disco(400, 9).await;
    let gen = &disco.gen;
    copy_file(&c, "readings", &gen.join("readings.csv"))
        .await
        .unwrap();
    c.simple_query("CALL bill_cycle('MEPCO', '2026-11')")
        .await
        .unwrap();
    // tokio-postgres: a prepared CALL with bind parameters (binary results), twice.
    let st = c.prepare("CALL bill_cycle($1, $2)").await.unwrap();
    assert_eq!(st.params().len(), 2);
    for _ in 0..2 {
        let r = c.query_one(&st, &[&"MEPCO", &"2026-11"]).await.unwrap();
        assert_eq!(r.get::<_, String>("disco"), "MEPCO");
        assert_eq!(r.get::<_, String>("cycle"), "2026-11");
        assert!(r.get::<_, i64>("bills") > 0);
    }
    let e = c
        .query_one("CALL bill_cycle($1, $2)", &[&"MEPCO", &"2026-13"])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");
    // A parameter with no value in a simple query is an undefined parameter.
    let e = c
        .simple_query("CALL bill_cycle($1, '2026-11')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "42P02", "{e:?}");

    let out = server.psql("\\dt");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "psql \\dt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for t in [
        "consumers",
        "readings",
        "bills",
        "bill_lines",
        "payments",
        "tariffs",
    ] {
        assert!(text.contains(t), "\\dt lacks {t}:\n{text}");
    }
    let out = server.psql("\\d bills");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "psql \\d bills failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for col in [
        "reference",
        "cycle",
        "payable_within_due",
        "payable_after_due",
    ] {
        assert!(text.contains(col), "\\d bills lacks {col}:\n{text}");
    }
    let out =
        server.psql("SELECT category, count(*) FROM bills GROUP BY category ORDER BY category");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("residential"));
    // psql's own COPY path (simple protocol) with \copy.
    let csv = disco.tmp.path().join("p.csv");
    let reference = one(
        &c,
        "SELECT reference FROM consumers ORDER BY reference LIMIT 1",
    )
    .await;
    std::fs::write(&csv, format!("reference,transaction_id,amount,value_date,bank\n{reference},PSQL-1,250.00,2026-11-21,MCB\n")).unwrap();
    let out = server.psql(&format!("\\copy payments (reference, transaction_id, amount, value_date, bank) FROM '{}' WITH (FORMAT csv, HEADER true)", csv.display()));
    assert!(
        out.status.success(),
        "psql \\copy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("COPY 1"));

    let script = format!("{}/python/psycopg_check.py", manifest_dir());
    let out = std::process::Command::new("python3")
        .args([script.as_str(), &server.conn_str()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "psycopg check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_bricks_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let gen = tmp.path().join("gen");
    generate(&gen, 300, 21);
    let data = tmp.path().join("data");
    let server = Server::start(&data);
    // A second server on the same data directory refuses to start.
    let second = std::process::Command::new(bijli_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        !second.status.success(),
        "a second server opened a locked data directory"
    );
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    let c = server.client().await;
    copy_file(&c, "consumers", &gen.join("consumers.csv"))
        .await
        .unwrap();
    copy_file(&c, "readings", &gen.join("readings.csv"))
        .await
        .unwrap();
    let r = one(
        &c,
        "SELECT reference FROM readings WHERE peak_present IS NULL ORDER BY reference LIMIT 1",
    )
    .await;
    let pay = "COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv)";
    // Amounts beyond any real bill are refused (numeric overflow), never saturated.
    let e = copy_text(
        &c,
        pay,
        &format!("{r},BIG-1,99999999999999999999.00,2026-11-05,HBL\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22003", "{e:?}");
    assert_eq!(
        copy_text(&c, pay, &format!("{r},OK-1,1500.00,2026-11-05,HBL\n"))
            .await
            .unwrap(),
        1
    );
    // Several bad rows: every one is reported, in line order, parse and store faults alike.
    let rd = "COPY readings (reference, cycle, reading_date, previous_reading_date, offpeak_previous, offpeak_present, peak_previous, peak_present, mdi_kw, power_factor, reading_code) FROM STDIN WITH (FORMAT csv)";
    let bad = "99999999999999,2026-12,2026-12-05,2026-11-05,1,2,,,,,OK\n".to_string()
        + &format!("{r},2026-12,2026-12-05,2026-11-05,abc,2,,,,,OK\n")
        + &format!("{r},2026-12,2026-12-05\n");
    let e = copy_text(&c, rd, &bad).await.unwrap_err();
    let db = e.as_db_error().unwrap();
    let detail = db.detail().unwrap_or_default().to_string();
    assert!(
        detail.contains("line 1") && detail.contains("line 2") && detail.contains("line 3"),
        "{detail}"
    );
    // Continuity: December's previous reading must be November's present reading.
    let present = one(
        &c,
        &format!("SELECT offpeak_present FROM readings WHERE reference = '{r}'"),
    )
    .await;
    let read_on = one(
        &c,
        &format!("SELECT reading_date FROM readings WHERE reference = '{r}'"),
    )
    .await;
    let wrong: u64 = present.parse::<u64>().unwrap() + 1000;
    let e = copy_text(
        &c,
        rd,
        &format!(
            "{r},2026-12,2026-12-05,{read_on},{wrong},{},,,,,OK\n",
            wrong + 10
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");
    // So must its dates: the period starts on the last reading's date.
    let e = copy_text(
        &c,
        rd,
        &format!("{r},2026-12,2026-12-05,2026-10-20,{present},{wrong},,,,,OK\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22007", "{e:?}");
    let msg = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(
        msg.contains("previous_reading_date") && msg.contains(&read_on),
        "{msg}"
    );
    // Units far beyond what the consumer's load can draw are refused, not billed: on the
    // smallest load, 3 x ceil(load) x 24 h x days + 500 kWh (fits its register, wrapping).
    let small = rows(
        &c.simple_query(
            "SELECT k.reference, ceil(k.sanctioned_load_kw), k.meter_digits, r.offpeak_present, \
             r.reading_date FROM consumers k JOIN readings r ON r.reference = k.reference \
             WHERE NOT k.tou AND k.multiplying_factor = 1 AND r.reading_code = 'OK' \
             ORDER BY k.sanctioned_load_kw, k.reference LIMIT 1",
        )
        .await
        .unwrap(),
    );
    let (s_ref, load, digits, s_present, s_read) = (
        &small[0][0],
        small[0][1].parse::<f64>().unwrap() as u64,
        small[0][2].parse::<u32>().unwrap(),
        small[0][3].parse::<u64>().unwrap(),
        &small[0][4],
    );
    let from = chrono::NaiveDate::parse_from_str(s_read, "%Y-%m-%d").unwrap();
    let days = (chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap() - from).num_days() as u64;
    let advance = 3 * load.max(1) * 24 * days + 500;
    assert!(
        advance < 10u64.pow(digits) / 10,
        "advance {advance} on {digits} digits"
    );
    let huge = (s_present + advance) % 10u64.pow(digits);
    let e = copy_text(
        &c,
        rd,
        &format!("{s_ref},2026-12,2026-12-05,{s_read},{s_present},{huge},,,,,OK\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");
    let msg = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(msg.contains("implausible"), "{msg}");
    // A reading dated outside its cycle, an unknown reading code, a truncated quoted field.
    let e = copy_text(
        &c,
        rd,
        &format!("{r},2026-12,2027-12-01,2026-11-05,{present},{present},,,,,OK\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22007", "{e:?}");
    let e = copy_text(
        &c,
        rd,
        &format!("{r},2026-12,2026-12-05,2026-11-05,{present},{present},,,,,ZZ\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");
    let e = copy_text(
        &c,
        rd,
        &format!("{r},2026-12,2026-12-05,2026-11-05,{present},{present},,,,,\"O"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22P04", "{e:?}");
    // DDL/DML would be acknowledged and lost: refused.
    for sql in [
        "DROP TABLE bills",
        "CREATE TABLE keepme (a int)",
        "INSERT INTO payments VALUES ('x')",
        "DELETE FROM bills",
    ] {
        let e = c.simple_query(sql).await.unwrap_err();
        assert_eq!(sqlstate(&e), "0A000", "{sql}: {e:?}");
    }
    // Session statements drivers and poolers send.
    for sql in [
        "DISCARD ALL",
        "RESET ALL",
        "DEALLOCATE ALL",
        "SET extra_float_digits = 3",
        "BEGIN",
        "COMMIT",
    ] {
        c.simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // A correlated scalar subquery in the select list would come back NULL: refused instead.
    let e = c.simple_query("SELECT r.reference, (SELECT count(*) FROM payments p WHERE p.reference = r.reference) FROM readings r").await.unwrap_err();
    assert_eq!(sqlstate(&e), "0A000", "{e:?}");
    let joined = one(
        &c,
        "SELECT count(*) FROM readings r JOIN payments p ON p.reference = r.reference",
    )
    .await;
    assert_eq!(joined, one(&c, "SELECT count(*) FROM payments").await);
    // Numeric literals are exact NUMERIC; division by zero has its own SQLSTATE.
    assert_eq!(one(&c, "SELECT (0.10 + 0.20)::text").await, "0.30");
    let e = c.simple_query("SELECT 1/0").await.unwrap_err();
    assert_eq!(sqlstate(&e), "22012", "{e:?}");
    // Billing works; refused consumers are listed with their reason; subsidy is a column.
    let row = c
        .query_one("CALL bill_cycle('MEPCO', '2026-11')", &[])
        .await
        .unwrap();
    let refused: i64 = row.get("refused");
    assert_eq!(
        one(&c, "SELECT count(*) FROM bill_refusals").await,
        refused.to_string()
    );
    if refused > 0 {
        let reason = one(&c, "SELECT reason FROM bill_refusals LIMIT 1").await;
        assert!(!reason.is_empty());
    }
    one(&c, "SELECT sum(subsidy) FROM bills").await;
    drop(c);
    // After all that, the store still opens and holds exactly what was acknowledged.
    server.kill9();
    let server = Server::start(&data);
    let c = server.client().await;
    assert_eq!(one(&c, "SELECT count(*) FROM payments").await, "1");
    assert_eq!(one(&c, "SELECT amount FROM payments").await, "1500.00");
    server.stop();
}

/// Provisional (average) bills and their correction, a meter replaced mid-cycle and a
/// temporary disconnection, through COPY and `CALL bill_cycle`, and again after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_periods_through_the_server() {
    let (disco, server, c) = served_disco(1000, 11).await;
    let data = disco.data.clone();
    let pick = |sql: &'static str| {
        let c = &c;
        async move { rows(&c.simple_query(sql).await.unwrap()) }
    };
    let plain = pick(
        "SELECT reference, multiplying_factor FROM consumers WHERE tariff = 'A-1a' AND status = 'active' \
         AND NOT tou AND employee_grade IS NULL ORDER BY reference LIMIT 3",
    )
    .await;
    // A: not read in November at all (its December reading is an accumulated one).
    let a = plain[2][0].clone();
    let (p, m, m_mf) = (
        plain[0][0].clone(),
        plain[1][0].clone(),
        plain[1][1].parse::<u64>().unwrap(),
    );
    let off = pick(
        "SELECT reference, disconnected_from FROM consumers WHERE status = 'temp_disconnected' \
         AND NOT tou ORDER BY reference LIMIT 1",
    )
    .await;
    let t = off[0][0].clone();
    assert!(
        !off[0][1].is_empty(),
        "temp_disconnected rows carry disconnected_from"
    );
    let disco = one(&c, "SELECT disco FROM consumers LIMIT 1").await;

    let rd = "COPY readings (reference, cycle, reading_date, previous_reading_date, offpeak_previous, \
              offpeak_present, reading_code, old_offpeak_final, new_offpeak_initial) FROM STDIN WITH (FORMAT csv)";
    // November: P not read (AVG: registers unchanged), T disconnected (no advance), M's meter
    // replaced (old meter 1000 -> 1100, new meter 0 -> 50).
    let nov = format!(
        "{p},2026-11,2026-11-05,2026-10-05,5000,5000,AVG,,\n\
         {t},2026-11,2026-11-05,2026-10-05,700,700,OK,,\n\
         {m},2026-11,2026-11-05,2026-10-05,1000,50,MR,1100,0\n"
    );
    assert_eq!(copy_text(&c, rd, &nov).await.unwrap(), 3);
    // An AVG reading with an advance and an MR reading without registers are refused.
    let e = copy_text(
        &c,
        rd,
        &format!("{p},2026-12,2026-12-05,2026-10-05,5000,5100,AVG,,\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");
    let e = copy_text(
        &c,
        rd,
        &format!("{m},2026-12,2026-12-05,2026-11-05,50,60,MR,,\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "23502", "{e:?}");
    c.simple_query(&format!("CALL bill_cycle('{disco}', '2026-11')"))
        .await
        .unwrap();

    let bill = |r: &str, cycle: &str| {
        format!(
            "SELECT units, provisional, corrected, meter_changed, fixed_waived, provisional_adjustment, \
             payable_within_due FROM bills WHERE reference = '{r}' AND cycle = '{cycle}'"
        )
    };
    let pn = rows(&c.simple_query(&bill(&p, "2026-11")).await.unwrap());
    assert_eq!(pn.len(), 1);
    let estimate: u64 = pn[0][0].parse().unwrap();
    assert!(estimate > 0, "an estimate from history: {pn:?}");
    assert_eq!(&pn[0][1..5], ["t", "f", "f", "f"], "{pn:?}");
    let mn = rows(&c.simple_query(&bill(&m, "2026-11")).await.unwrap());
    assert_eq!(
        mn[0][0],
        (150 * m_mf).to_string(),
        "old 100 + new 50 units: {mn:?}"
    );
    assert_eq!(mn[0][3], "t");
    let memo = one(
        &c,
        &format!(
            "SELECT count(*) FROM bill_lines WHERE reference = '{m}' AND line IN ('meter_old', 'meter_new')"
        ),
    )
    .await;
    assert_eq!(memo, "2");
    let tn = rows(&c.simple_query(&bill(&t, "2026-11")).await.unwrap());
    assert_eq!(
        tn[0][4], "t",
        "fixed charges waived while disconnected: {tn:?}"
    );
    let fixed = one(
        &c,
        &format!(
            "SELECT count(*) FROM bill_lines WHERE reference = '{t}' AND amount <> 0 \
             AND line IN ('fixed', 'minimum_charge')"
        ),
    )
    .await;
    assert_eq!(fixed, "0");

    // No clock in billing: the bills are issued the day after the cycle's last reading.
    assert_eq!(
        one(
            &c,
            &format!("SELECT issue_date FROM bills WHERE reference = '{p}' AND cycle = '2026-11'")
        )
        .await,
        "2026-11-06"
    );
    // Readings follow each other: a back-dated or far-future month is refused, as is a
    // reading for a permanently disconnected consumer.
    for bad in [
        format!("{m},2026-10,2026-10-05,2026-09-05,950,1000,OK,,\n"),
        format!("{m},2099-12,2099-12-05,2099-11-05,50,60,OK,,\n"),
    ] {
        let e = copy_text(&c, rd, &bad).await.unwrap_err();
        assert_eq!(sqlstate(&e), "22023", "{bad}: {e:?}");
    }
    let gone =
        pick("SELECT reference FROM consumers WHERE status = 'perm_disconnected' LIMIT 1").await;
    let e = copy_text(
        &c,
        rd,
        &format!("{},2026-11,2026-11-05,2026-10-05,10,20,OK,,\n", gone[0][0]),
    )
    .await
    .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");

    // December: P's actual reading covers October 5 .. December 5 (600 units since the last
    // actual reading); November's estimate is corrected on December's bill.
    // A's December reading covers October 5 .. December 5 too, with no bill in between.
    let dec = format!(
        "{p},2026-12,2026-12-05,2026-10-05,5000,5600,OK,,\n\
         {a},2026-12,2026-12-05,2026-10-05,3000,3600,OK,,\n"
    );
    assert_eq!(copy_text(&c, rd, &dec).await.unwrap(), 2);
    c.simple_query(&format!("CALL bill_cycle('{disco}', '2026-12')"))
        .await
        .unwrap();
    let pd = rows(&c.simple_query(&bill(&p, "2026-12")).await.unwrap());
    assert_eq!(&pd[0][1..3], ["f", "t"], "{pd:?}");
    let dec_units: i64 = pd[0][0].parse().unwrap();
    let adj = rows(
        &c.simple_query(&format!(
            "SELECT quantity, amount FROM bill_lines WHERE reference = '{p}' AND cycle = '2026-12' \
             AND line = 'provisional_adjustment'"
        ))
        .await
        .unwrap(),
    );
    assert_eq!(adj.len(), 1, "one adjustment line for November: {adj:?}");
    // The adjustment's quantity is November's actual share minus its estimate, so the two
    // months' actual shares add up to the 600 units the meter advanced.
    let (whole, frac) = adj[0][0].split_once('.').unwrap_or((&adj[0][0], "0"));
    assert!(frac.bytes().all(|b| b == b'0'), "whole kWh: {adj:?}");
    let nov_share = estimate as i64 + whole.parse::<i64>().unwrap();
    assert_eq!(nov_share + dec_units, 600, "{adj:?} {pd:?}");
    assert_eq!(
        pd[0][5], adj[0][1],
        "bills.provisional_adjustment = the line"
    );

    // A: one December bill that also charges November, priced alone on its share (slab
    // benefit kept): the two shares add up to the 600 units.
    let acc = format!(
        "SELECT units, accumulated, accumulated_months, accumulated_amount, corrected FROM bills \
         WHERE reference = '{a}' AND cycle = '2026-12'"
    );
    let ad = rows(&c.simple_query(&acc).await.unwrap());
    assert_eq!(&ad[0][1..3], ["t", "1"], "{ad:?}");
    assert_eq!(ad[0][4], "f", "{ad:?}");
    let line = rows(
        &c.simple_query(&format!(
            "SELECT quantity, amount, source FROM bill_lines WHERE reference = '{a}' \
             AND cycle = '2026-12' AND line = 'accumulated_month'"
        ))
        .await
        .unwrap(),
    );
    assert_eq!(line.len(), 1, "{line:?}");
    assert!(
        line[0][2].starts_with("2026-11: no bill issued"),
        "{line:?}"
    );
    let nov_share: f64 = line[0][0].parse().unwrap();
    let dec_units: f64 = ad[0][0].parse().unwrap();
    assert_eq!(nov_share + dec_units, 600.0, "{line:?} {ad:?}");
    assert_eq!(line[0][1], ad[0][3], "bills.accumulated_amount = the line");

    // Restart: the same bills come back from the journal.
    let before: Vec<_> = [
        (&a, "2026-12"),
        (&p, "2026-11"),
        (&p, "2026-12"),
        (&m, "2026-11"),
        (&t, "2026-11"),
    ]
    .iter()
    .map(|(r, cy)| bill(r, cy))
    .collect();
    let mut want = Vec::new();
    for q in &before {
        want.push(rows(&c.simple_query(q).await.unwrap()));
    }
    drop(c);
    server.stop();
    let server = Server::start(&data);
    let c = server.client().await;
    for (q, w) in before.iter().zip(&want) {
        assert_eq!(&rows(&c.simple_query(q).await.unwrap()), w, "{q}");
    }
    server.stop();
    // The directory holds a journal-backend store: opening it as sled is refused, not served
    // empty.
    let out = std::process::Command::new(bijli_bin())
        .args(["recover", "--backend", "sled", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--backend journal"), "{err}");
}

/// NUMERIC(18,2) text -> paisa.
fn paisa(s: &str) -> i64 {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(frac.len() <= 2, "more than 2 decimals: {s}");
    let v = int.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap();
    if neg {
        -v
    } else {
        v
    }
}

const SRO_279: &str = include_str!("../../billing/data/sro-279-2026.toml");
const DETERMINED: &str = include_str!("../../billing/data/determined-illustrative-2026.toml");
const LATE_FPA: &str = r#"
[[fpa]]
fuel_month = "2026-09"
rate = "1.5000"
sro = "late FCA Sep-2026 (e2e)"
exempt_bands = ["lifeline"]
"#;

/// S.R.O. 279 as a new schedule from 2026-10-01: A-2a 37.44 -> 40.00, top A-1a slab
/// 47.20 -> 50.00 (so it also wins when really loaded).
fn higher_rates() -> String {
    let top = r#"{ band = "unprotected", from = 701,           rate = "47.20", fixed = "675" }"#;
    for needle in [
        r#"id = "SRO-279(I)/2026""#,
        r#"effective_from = "2026-02-12""#,
        r#"rate = "37.44""#,
        top,
    ] {
        assert_eq!(
            SRO_279.matches(needle).count(),
            1,
            "S.R.O. 279 data changed: {needle}"
        );
    }
    SRO_279
        .replace(r#"id = "SRO-279(I)/2026""#, r#"id = "PROPOSED-2026-10""#)
        .replace(
            r#"effective_from = "2026-02-12""#,
            r#"effective_from = "2026-10-01""#,
        )
        .replace(r#"rate = "37.44""#, r#"rate = "40.00""#)
        .replace(top, &top.replace("47.20", "50.00"))
}

/// (category, band) -> simulate_tariff row, by column name.
type SimRows =
    std::collections::BTreeMap<(String, String), std::collections::HashMap<String, String>>;

async fn simulate(c: &tokio_postgres::Client, proposal: &str) -> SimRows {
    let msgs = c
        .simple_query(&format!(
            "CALL simulate_tariff($toml${proposal}$toml$, '2026-11', 'mepco')"
        ))
        .await
        .unwrap();
    let mut out = SimRows::new();
    for m in &msgs {
        if let SimpleQueryMessage::Row(r) = m {
            let cols: std::collections::HashMap<String, String> = r
                .columns()
                .iter()
                .enumerate()
                .map(|(i, col)| (col.name().to_string(), r.get(i).unwrap().to_string()))
                .collect();
            assert_eq!(cols["disco"], "MEPCO");
            out.insert((cols["category"].clone(), cols["band"].clone()), cols);
        }
    }
    assert!(out.contains_key(&("ALL".into(), "ALL".into())), "{out:?}");
    out
}

/// reference -> (payable_within_due, total_fpa) of cycle 2026-11, in paisa.
async fn payables(c: &tokio_postgres::Client) -> std::collections::HashMap<String, (i64, i64)> {
    rows(
        &c.simple_query(
            "SELECT reference, payable_within_due, total_fpa FROM bills WHERE cycle = '2026-11'",
        )
        .await
        .unwrap(),
    )
    .into_iter()
    .map(|r| (r[0].clone(), (paisa(&r[1]), paisa(&r[2]))))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_fpa_rebill_difference_and_tariff_what_if() {
    let (disco, server, c) = served_disco(800, 17).await;
    let (gen, data) = (disco.gen.clone(), disco.data.clone());
    copy_file(&c, "readings", &gen.join("readings.csv"))
        .await
        .unwrap();
    c.simple_query(&format!(
        "CALL load_tariff('determined.toml', $toml${DETERMINED}$toml$)"
    ))
    .await
    .unwrap();
    let bill = "CALL bill_cycle('MEPCO', '2026-11', '2026-12-04')";
    c.simple_query(bill).await.unwrap();
    let first = payables(&c).await;
    assert!(first.len() > 600, "bills: {}", first.len());
    assert_eq!(
        one(&c, "SELECT count(*) FROM bills WHERE previous_payable_within_due IS NULL AND difference IS NULL").await,
        first.len().to_string(),
        "a first run has no previous payable"
    );
    assert!(
        first.values().all(|(_, fpa)| *fpa == 0),
        "no FPA for Sep-2026 yet"
    );
    // The subsidy per line adds up to each bill's subsidy (determined schedule loaded).
    assert_eq!(
        one(
            &c,
            "SELECT count(*) FROM bills b LEFT JOIN (SELECT reference, cycle, sum(subsidy) AS s \
             FROM bill_subsidy GROUP BY reference, cycle) l \
             ON l.reference = b.reference AND l.cycle = b.cycle \
             WHERE coalesce(l.s, 0) <> b.subsidy"
        )
        .await,
        "0"
    );
    let subsidised = one(&c, "SELECT count(DISTINCT reference) FROM bill_subsidy").await;
    assert!(subsidised.parse::<u64>().unwrap() > 100, "{subsidised}");

    // What-if of the late FPA file, then load it for real and re-bill.
    let fpa_whatif = simulate(&c, LATE_FPA).await;
    c.simple_query(&format!(
        "CALL load_tariff('fca-2026-09.toml', $toml${LATE_FPA}$toml$)"
    ))
    .await
    .unwrap();
    c.simple_query(bill).await.unwrap();
    let second = payables(&c).await;
    let changed_sql = "SELECT reference, previous_payable_within_due, payable_within_due, difference FROM bills WHERE cycle = '2026-11' AND difference <> 0 ORDER BY reference";
    let changed = rows(&c.simple_query(changed_sql).await.unwrap());
    // Independent: from the two snapshots, the only change is the new FPA block.
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut total = 0i64;
    let mut refs: Vec<&String> = second.keys().collect();
    refs.sort();
    for r in refs {
        let (p1, f1) = first[r];
        let (p2, f2) = second[r];
        assert_eq!(p2 - p1, f2 - f1, "{r}: payable moved by more than the FPA");
        total += p2 - p1;
        if p2 != p1 {
            expected.push(vec![
                r.clone(),
                format!("{p1}"),
                format!("{p2}"),
                format!("{}", p2 - p1),
            ]);
        }
    }
    let changed_paisa: Vec<Vec<String>> = changed
        .iter()
        .map(|r| {
            vec![
                r[0].clone(),
                paisa(&r[1]).to_string(),
                paisa(&r[2]).to_string(),
                paisa(&r[3]).to_string(),
            ]
        })
        .collect();
    assert_eq!(changed_paisa, expected);
    assert!(
        changed.len() > 100,
        "bills with an FPA difference: {}",
        changed.len()
    );
    assert_eq!(
        one(&c, "SELECT count(*) FROM bills WHERE difference IS NULL OR previous_payable_within_due IS NULL").await,
        "0",
        "every bill of the re-run has its previous payable"
    );
    assert_eq!(
        one(
            &c,
            "SELECT count(*) FROM bills WHERE band = 'lifeline' AND difference <> 0"
        )
        .await,
        "0",
        "lifeline is exempt from FPA"
    );
    assert_eq!(
        paisa(&fpa_whatif[&("ALL".to_string(), "ALL".to_string())]["revenue_change"]),
        total,
        "the what-if of the FPA file predicted the re-bill"
    );

    // Survives restart: replay recomputes both runs in journal order.
    drop(c);
    server.stop();
    let server = Server::start(&data);
    let c = server.client().await;
    assert_eq!(rows(&c.simple_query(changed_sql).await.unwrap()), changed);

    // The same FCA file again is a duplicate (23505); its revision (rate 1.50 -> 2.25) is
    // loaded as revision 1 and a re-bill moves each bill by exactly its FPA change.
    let e = c
        .simple_query(&format!(
            "CALL load_tariff('fca-2026-09.toml', $toml${LATE_FPA}$toml$)"
        ))
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "23505", "{e:?}");
    let revised = LATE_FPA
        .replace("rate = \"1.5000\"", "revision = 1\nrate = \"2.2500\"")
        .replace("(e2e)", "(e2e, revised)");
    c.simple_query(&format!(
        "CALL load_tariff('fca-2026-09-rev1.toml', $toml${revised}$toml$)"
    ))
    .await
    .unwrap();
    // The adjustments table lists both notifications; the revision is the one in force.
    assert_eq!(
        rows(
            &c.simple_query(
                "SELECT revision, bill_months, rate_rs_per_kwh, in_force FROM adjustments \
                 WHERE kind = 'FPA' AND period = '2026-09' ORDER BY revision"
            )
            .await
            .unwrap()
        ),
        vec![
            vec!["0".to_string(), String::new(), "1.5000".into(), "f".into()],
            vec![
                "1".to_string(),
                "2026-11".into(),
                "2.2500".into(),
                "t".into()
            ],
        ]
    );
    c.simple_query(bill).await.unwrap();
    let third = payables(&c).await;
    let mut moved = 0;
    for (r, &(p3, f3)) in &third {
        let (p2, f2) = second[r];
        assert_eq!(p3 - p2, f3 - f2, "{r}: payable moved by more than the FPA");
        // FPA and its taxes scale with the rate, up to rounding: 2.25 / 1.50 = 1.5.
        assert!(
            (f3 - f2 - (f2 - first[r].1) / 2).abs() <= 300,
            "{r}: {f2} -> {f3}"
        );
        moved += i32::from(p3 != p2);
    }
    assert!(moved > 100, "bills moved by the revision: {moved}");
    assert_eq!(
        one(
            &c,
            "SELECT count(*) FROM bills WHERE cycle = '2026-11' AND total_fpa <> 0 \
             AND versions NOT LIKE '%FPA 2026-09 rev 1%'"
        )
        .await,
        "0",
        "every bill with an FPA records the revision it used"
    );
    let second = third;

    // Tariff what-if: higher A-2a and top-slab rates; nothing is billed or journaled.
    let before_sim = rows(&c.simple_query("SELECT reference, payable_within_due, previous_payable_within_due, subsidy FROM bills ORDER BY reference").await.unwrap());
    let proposal = higher_rates();
    let sim = simulate(&c, &proposal).await;
    assert_eq!(
        rows(&c.simple_query("SELECT reference, payable_within_due, previous_payable_within_due, subsidy FROM bills ORDER BY reference").await.unwrap()),
        before_sim,
        "simulate_tariff changed bills"
    );
    let all = &sim[&("ALL".to_string(), "ALL".to_string())];
    assert!(paisa(&all["revenue_change"]) > 0, "{all:?}");
    assert_eq!(all["bills"], second.len().to_string());
    assert_eq!(
        paisa(&all["revenue_current"]),
        paisa(
            &one(
                &c,
                "SELECT sum(current_bill + total_fpa) FROM bills WHERE cycle = '2026-11'"
            )
            .await
        )
    );
    // By hand: A-2a subsidy = units x (determined 42.00 - applicable), so the proposal moves
    // the commercial flat subsidy by -2.56 per A-2a unit.
    let a2a_units: i64 = one(&c, "SELECT sum(units) FROM bills WHERE tariff = 'A-2a'")
        .await
        .parse()
        .unwrap();
    assert!(a2a_units > 0);
    let flat = &sim[&("commercial".to_string(), "flat".to_string())];
    assert_eq!(paisa(&flat["subsidy_change"]), -a2a_units * 256);
    for r in sim.values() {
        assert_eq!(
            paisa(&r["revenue_change"]),
            paisa(&r["revenue_proposed"]) - paisa(&r["revenue_current"])
        );
    }

    // Independent: really load the proposal and re-bill; the difference column per
    // category / band is what the what-if said.
    c.simple_query(&format!(
        "CALL load_tariff('proposed.toml', $toml${proposal}$toml$)"
    ))
    .await
    .unwrap();
    c.simple_query(bill).await.unwrap();
    let by_row = rows(&c.simple_query("SELECT category, band, sum(difference), sum(subsidy) FROM bills WHERE cycle = '2026-11' GROUP BY category, band ORDER BY 1, 2").await.unwrap());
    assert_eq!(
        by_row.len(),
        sim.values()
            .filter(|r| r["bills"] != "0" && r["category"] != "ALL")
            .count()
    );
    let mut total = 0i64;
    for r in &by_row {
        let s = &sim[&(r[0].clone(), r[1].clone())];
        assert_eq!(paisa(&r[2]), paisa(&s["revenue_change"]), "{r:?}");
        assert_eq!(paisa(&r[3]), paisa(&s["subsidy_proposed"]), "{r:?}");
        total += paisa(&r[2]);
    }
    assert_eq!(total, paisa(&all["revenue_change"]));

    // Refusals: a schedule that does not parse, an unbilled cycle.
    let e = c
        .simple_query("CALL simulate_tariff('[[schedule]] id =', '2026-11')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "22023", "{e:?}");
    let e = c
        .simple_query("CALL simulate_tariff('sro-279-2026.toml', '2026-10')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "55000", "{e:?}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_limit_gets_53300_and_the_others_carry_on() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_args(tmp.path(), "journal", &["--max-connections", "2"]);
    let a = server.client().await;
    let b = server.client().await;
    // tokio-postgres (no TLS) and psql (asks for SSL first) are both told, not left waiting.
    let e = tokio_postgres::connect(&server.conn_str(), tokio_postgres::NoTls)
        .await
        .err()
        .expect("a third connection is refused");
    assert_eq!(sqlstate(&e), "53300", "{e:?}");
    let out = server.psql("SELECT 1");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("too many clients"), "{err}");
    assert_eq!(one(&a, "SELECT 1").await, "1");
    // A freed slot is served again.
    drop(b);
    let mut ok = false;
    for _ in 0..50 {
        if let Ok((c, conn)) =
            tokio_postgres::connect(&server.conn_str(), tokio_postgres::NoTls).await
        {
            tokio::spawn(conn);
            ok = one(&c, "SELECT 2").await == "2";
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ok, "the freed slot was never served");
    server.stop();
}

/// Installments (CALL grant_installments): the first installment stays due with the bill the
/// grant was made against, the rest are billed one per later bill with markup (14 % a year
/// pro-rata, the documented UNCONFIRMED default), visible in `bills`, `bill_lines` and
/// `installment_plans`, and all of it survives kill -9. A loaded meter rent rule bills its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installments_and_meter_rent_through_the_server() {
    let (disco, server, c) = served_disco(400, 23).await;
    let (gen, data) = (disco.gen.clone(), disco.data.clone());
    copy_file(&c, "readings", &gen.join("readings.csv"))
        .await
        .unwrap();
    let name = one(&c, "SELECT disco FROM consumers LIMIT 1").await;
    c.simple_query(&format!(
        "CALL bill_cycle('{name}', '2026-11', '2026-12-04')"
    ))
    .await
    .unwrap();
    // Two A-1a consumers with a bill of more than Rs 1,000 and a plain reading.
    let picked = rows(
        &c.simple_query(
            "SELECT b.reference, b.payable_within_due, b.due_date, r.reading_date, r.offpeak_present \
             FROM bills b JOIN readings r ON r.reference = b.reference AND r.cycle = b.cycle \
             JOIN consumers k ON k.reference = b.reference \
             WHERE b.tariff = 'A-1a' AND NOT k.tou AND k.employee_grade IS NULL AND k.phase = 1 \
             AND r.reading_code = 'OK' AND b.payable_within_due > 1000 \
             ORDER BY b.reference LIMIT 2",
        )
        .await
        .unwrap(),
    );
    assert_eq!(picked.len(), 2, "{picked:?}");
    let (r, owed, due) = (
        picked[0][0].clone(),
        paisa(&picked[0][1]),
        picked[0][2].clone(),
    );

    // Three installments of all the consumer owes, granted on the bill's issue date (default).
    let g = rows(
        &c.simple_query(&format!("CALL grant_installments('{r}', '3')"))
            .await
            .unwrap(),
    );
    let split = [owed / 3, owed / 3, owed - 2 * (owed / 3)];
    assert_eq!(g.len(), 1);
    assert_eq!(g[0][0], r);
    assert_eq!(g[0][1], "2026-12-04");
    assert_eq!(paisa(&g[0][2]), owed);
    assert_eq!(g[0][3], "3");
    assert_eq!(paisa(&g[0][4]), split[0]);
    assert_eq!(
        g[0][5], due,
        "the first installment is due with November's bill"
    );
    assert_eq!(paisa(&g[0][6]), split[1] + split[2]);
    assert_eq!(g[0][7], "14.0000");
    assert!(
        g[0][8].contains("UNCONFIRMED") || g[0][8].contains("press"),
        "{g:?}"
    );

    // The other consumer: Rs 500 in 2, by bind parameters (extended protocol).
    let r2 = picked[1][0].clone();
    let row = c
        .query_one(
            "CALL grant_installments($1, $2, $3)",
            &[&r2.as_str(), &"2", &"500"],
        )
        .await
        .unwrap();
    let granted: String = row.get("reference");
    assert_eq!(granted, r2);
    assert_eq!(
        one(
            &c,
            &format!("SELECT deferred_outstanding FROM installment_plans WHERE reference = '{r2}'")
        )
        .await,
        "250.00"
    );

    // Refused: a second plan, too many installments, more than owed, an unknown consumer.
    for (sql, state) in [
        (format!("CALL grant_installments('{r}', '2')"), "22023"),
        (
            format!("CALL grant_installments('{r2}', '2', '10')"),
            "22023",
        ),
        (
            format!("CALL grant_installments('{}', '13')", picked[1][0]),
            "22023",
        ),
        (
            "CALL grant_installments('01234567890123', '2')".to_string(),
            "23503",
        ),
        (format!("CALL grant_installments('{r}')"), "22023"),
    ] {
        let e = c.simple_query(&sql).await.unwrap_err();
        assert_eq!(sqlstate(&e), state, "{sql}: {e:?}");
    }
    let plan = rows(
        &c.simple_query(&format!(
            "SELECT plan, granted_on, granted_against, amount, installments, first_installment, \
             installments_billed, deferred_outstanding, finished FROM installment_plans \
             WHERE reference = '{r}'"
        ))
        .await
        .unwrap(),
    );
    assert_eq!(
        plan,
        vec![vec![
            "1".to_string(),
            "2026-12-04".into(),
            "2026-11".into(),
            format!("{}.{:02}", owed / 100, owed % 100),
            "3".into(),
            format!("{}.{:02}", split[0] / 100, split[0] % 100),
            "0".into(),
            format!(
                "{}.{:02}",
                (split[1] + split[2]) / 100,
                (split[1] + split[2]) % 100
            ),
            "f".into(),
        ]]
    );
    assert_eq!(one(&c, "SELECT count(*) FROM installment_plans").await, "2");

    // The first installment paid on the due date; December read and billed.
    copy_text(
        &c,
        "COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv)",
        &format!(
            "{r},INST-1,{}.{:02},{due},HBL\n",
            split[0] / 100,
            split[0] % 100
        ),
    )
    .await
    .unwrap();
    let present: u64 = picked[0][4].parse().unwrap();
    copy_text(
        &c,
        "COPY readings (reference, cycle, reading_date, previous_reading_date, offpeak_previous, \
         offpeak_present, reading_code) FROM STDIN WITH (FORMAT csv)",
        &format!(
            "{r},2026-12,2026-12-28,{},{present},{},OK\n",
            picked[0][3],
            present + 120
        ),
    )
    .await
    .unwrap();
    // Meter rent where in force: an operator file from December, single-phase A-1a only.
    let rent = "[[meter_rent]]\neffective_from = \"2026-12-01\"\nphase = 1\ntariffs = [\"A-1a\"]\n\
                rs_per_month = \"25\"\nsource = \"e2e office order\"\nconfirmed = false\n";
    let loaded = one(&c, &format!("CALL load_tariff('rent.toml', $t${rent}$t$)")).await;
    assert_eq!(loaded, "rent.toml");
    c.simple_query(&format!("CALL bill_cycle('{name}', '2026-12')"))
        .await
        .unwrap();
    let rent_lines = rows(
        &c.simple_query(&format!(
            "SELECT amount, rule FROM bill_lines WHERE reference = '{r}' AND cycle = '2026-12' \
             AND line = 'meter_rent'"
        ))
        .await
        .unwrap(),
    );
    assert_eq!(rent_lines.len(), 1, "{rent_lines:?}");
    assert_eq!(rent_lines[0][0], "25.00");
    assert!(rent_lines[0][1].contains("UNCONFIRMED"), "{rent_lines:?}");
    assert_eq!(
        one(
            &c,
            "SELECT count(*) FROM bill_lines WHERE cycle = '2026-11' AND line = 'meter_rent'"
        )
        .await,
        "0",
        "not in force before its date"
    );
    // Every line explains itself in SQL: quantity x rate rounds to the amount (to the paisa;
    // LPS and GST on FPA to the rupee), except the summary lines of earlier months.
    assert_eq!(
        one(
            &c,
            "SELECT count(*) FROM bill_lines WHERE line NOT IN \
             ('provisional_adjustment', 'accumulated_month', 'lps', 'gst_on_fpa') \
             AND round(quantity * rate, 2) <> amount"
        )
        .await,
        "0"
    );
    assert_eq!(
        one(
            &c,
            "SELECT count(*) FROM bill_lines WHERE line IN ('lps', 'gst_on_fpa') \
             AND round(quantity * rate) <> amount"
        )
        .await,
        "0"
    );
    let dec_sql = format!(
        "SELECT installment, installment_markup, deferred, arrears, lps_in_arrears, current_bill, \
         total_fpa, payable_within_due, issue_date FROM bills WHERE reference = '{r}' AND cycle = '2026-12'"
    );
    let dec = rows(&c.simple_query(&dec_sql).await.unwrap());
    assert_eq!(dec.len(), 1, "{dec:?}");
    let d: Vec<i64> = dec[0][..8].iter().map(|v| paisa(v)).collect();
    // Markup: Rs deferred x 14 % x days since the grant / 365, to the paisa.
    let issue = chrono::NaiveDate::parse_from_str(&dec[0][8], "%Y-%m-%d").unwrap();
    let days = (issue - chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()).num_days();
    // In paisa: deferred x 14 x days / 36,500, rounded half up (all positive).
    let (num, den) = (
        i128::from(split[1] + split[2]) * 14 * i128::from(days),
        36_500i128,
    );
    let markup = (2 * num + den) / (2 * den);
    assert_eq!(d[0], split[1], "{dec:?}");
    assert_eq!(i128::from(d[1]), markup, "{dec:?}");
    assert_eq!(d[2], split[2]);
    assert_eq!((d[3], d[4]), (0, 0), "paid on time: no arrears, no LPS");
    assert_eq!(
        d[7],
        d[5] + d[6] + d[0] + d[1],
        "payable = current + FPA + installment + markup"
    );
    let lines = rows(
        &c.simple_query(&format!(
            "SELECT line, amount, rule FROM bill_lines WHERE reference = '{r}' AND cycle = '2026-12' \
             AND line LIKE 'installment%' ORDER BY seq"
        ))
        .await
        .unwrap(),
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (lines[0][0].as_str(), paisa(&lines[0][1])),
        ("installment", d[0])
    );
    assert_eq!(
        (lines[1][0].as_str(), paisa(&lines[1][1])),
        ("installment_markup", d[1])
    );
    assert!(
        lines.iter().all(|l| l[2].contains("UNCONFIRMED")),
        "{lines:?}"
    );

    // kill -9 and restart: the same bill and plan from the journal; a re-run keeps them.
    server.kill9();
    let server = Server::start(&data);
    let c = server.client().await;
    assert_eq!(rows(&c.simple_query(&dec_sql).await.unwrap()), dec);
    c.simple_query(&format!("CALL bill_cycle('{name}', '2026-12')"))
        .await
        .unwrap();
    assert_eq!(rows(&c.simple_query(&dec_sql).await.unwrap()), dec);
    assert_eq!(
        one(
            &c,
            &format!("SELECT installments_billed FROM installment_plans WHERE reference = '{r}'")
        )
        .await,
        "1"
    );
    drop(disco);
    server.stop();
}

/// `COPY ... TO STDOUT` (psql `\copy ... TO`, tokio-postgres `copy_out`): a query's rows come
/// out exactly as SELECT shows them, and a table exported from one server loads into another
/// with `COPY ... FROM` and reads back the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_stdout_exports_and_round_trips() {
    use futures::TryStreamExt;
    let (disco, server, c) = served_disco(300, 31).await;
    let readings = copy_file(&c, "readings", &disco.gen.join("readings.csv"))
        .await
        .unwrap();
    c.simple_query("CALL bill_cycle('MEPCO', '2026-11')")
        .await
        .unwrap();
    let query = "SELECT reference, payable_within_due, due_date, provisional, versions FROM bills ORDER BY reference";
    let want: String = rows(&c.simple_query(query).await.unwrap())
        .iter()
        .map(|r| {
            let quoted: Vec<String> = r
                .iter()
                .map(|v| {
                    if v.contains(',') || v.contains('"') {
                        format!("\"{}\"", v.replace('"', "\"\""))
                    } else {
                        v.clone()
                    }
                })
                .collect();
            format!("{}\n", quoted.join(","))
        })
        .collect();
    let stream = c
        .copy_out(&format!(
            "COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
        ))
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> = stream.try_collect().await.unwrap();
    let got = String::from_utf8(chunks.concat()).unwrap();
    let (header, body) = got.split_once('\n').unwrap();
    assert_eq!(
        header,
        "reference,payable_within_due,due_date,provisional,versions"
    );
    assert_eq!(body, want);
    assert!(body.lines().count() > 250);

    // PostgreSQL's to_char templates (BI tools group by month this way).
    let issue = one(&c, "SELECT DISTINCT issue_date FROM bills").await;
    assert_eq!(
        one(
            &c,
            "SELECT DISTINCT to_char(issue_date, 'YYYY-MM') FROM bills"
        )
        .await,
        issue[..7]
    );
    assert_eq!(
        one(
            &c,
            "SELECT to_char(CAST(-1234.5 AS numeric(10,2)), '999,999.00')"
        )
        .await,
        "  -1,234.50"
    );

    // psql \copy of the consumer master and the readings to files, loaded into a second
    // server (the files' headers as column lists): the same consumers, readings and bills.
    let other = Server::start(&disco.tmp.path().join("data2"));
    let c2 = other.client().await;
    for (table, n) in [("consumers", 300u64), ("readings", readings)] {
        let file = disco.tmp.path().join(format!("{table}-export.csv"));
        let out = server.psql(&format!(
            "\\copy {table} TO '{}' WITH (FORMAT csv, HEADER)",
            file.display()
        ));
        assert!(
            out.status.success(),
            "psql \\copy TO: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("COPY {n}")));
        assert_eq!(copy_file(&c2, table, &file).await.unwrap(), n);
        let all = format!("SELECT * FROM {table} ORDER BY reference");
        assert_eq!(
            rows(&c2.simple_query(&all).await.unwrap()),
            rows(&c.simple_query(&all).await.unwrap()),
            "{table}"
        );
    }
    c2.simple_query("CALL bill_cycle('MEPCO', '2026-11')")
        .await
        .unwrap();
    let bills =
        "SELECT reference, band, current_bill, payable_within_due FROM bills ORDER BY reference";
    assert_eq!(
        rows(&c2.simple_query(bills).await.unwrap()),
        rows(&c.simple_query(bills).await.unwrap())
    );
    // Free text keeps its surrounding spaces, as in PostgreSQL (CSV, unquoted).
    let first = one(
        &c,
        "SELECT reference FROM consumers ORDER BY reference LIMIT 1",
    )
    .await;
    copy_text(
        &c,
        "COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv)",
        &format!("{first}, TX 1 ,10.00,2026-12-01, Meezan  \n"),
    )
    .await
    .unwrap();
    assert_eq!(
        one(
            &c,
            "SELECT '[' || transaction_id || '|' || bank || ']' FROM payments WHERE amount = 10"
        )
        .await,
        "[ TX 1 | Meezan  ]"
    );
    // Refused: a server-side file.
    let e = c
        .simple_query("COPY bills TO '/tmp/bills.csv'")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "0A000", "{e:?}");
    other.stop();
    server.stop();
}

/// pgJDBC (Debian's libpostgresql-jdbc-java, installed by .ci/run): `tests/java/JdbcCheck.java`
/// runs plain and server-prepared queries, CALL with parameters, SQLSTATEs, DatabaseMetaData
/// and CopyManager both ways against the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgjdbc_works_against_the_binary() {
    let (disco, server, c) = served_disco(300, 5).await;
    copy_file(&c, "readings", &disco.gen.join("readings.csv"))
        .await
        .unwrap();
    c.simple_query("CALL bill_cycle('MEPCO', '2026-11')")
        .await
        .unwrap();
    let jar = std::env::var("BIJLI_JDBC_JAR")
        .unwrap_or_else(|_| "/usr/share/java/postgresql.jar".to_string());
    assert!(
        std::path::Path::new(&jar).exists(),
        "pgJDBC not found at {jar}: install libpostgresql-jdbc-java (.ci/run does) or set BIJLI_JDBC_JAR"
    );
    let script = format!("{}/java/JdbcCheck.java", manifest_dir());
    let out = std::process::Command::new("java")
        .args([
            "-cp",
            jar.as_str(),
            script.as_str(),
            server.host(),
            server.port(),
            "MEPCO",
            "2026-11",
        ])
        .output()
        .expect("java runs (Java 17 is on the machine image)");
    assert!(
        out.status.success(),
        "pgJDBC check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("jdbc ok"));
    server.stop();
}
