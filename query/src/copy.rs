//! `COPY <table> [(columns)] FROM STDIN [WITH (FORMAT csv|text, HEADER, DELIMITER, NULL)]`.
//!
//! Policy (all-or-nothing): every row of one COPY is parsed and validated before anything is
//! stored. If any row is bad, the whole COPY is refused with SQLSTATE of the first fault and a
//! list (up to 100) of `line N, column C: reason`; nothing of it is journaled or visible, so the
//! operator fixes the file and re-sends it. A COPY that is acknowledged is durable.
//! Line numbers count from 1 at the first line of the data stream, header included.

use std::str::FromStr;

use billing::YearMonth;
use chrono::NaiveDate;
use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};
use rust_decimal::Decimal;
use storage::{Consumer, ConsumerStatus, MeterSwap, Payment, Reading, Store};

use crate::error::{CopyRowError, QueryError};

/// `readings` columns computed from the registers: accepted in a column list and ignored.
const DERIVED_READING_COLUMNS: [&str; 3] = ["units", "offpeak_units", "peak_units"];
/// The table column index of an input field that is read and ignored.
const IGNORED_FIELD: usize = usize::MAX;

/// Rows of one COPY beyond which it is refused (split it): bounds memory per connection.
pub const MAX_COPY_BYTES: usize = 1 << 30;
/// Faults a refused COPY lists at most.
pub const MAX_LISTED_FAULTS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyTable {
    Consumers,
    Readings,
    Payments,
}

impl CopyTable {
    pub fn name(self) -> &'static str {
        match self {
            CopyTable::Consumers => "consumers",
            CopyTable::Readings => "readings",
            CopyTable::Payments => "payments",
        }
    }
    /// Input columns in default order; `true` = required.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            CopyTable::Consumers => &[
                ("reference", true),
                ("customer_id", false),
                ("name", true),
                ("address", false),
                ("disco", true),
                ("circle", false),
                ("division", false),
                ("subdivision", false),
                ("batch", false),
                ("tariff", true),
                ("sanctioned_load_kw", true),
                ("phase", false),
                ("meter_no", false),
                ("multiplying_factor", false),
                ("connection_date", false),
                ("status", false),
                ("owner_type", false),
                ("province", true),
                ("tou", false),
                ("atl", false),
                ("employee_grade", false),
                ("employee_status", false),
                ("arrears", false),
                ("history", false),
                ("disconnected_from", false),
                ("strn", false),
                ("meter_digits", false),
            ],
            CopyTable::Readings => &[
                ("reference", true),
                ("cycle", true),
                ("reading_date", true),
                ("previous_reading_date", true),
                ("offpeak_previous", true),
                ("offpeak_present", true),
                ("peak_previous", false),
                ("peak_present", false),
                ("mdi_kw", false),
                ("power_factor", false),
                ("reading_code", false),
                ("old_offpeak_final", false),
                ("old_peak_final", false),
                ("old_mdi_kw", false),
                ("new_offpeak_initial", false),
                ("new_peak_initial", false),
                ("new_multiplying_factor", false),
            ],
            CopyTable::Payments => &[
                ("reference", true),
                ("transaction_id", true),
                ("amount", true),
                ("value_date", true),
                ("bank", true),
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Csv,
    Text,
}

/// A parsed COPY FROM STDIN statement.
#[derive(Debug, Clone)]
pub struct CopyPlan {
    pub table: CopyTable,
    /// For each input field position, the index into `table.columns()`.
    pub fields: Vec<usize>,
    pub format: CopyFormat,
    pub header: bool,
    pub delimiter: u8,
    pub null: String,
}

/// Recognises `COPY ... FROM STDIN` for a loadable table. `None`: not a COPY statement.
pub fn plan_copy(stmt: &Statement) -> Option<Result<CopyPlan, QueryError>> {
    let Statement::Copy {
        source,
        to,
        target,
        options,
        legacy_options,
        ..
    } = stmt
    else {
        return None;
    };
    Some((|| {
        if *to {
            return Err(QueryError::Unsupported(
                "COPY ... TO is not supported; use SELECT".into(),
            ));
        }
        if !matches!(target, CopyTarget::Stdin) {
            return Err(QueryError::Unsupported(
                "only COPY ... FROM STDIN is supported (the server reads no files)".into(),
            ));
        }
        let CopySource::Table {
            table_name,
            columns,
        } = source
        else {
            return Err(QueryError::Unsupported(
                "COPY (query) FROM is not valid".into(),
            ));
        };
        let tname = table_name
            .0
            .last()
            .map(|p| p.to_string().trim_matches('"').to_lowercase())
            .unwrap_or_default();
        let table = match tname.as_str() {
            "consumers" => CopyTable::Consumers,
            "readings" => CopyTable::Readings,
            "payments" => CopyTable::Payments,
            "bills" | "bill_lines" | "tariffs" => {
                return Err(QueryError::Unsupported(format!(
                    "table {tname} is computed by Bijli and cannot be loaded with COPY"
                )))
            }
            _ => {
                return Err(QueryError::UndefinedTable(format!(
                    "relation \"{tname}\" does not exist"
                )))
            }
        };
        let all = table.columns();
        let fields: Vec<usize> = if columns.is_empty() {
            (0..all.len()).collect()
        } else {
            let mut v = Vec::new();
            for c in columns {
                let name = c.value.to_lowercase();
                // `\d consumers` shows the master's arrears as `opening_arrears`: accept both.
                let key = match (table.name(), name.as_str()) {
                    ("consumers", "opening_arrears") => "arrears",
                    (_, n) => n,
                };
                // The units `readings` shows are derived from the registers: an export's
                // columns load back, and the units are computed again.
                if table == CopyTable::Readings && DERIVED_READING_COLUMNS.contains(&key) {
                    v.push(IGNORED_FIELD);
                    continue;
                }
                let Some(i) = all.iter().position(|(n, _)| *n == key) else {
                    return Err(QueryError::UndefinedColumn(format!(
                        "column \"{name}\" of relation \"{}\" does not exist",
                        table.name()
                    )));
                };
                v.push(i);
            }
            for (i, (n, req)) in all.iter().enumerate() {
                if *req && !v.contains(&i) {
                    return Err(QueryError::InvalidArgument(format!(
                        "COPY {}: required column \"{n}\" is missing from the column list",
                        table.name()
                    )));
                }
            }
            v
        };
        let f = parse_options(options, legacy_options)?;
        let plan = CopyPlan {
            table,
            fields,
            format: f.format,
            header: f.header,
            delimiter: f.delimiter,
            null: f.null,
        };
        Ok(plan)
    })())
}

/// The format options of a COPY (both directions): `WITH (FORMAT csv|text, HEADER, DELIMITER,
/// NULL)` and the legacy `CSV HEADER DELIMITER 'x' NULL 'x'` forms; CSV defaults to `,` and an
/// empty NULL string, text to tab and `\\N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    pub format: CopyFormat,
    pub header: bool,
    pub delimiter: u8,
    pub null: String,
}

pub(crate) fn parse_options(
    options: &[CopyOption],
    legacy_options: &[CopyLegacyOption],
) -> Result<CopyOptions, QueryError> {
    let mut plan = CopyOptions {
        format: CopyFormat::Text,
        header: false,
        delimiter: b'\t',
        null: "\\N".into(),
    };
    let mut delim_set = false;
    let mut null_set = false;
    for o in options {
        match o {
            CopyOption::Format(f) => match f.value.to_lowercase().as_str() {
                "csv" => plan.format = CopyFormat::Csv,
                "text" => plan.format = CopyFormat::Text,
                other => {
                    return Err(QueryError::Unsupported(format!(
                        "COPY format {other} is not supported (csv or text)"
                    )))
                }
            },
            CopyOption::Header(h) => plan.header = *h,
            CopyOption::Delimiter(c) => {
                plan.delimiter = u8::try_from(*c).map_err(|_| {
                    QueryError::InvalidArgument("COPY delimiter must be one ASCII character".into())
                })?;
                delim_set = true;
            }
            CopyOption::Null(s) => {
                plan.null = s.clone();
                null_set = true;
            }
            CopyOption::Encoding(e)
                if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => {}
            CopyOption::Quote('"') | CopyOption::Escape('"') | CopyOption::Freeze(_) => {}
            other => {
                return Err(QueryError::Unsupported(format!(
                    "COPY option {other} is not supported"
                )))
            }
        }
    }
    for o in legacy_options {
        match o {
            CopyLegacyOption::Csv(opts) => {
                plan.format = CopyFormat::Csv;
                for co in opts {
                    if let CopyLegacyCsvOption::Header = co {
                        plan.header = true;
                    }
                }
            }
            CopyLegacyOption::Delimiter(c) => {
                plan.delimiter = u8::try_from(*c).map_err(|_| {
                    QueryError::InvalidArgument("COPY delimiter must be one ASCII character".into())
                })?;
                delim_set = true;
            }
            CopyLegacyOption::Null(s) => {
                plan.null = s.clone();
                null_set = true;
            }
            CopyLegacyOption::Header => plan.header = true,
            other => {
                return Err(QueryError::Unsupported(format!(
                    "COPY option {other} is not supported"
                )))
            }
        }
    }
    if plan.format == CopyFormat::Csv {
        if !delim_set {
            plan.delimiter = b',';
        }
        if !null_set {
            plan.null = String::new();
        }
    }
    Ok(plan)
}

/// Accumulates one COPY's data; `finish` parses, validates and stores it all-or-nothing.
#[derive(Debug)]
pub struct CopySink {
    plan: CopyPlan,
    buf: Vec<u8>,
    overflow: bool,
}

/// What a finished COPY did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOutcome {
    /// Rows stored (the COPY tag count).
    pub rows: usize,
    /// Payments skipped as identical re-sends.
    pub duplicates: usize,
}

impl CopySink {
    pub fn new(plan: CopyPlan) -> Self {
        CopySink {
            plan,
            buf: Vec::new(),
            overflow: false,
        }
    }

    pub fn plan(&self) -> &CopyPlan {
        &self.plan
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.buf.len() + data.len() > MAX_COPY_BYTES {
            self.overflow = true;
            return;
        }
        self.buf.extend_from_slice(data);
    }

    /// Parse + validate + store (blocking: call from a blocking thread).
    pub fn finish(self, store: &Store) -> Result<CopyOutcome, QueryError> {
        if self.overflow {
            return Err(QueryError::Storage(storage::StorageError::TooLarge(
                MAX_COPY_BYTES,
            )));
        }
        let records = split_records(&self.plan, &self.buf)?;
        let table = self.plan.table;
        let mut errors = Vec::new();
        macro_rules! collect_rows {
            ($parse:ident) => {{
                let mut rows = Vec::with_capacity(records.len());
                let mut lines = Vec::with_capacity(records.len());
                for (line, fields) in &records {
                    let rec = Rec {
                        plan: &self.plan,
                        fields,
                        line: *line,
                    };
                    match $parse(&rec) {
                        Ok(r) => {
                            rows.push(r);
                            lines.push(*line);
                        }
                        Err(e) => {
                            if errors.len() < MAX_LISTED_FAULTS {
                                errors.push(e);
                            }
                        }
                    }
                }
                (rows, lines)
            }};
        }
        let map_store_err = |e: storage::StorageError, lines: &[u64]| -> QueryError {
            match e {
                storage::StorageError::Rows(rs) => QueryError::CopyRows {
                    table: table.name().into(),
                    errors: rs
                        .into_iter()
                        .map(|r| CopyRowError {
                            line: lines.get(r.row).copied().unwrap_or(0),
                            column: r.column.into(),
                            reason: r.reason,
                            sqlstate: r.sqlstate,
                        })
                        .collect(),
                },
                other => QueryError::Storage(other),
            }
        };
        // Parse errors and the store's own checks are reported together, in line order.
        let refuse =
            |mut errors: Vec<CopyRowError>, store_errs: Vec<storage::RowError>, lines: &[u64]| {
                errors.extend(store_errs.into_iter().map(|r| CopyRowError {
                    line: lines.get(r.row).copied().unwrap_or(0),
                    column: r.column.into(),
                    reason: r.reason,
                    sqlstate: r.sqlstate,
                }));
                errors.sort_by_key(|e| e.line);
                errors.truncate(MAX_LISTED_FAULTS);
                QueryError::CopyRows {
                    table: table.name().into(),
                    errors,
                }
            };
        match table {
            CopyTable::Consumers => {
                let (rows, lines) = collect_rows!(parse_consumer);
                if !errors.is_empty() {
                    let more = store.check_consumers(&rows);
                    return Err(refuse(errors, more, &lines));
                }
                let n = store
                    .insert_consumers(rows)
                    .map_err(|e| map_store_err(e, &lines))?;
                Ok(CopyOutcome {
                    rows: n,
                    duplicates: 0,
                })
            }
            CopyTable::Readings => {
                let (mut rows, lines) = collect_rows!(parse_reading);
                if !errors.is_empty() {
                    let more = store.check_readings(&mut rows);
                    return Err(refuse(errors, more, &lines));
                }
                let n = store
                    .insert_readings(rows)
                    .map_err(|e| map_store_err(e, &lines))?;
                Ok(CopyOutcome {
                    rows: n,
                    duplicates: 0,
                })
            }
            CopyTable::Payments => {
                let (rows, lines) = collect_rows!(parse_payment);
                if !errors.is_empty() {
                    let more = store.check_payments(&rows);
                    return Err(refuse(errors, more, &lines));
                }
                let s = store
                    .insert_payments(rows)
                    .map_err(|e| map_store_err(e, &lines))?;
                Ok(CopyOutcome {
                    rows: s.posted,
                    duplicates: s.duplicates,
                })
            }
        }
    }
}

type Fields = csv::ByteRecord;

/// Splits the stream into (line number, fields).
fn split_records(plan: &CopyPlan, data: &[u8]) -> Result<Vec<(u64, Fields)>, QueryError> {
    let table = plan.table.name();
    let bad = |line: u64, reason: String| QueryError::CopyRows {
        table: table.into(),
        errors: vec![CopyRowError {
            line,
            column: String::new(),
            reason,
            sqlstate: "22P04",
        }],
    };
    let mut out = Vec::new();
    match plan.format {
        CopyFormat::Csv => {
            if let Some(line) = unterminated_quote_line(data) {
                return Err(bad(line, "unterminated CSV quoted field".into()));
            }
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(plan.delimiter)
                .flexible(true)
                .from_reader(data);
            let mut rec = csv::ByteRecord::new();
            let mut first = true;
            // Physical lines by their start offsets: `\n`, `\r\n` and a lone `\r` each end one
            // (files from Windows / Excel), so the reported line is the one an editor shows.
            let starts = line_starts(data);
            // (A record's position may point at the line end before it: skip to its first byte.)
            let line_at = |byte: u64| {
                let skip = data.get(byte as usize..).map_or(0, |d| {
                    d.iter().take_while(|&&b| b == b'\r' || b == b'\n').count()
                });
                starts.partition_point(|&s| s <= byte + skip as u64) as u64
            };
            loop {
                let line = line_at(rdr.position().byte());
                match rdr.read_byte_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => return Err(bad(line, format!("malformed CSV: {e}"))),
                }
                let line = rec.position().map(|p| line_at(p.byte())).unwrap_or(line);
                if first && plan.header {
                    first = false;
                    continue;
                }
                first = false;
                if rec.len() == 1 && rec.get(0) == Some(b"\\.") {
                    break; // end-of-data marker some clients send
                }
                // One allocation per row; NULL markers are recognised in `Rec::raw`.
                out.push((line, rec.clone()));
            }
        }
        CopyFormat::Text => {
            let text = std::str::from_utf8(data)
                .map_err(|_| bad(0, "invalid UTF-8 in COPY data".into()))?;
            for (i, raw) in text.lines().enumerate() {
                let line = i as u64 + 1;
                if i == 0 && plan.header {
                    continue;
                }
                if raw == "\\." {
                    break;
                }
                let mut rec = csv::ByteRecord::new();
                for f in raw.split(plan.delimiter as char) {
                    if f == plan.null {
                        rec.push_field(f.as_bytes());
                    } else {
                        rec.push_field(unescape_text(f).as_bytes());
                    }
                }
                out.push((line, rec));
            }
        }
    }
    Ok(out)
}

/// Byte offsets where each physical line starts (the first at 0); a line ends at `\n`, at
/// `\r\n` or at a lone `\r`.
fn line_starts(data: &[u8]) -> Vec<u64> {
    let mut starts = vec![0u64];
    for (i, &b) in data.iter().enumerate() {
        let ends = b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n'));
        if ends {
            starts.push(i as u64 + 1);
        }
    }
    starts
}

/// The line on which a quoted CSV field opens and never closes, if any (a truncated file).
fn unterminated_quote_line(data: &[u8]) -> Option<u64> {
    let mut in_quote = false;
    let mut line: u64 = 1;
    let mut opened_at = 1;
    for (i, &b) in data.iter().enumerate() {
        match b {
            b'"' => {
                in_quote = !in_quote;
                if in_quote {
                    opened_at = line;
                }
            }
            b'\n' => line += 1,
            b'\r' if data.get(i + 1) != Some(&b'\n') => line += 1,
            _ => {}
        }
    }
    in_quote.then_some(opened_at)
}

fn unescape_text(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// One input row being parsed: fields by table column.
struct Rec<'a> {
    plan: &'a CopyPlan,
    fields: &'a Fields,
    line: u64,
}

impl Rec<'_> {
    fn err(&self, column: &str, reason: String, sqlstate: &'static str) -> CopyRowError {
        CopyRowError {
            line: self.line,
            column: column.to_string(),
            reason,
            sqlstate,
        }
    }

    fn raw(&self, column: &str) -> Result<Option<&str>, CopyRowError> {
        let cols = self.plan.table.columns();
        if self.fields.len() != self.plan.fields.len() {
            return Err(self.err(
                "(whole row)",
                format!(
                    "expected {} fields, found {}",
                    self.plan.fields.len(),
                    self.fields.len()
                ),
                "22P04",
            ));
        }
        let Some(ci) = cols.iter().position(|(n, _)| *n == column) else {
            return Ok(None);
        };
        let Some(pos) = self.plan.fields.iter().position(|&f| f == ci) else {
            return Ok(None);
        };
        let Some(bytes) = self.fields.get(pos) else {
            return Ok(None);
        };
        let v = std::str::from_utf8(bytes)
            .map_err(|_| self.err(column, "invalid UTF-8 byte sequence".into(), "22021"))?;
        if v == self.plan.null {
            return Ok(None);
        }
        let v = v.trim();
        Ok((!v.is_empty()).then_some(v))
    }

    /// A free-text field as given, surrounding spaces kept (as PostgreSQL keeps them); NULL
    /// or empty is `None`.
    fn text(&self, column: &str) -> Result<Option<&str>, CopyRowError> {
        let Some(trimmed) = self.raw(column)? else {
            return Ok(None);
        };
        let cols = self.plan.table.columns();
        let untrimmed = cols
            .iter()
            .position(|(n, _)| *n == column)
            .and_then(|ci| self.plan.fields.iter().position(|&f| f == ci))
            .and_then(|pos| self.fields.get(pos))
            .and_then(|b| std::str::from_utf8(b).ok());
        Ok(Some(untrimmed.unwrap_or(trimmed)))
    }

    fn req_text(&self, column: &str) -> Result<&str, CopyRowError> {
        self.text(column)?
            .ok_or_else(|| self.err(column, "value is required".into(), "23502"))
    }

    fn req(&self, column: &str) -> Result<&str, CopyRowError> {
        self.raw(column)?
            .ok_or_else(|| self.err(column, "value is required".into(), "23502"))
    }

    fn parse<T: FromStr>(&self, column: &str, what: &str, v: &str) -> Result<T, CopyRowError> {
        v.parse::<T>()
            .map_err(|_| self.err(column, format!("invalid {what}: {v:?}"), "22P02"))
    }

    fn opt<T: FromStr>(&self, column: &str, what: &str) -> Result<Option<T>, CopyRowError> {
        match self.raw(column)? {
            Some(v) => self.parse(column, what, v).map(Some),
            None => Ok(None),
        }
    }

    fn reference(&self) -> Result<u64, CopyRowError> {
        let v = self.req("reference")?;
        v.parse::<billing::reference::Reference>()
            .map(|r| r.as_u64())
            .map_err(|e| {
                self.err(
                    "reference",
                    format!("invalid reference {v:?}: {e}"),
                    "22P02",
                )
            })
    }

    fn date(&self, column: &str) -> Result<NaiveDate, CopyRowError> {
        let v = self.req(column)?;
        NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            self.err(
                column,
                format!("invalid date {v:?} (want YYYY-MM-DD)"),
                "22007",
            )
        })
    }

    fn opt_date(&self, column: &str) -> Result<Option<NaiveDate>, CopyRowError> {
        match self.raw(column)? {
            Some(_) => self.date(column).map(Some),
            None => Ok(None),
        }
    }

    fn boolean(&self, column: &str) -> Result<bool, CopyRowError> {
        match self.raw(column)?.map(|s| s.to_ascii_lowercase()) {
            None => Ok(false),
            Some(s) => match s.as_str() {
                "t" | "true" | "1" | "y" | "yes" | "on" => Ok(true),
                "f" | "false" | "0" | "n" | "no" | "off" => Ok(false),
                _ => Err(self.err(column, format!("invalid boolean {s:?}"), "22P02")),
            },
        }
    }

    fn money(&self, column: &str, v: &str) -> Result<i64, CopyRowError> {
        let d: Decimal = self.parse(column, "amount", v)?;
        if d.normalize().scale() > 2 {
            return Err(self.err(
                column,
                format!("amount {v} has more than 2 decimals"),
                "22P02",
            ));
        }
        storage::checked_paisa(d).ok_or_else(|| {
            self.err(
                column,
                format!("numeric field overflow: {v} exceeds Rs 100 billion"),
                "22003",
            )
        })
    }
}

fn parse_consumer(r: &Rec) -> Result<Consumer, CopyRowError> {
    let reference = r.reference()?;
    let history = match r.raw("history")? {
        None => Vec::new(),
        Some(h) => {
            let mut v = Vec::new();
            for part in h.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let (m, u) = part.split_once(':').ok_or_else(|| {
                    r.err(
                        "history",
                        format!("history entry {part:?} is not YYYY-MM:units"),
                        "22P02",
                    )
                })?;
                let m: YearMonth = r.parse("history", "month", m.trim())?;
                let u: u64 = r.parse("history", "units", u.trim())?;
                v.push((m, u));
            }
            v.sort_unstable();
            v
        }
    };
    let status = match r.raw("status")? {
        None => ConsumerStatus::Active,
        Some(s) => ConsumerStatus::parse(s).ok_or_else(|| {
            r.err(
                "status",
                format!("invalid status {s:?} (active, temp_disconnected, perm_disconnected)"),
                "22P02",
            )
        })?,
    };
    let load: Decimal = r.parse("sanctioned_load_kw", "number", r.req("sanctioned_load_kw")?)?;
    if load.is_sign_negative() {
        return Err(r.err(
            "sanctioned_load_kw",
            "sanctioned load cannot be negative".into(),
            "22003",
        ));
    }
    let arrears = match r.raw("arrears")? {
        Some(v) => r.money("arrears", v)?,
        None => 0,
    };
    Ok(Consumer {
        reference,
        customer_id: r.opt("customer_id", "customer id")?.unwrap_or(0),
        name: r.req_text("name")?.to_string(),
        address: r.text("address")?.unwrap_or("").to_string(),
        disco: r.req("disco")?.to_uppercase().into(),
        circle: r.text("circle")?.unwrap_or("").into(),
        division: r.text("division")?.unwrap_or("").into(),
        subdivision: r
            .opt("subdivision", "sub-division code")?
            .unwrap_or(((reference / 10_000_000) % 100_000) as u32),
        batch: r
            .opt("batch", "batch")?
            .unwrap_or((reference / 1_000_000_000_000) as u8),
        tariff: r.req("tariff")?.into(),
        sanctioned_load_kw: load,
        phase: r.opt("phase", "phase")?.unwrap_or(1),
        meter_no: r.text("meter_no")?.unwrap_or("").to_string(),
        multiplying_factor: r
            .opt("multiplying_factor", "multiplying factor")?
            .unwrap_or(1),
        connection_date: r.opt_date("connection_date")?.unwrap_or(NaiveDate::MIN),
        status,
        owner_type: r.raw("owner_type")?.unwrap_or("private").into(),
        province: r.req("province")?.into(),
        tou: r.boolean("tou")?,
        atl: r.boolean("atl")?,
        employee_grade: r.opt("employee_grade", "BPS grade")?,
        employee_status: r.raw("employee_status")?.map(Into::into),
        opening_arrears_paisa: arrears,
        history,
        disconnected_from: match r.raw("disconnected_from")? {
            Some(v) => Some(r.parse("disconnected_from", "bill month (want YYYY-MM)", v)?),
            None => None,
        },
        strn_registered: r.boolean("strn")?,
        meter_digits: r.opt("meter_digits", "meter register digits")?,
    })
}

fn parse_reading(r: &Rec) -> Result<Reading, CopyRowError> {
    let reference = r.reference()?;
    let cycle: YearMonth = r.parse("cycle", "cycle (want YYYY-MM)", r.req("cycle")?)?;
    let reg = |c: &str| -> Result<u64, CopyRowError> {
        let v = r.req(c)?;
        r.parse::<u64>(c, "register value (non-negative integer)", v)
    };
    let opt_reg = |c: &str| -> Result<Option<u64>, CopyRowError> {
        match r.raw(c)? {
            Some(v) => r
                .parse::<u64>(c, "register value (non-negative integer)", v)
                .map(Some),
            None => Ok(None),
        }
    };
    let mdi: Option<Decimal> = r.opt("mdi_kw", "number")?;
    let pf: Option<Decimal> = r.opt("power_factor", "number")?;
    if let Some(p) = pf {
        if p.is_sign_negative() || p > Decimal::ONE {
            return Err(r.err(
                "power_factor",
                format!("power factor {p} is outside 0..1"),
                "22003",
            ));
        }
    }
    Ok(Reading {
        reference,
        cycle,
        reading_date: r.date("reading_date")?,
        previous_reading_date: r.date("previous_reading_date")?,
        offpeak_previous: reg("offpeak_previous")?,
        offpeak_present: reg("offpeak_present")?,
        peak_previous: opt_reg("peak_previous")?,
        peak_present: opt_reg("peak_present")?,
        mdi_kw: mdi,
        power_factor: pf,
        reading_code: r.raw("reading_code")?.unwrap_or("OK").to_string(),
        meter_change: match opt_reg("new_offpeak_initial")? {
            None => {
                for c in [
                    "old_offpeak_final",
                    "old_peak_final",
                    "old_mdi_kw",
                    "new_peak_initial",
                    "new_multiplying_factor",
                ] {
                    if r.raw(c)?.is_some() {
                        return Err(r.err(
                            c,
                            "meter-change registers need new_offpeak_initial".into(),
                            "22023",
                        ));
                    }
                }
                None
            }
            Some(new_offpeak_initial) => Some(Box::new(MeterSwap {
                old_offpeak_final: reg("old_offpeak_final")?,
                old_peak_final: opt_reg("old_peak_final")?,
                old_mdi_kw: r.opt("old_mdi_kw", "number")?,
                new_offpeak_initial,
                new_peak_initial: opt_reg("new_peak_initial")?,
                new_multiplying_factor: r.opt("new_multiplying_factor", "multiplying factor")?,
                old_multiplying_factor: 0,
            })),
        },
        offpeak_units: 0,
        peak_units: 0,
    })
}

fn parse_payment(r: &Rec) -> Result<Payment, CopyRowError> {
    let reference = r.reference()?;
    let amount = r.money("amount", r.req("amount")?)?;
    if amount <= 0 {
        return Err(r.err(
            "amount",
            format!("payment amount must be positive, got {}", r.req("amount")?),
            "22003",
        ));
    }
    Ok(Payment {
        reference,
        transaction_id: r.req_text("transaction_id")?.into(),
        amount_paisa: amount,
        value_date: r.date("value_date")?,
        bank: r.req_text("bank")?.into(),
    })
}
