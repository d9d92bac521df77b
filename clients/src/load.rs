//! Bulk loading over the PostgreSQL wire protocol: stream CSV bytes to `COPY ... FROM STDIN`.
//!
//! The reader is read synchronously in fixed-size chunks ([`COPY_CHUNK_BYTES`]) and each chunk
//! is sent as one CopyData message, so memory stays bounded whatever the file size. Reading a
//! local file blocks only briefly per chunk; callers loading from slow sources should wrap the
//! call in `spawn_blocking`-fed channels instead.

use std::io::Read;

use anyhow::Context;
use bytes::Bytes;
use futures::SinkExt;

/// Bytes sent per CopyData message.
pub const COPY_CHUNK_BYTES: usize = 1024 * 1024;

/// Streams everything `reader` yields to the server as the data of `copy_sql` (a
/// `COPY table (cols) FROM STDIN ...` statement) and returns the row count the server reported
/// in its `COPY n` command tag.
pub async fn copy_csv(
    client: &tokio_postgres::Client,
    copy_sql: &str,
    mut reader: impl Read,
) -> Result<u64, anyhow::Error> {
    let sink = client
        .copy_in::<str, Bytes>(copy_sql)
        .await
        .with_context(|| format!("starting {copy_sql}"))?;
    futures::pin_mut!(sink);
    let mut buf = vec![0u8; COPY_CHUNK_BYTES];
    loop {
        // Fill the chunk as far as the reader allows, so small reads do not become tiny messages.
        let mut filled = 0;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(anyhow::Error::new(e).context("reading COPY input")),
            }
        }
        if filled == 0 {
            break;
        }
        sink.send(Bytes::copy_from_slice(&buf[..filled]))
            .await
            .context("sending COPY data")?;
        if filled < buf.len() {
            break;
        }
    }
    let rows = sink.as_mut().finish().await.context("finishing COPY")?;
    Ok(rows)
}

/// Rows per COPY when a file is loaded in batches: each batch is one durable, all-or-nothing
/// COPY, and bounds the server's memory for one COPY.
pub const ROWS_PER_COPY: usize = 1_000_000;

/// Loads a CSV file whose first line is a header (the column names) into `table`, as
/// consecutive `COPY table (header columns) FROM STDIN WITH (FORMAT csv, HEADER true)` statements of at most
/// `rows_per_copy` rows (the header is repeated on each). Fields must not contain newlines
/// (true of `bijli generate` files). Returns the total row count the server reported.
pub async fn copy_csv_file(
    client: &tokio_postgres::Client,
    table: &str,
    path: &std::path::Path,
    rows_per_copy: usize,
) -> Result<u64, anyhow::Error> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = std::io::BufReader::with_capacity(1 << 20, f).split(b'\n');
    let Some(header) = lines.next() else {
        return Ok(0);
    };
    let mut header = header.context("reading header")?;
    // The header names the columns, so a file with fewer (or reordered) columns than the
    // table loads as PostgreSQL's `COPY t (cols)` would.
    let names = std::str::from_utf8(&header)
        .context("CSV header is not UTF-8")?
        .trim_end_matches('\r')
        .to_string();
    let columns: Vec<&str> = names.split(',').map(str::trim).collect();
    if let Some(bad) = columns.iter().find(|c| {
        c.is_empty()
            || !c
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }) {
        anyhow::bail!(
            "{}: header column {bad:?} is not a column name",
            path.display()
        );
    }
    header.push(b'\n');
    let sql = format!(
        "COPY {table} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)",
        columns.join(", ")
    );
    let mut total = 0;
    let mut batch: Vec<u8> = Vec::with_capacity(64 << 20);
    let mut rows = 0;
    loop {
        let line = lines.next().transpose().context("reading CSV")?;
        let done = line.is_none();
        if let Some(l) = line {
            if !l.is_empty() {
                if rows == 0 {
                    batch.extend_from_slice(&header);
                }
                batch.extend_from_slice(&l);
                batch.push(b'\n');
                rows += 1;
            }
        }
        if rows > 0 && (rows >= rows_per_copy || done) {
            total += copy_csv(client, &sql, &batch[..]).await?;
            batch.clear();
            rows = 0;
        }
        if done {
            break;
        }
    }
    Ok(total)
}
