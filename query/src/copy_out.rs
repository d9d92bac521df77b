//! `COPY <table> [(columns)] | (<query>) TO STDOUT [WITH (FORMAT csv|text, HEADER, DELIMITER,
//! NULL)]`: any table or query, out in PostgreSQL's text or CSV format (what `psql \copy ...
//! TO 'file'`, pgJDBC's `CopyManager.copyOut` and BI exports send).
//!
//! Values are printed as PostgreSQL prints them: numerics with their scale (`1234.50`),
//! dates `YYYY-MM-DD`, booleans `t` / `f`, timestamps with a space. Text format escapes
//! backslash, newline, carriage return, tab, the delimiter and the other control characters
//! PostgreSQL escapes, and writes NULL as the NULL string (`\N`); CSV quotes a value holding
//! the delimiter, a quote, CR or LF, or equal to the NULL string (so an empty string is `""`
//! and NULL is empty). The server writes no files: `TO '<file>'` and `TO PROGRAM` are refused.

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::sql::sqlparser::ast::{CopySource, CopyTarget, Statement};

use crate::copy::{parse_options, CopyFormat, CopyOptions};
use crate::error::QueryError;

/// A parsed `COPY ... TO STDOUT`: the query to run and how to print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOutPlan {
    pub sql: String,
    pub options: CopyOptions,
}

/// Recognises `COPY ... TO`. `None`: not a COPY TO statement.
pub fn plan_copy_out(stmt: &Statement) -> Option<Result<CopyOutPlan, QueryError>> {
    let Statement::Copy {
        source,
        to: true,
        target,
        options,
        legacy_options,
        ..
    } = stmt
    else {
        return None;
    };
    Some((|| {
        if !matches!(target, CopyTarget::Stdout) {
            return Err(QueryError::Unsupported(
                "COPY ... TO a file or program is not supported: the server writes no files; \
                 use COPY ... TO STDOUT (psql: \\copy ... TO 'file')"
                    .into(),
            ));
        }
        let sql = match source {
            CopySource::Table {
                table_name,
                columns,
            } => {
                let cols = if columns.is_empty() {
                    "*".to_string()
                } else {
                    columns
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("SELECT {cols} FROM {table_name}")
            }
            CopySource::Query(q) => {
                let mut q = q.clone();
                crate::colnames::postgres_names_query(&mut q);
                q.to_string()
            }
        };
        let options = parse_options(options, legacy_options)?;
        Ok(CopyOutPlan { sql, options })
    })())
}

impl CopyOutPlan {
    /// The header line (column names), ending in a newline.
    pub fn header(&self, schema: &Schema) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            if i > 0 {
                out.push(self.options.delimiter);
            }
            self.field(Some(f.name()), &mut out);
        }
        out.push(b'\n');
        out
    }

    /// Each row of the batch as one line (ending in a newline).
    pub fn rows(&self, batch: &RecordBatch) -> Result<Vec<Vec<u8>>, QueryError> {
        let opts = FormatOptions::default().with_null("");
        let cols: Vec<Column> = batch
            .columns()
            .iter()
            .map(|a| Column::new(a, &opts))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(batch.num_rows());
        let mut value = String::new();
        for row in 0..batch.num_rows() {
            let mut line = Vec::with_capacity(64);
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    line.push(self.options.delimiter);
                }
                value.clear();
                let present = c.write(row, &mut value)?;
                self.field(present.then_some(value.as_str()), &mut line);
            }
            line.push(b'\n');
            out.push(line);
        }
        Ok(out)
    }

    /// One field, escaped for the format (`None`: NULL).
    fn field(&self, v: Option<&str>, out: &mut Vec<u8>) {
        let o = &self.options;
        let Some(v) = v else {
            out.extend_from_slice(o.null.as_bytes());
            return;
        };
        match o.format {
            CopyFormat::Text => {
                for &b in v.as_bytes() {
                    match b {
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        b'\t' => out.extend_from_slice(b"\\t"),
                        0x08 => out.extend_from_slice(b"\\b"),
                        0x0c => out.extend_from_slice(b"\\f"),
                        0x0b => out.extend_from_slice(b"\\v"),
                        d if d == o.delimiter => {
                            out.push(b'\\');
                            out.push(d);
                        }
                        b => out.push(b),
                    }
                }
            }
            CopyFormat::Csv => {
                let quote = v == o.null
                    || v.bytes()
                        .any(|b| b == o.delimiter || b == b'"' || b == b'\n' || b == b'\r');
                if quote {
                    out.push(b'"');
                    for &b in v.as_bytes() {
                        if b == b'"' {
                            out.push(b'"');
                        }
                        out.push(b);
                    }
                    out.push(b'"');
                } else {
                    out.extend_from_slice(v.as_bytes());
                }
            }
        }
    }
}

/// One column's printer: booleans as `t` / `f`, timestamps with a space, the rest as Arrow
/// displays them (numerics keep their scale, dates are ISO).
struct Column<'a> {
    array: &'a ArrayRef,
    kind: Kind<'a>,
}

enum Kind<'a> {
    Bool(&'a BooleanArray),
    Timestamp(ArrayFormatter<'a>),
    Other(ArrayFormatter<'a>),
}

impl<'a> Column<'a> {
    fn new(array: &'a ArrayRef, opts: &'a FormatOptions<'a>) -> Result<Self, QueryError> {
        let fmt = || {
            ArrayFormatter::try_new(array.as_ref(), opts)
                .map_err(datafusion::error::DataFusionError::from)
        };
        let kind = match array.data_type() {
            DataType::Boolean => match array.as_any().downcast_ref::<BooleanArray>() {
                Some(b) => Kind::Bool(b),
                None => Kind::Other(fmt()?),
            },
            DataType::Timestamp(..) => Kind::Timestamp(fmt()?),
            _ => Kind::Other(fmt()?),
        };
        Ok(Column { array, kind })
    }

    /// Writes row `i`'s value; `false` when it is NULL.
    fn write(&self, i: usize, out: &mut String) -> Result<bool, QueryError> {
        use std::fmt::Write as _;
        if self.array.is_null(i) {
            return Ok(false);
        }
        match &self.kind {
            Kind::Bool(b) => out.push(if b.value(i) { 't' } else { 'f' }),
            Kind::Timestamp(f) => {
                let start = out.len();
                write!(out, "{}", f.value(i))
                    .map_err(|e| QueryError::Unsupported(e.to_string()))?;
                if let Some(t) = out[start..].find('T') {
                    out.replace_range(start + t..start + t + 1, " ");
                }
            }
            Kind::Other(f) => {
                write!(out, "{}", f.value(i)).map_err(|e| QueryError::Unsupported(e.to_string()))?
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafusion::arrow::array::{Date32Array, Decimal128Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::Field;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    use std::sync::Arc;

    fn plan(sql: &str) -> Result<CopyOutPlan, QueryError> {
        let stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        plan_copy_out(&stmt).unwrap()
    }

    fn batch() -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("amount", DataType::Decimal128(18, 2), true),
            Field::new("on", DataType::Date32, true),
            Field::new("paid", DataType::Boolean, true),
            Field::new("n", DataType::Int64, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec![
                    Some("Ali, \"Khan\""),
                    Some(""),
                    None,
                    Some("tab\there\\back\nline"),
                ])),
                Arc::new(
                    Decimal128Array::from(vec![Some(123_450), Some(-5), None, Some(0)])
                        .with_precision_and_scale(18, 2)
                        .unwrap(),
                ),
                Arc::new(Date32Array::from(vec![
                    Some(20_785),
                    None,
                    Some(0),
                    Some(1),
                ])),
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    Some(false),
                    None,
                    None,
                ])),
                Arc::new(Int64Array::from(vec![Some(7), None, Some(-1), Some(0)])),
            ],
        )
        .unwrap()
    }

    fn text(lines: Vec<Vec<u8>>) -> String {
        String::from_utf8(lines.concat()).unwrap()
    }

    #[test]
    fn csv_quotes_what_must_be_quoted_and_prints_numerics_with_their_scale() {
        let p = plan("COPY bills TO STDOUT WITH (FORMAT csv, HEADER)").unwrap();
        assert_eq!(p.sql, "SELECT * FROM bills");
        let b = batch();
        assert_eq!(
            String::from_utf8(p.header(&b.schema())).unwrap(),
            "name,amount,on,paid,n\n"
        );
        assert_eq!(
            text(p.rows(&b).unwrap()),
            "\"Ali, \"\"Khan\"\"\",1234.50,2026-11-28,t,7\n\
             \"\",-0.05,,f,\n\
             ,,1970-01-01,,-1\n\
             \"tab\there\\back\nline\",0.00,1970-01-02,,0\n"
        );
    }

    #[test]
    fn text_escapes_and_writes_null_as_backslash_n() {
        let p = plan("COPY (SELECT 1) TO STDOUT").unwrap();
        assert_eq!(p.sql, "SELECT 1");
        assert_eq!(
            text(p.rows(&batch()).unwrap()),
            "Ali, \"Khan\"\t1234.50\t2026-11-28\tt\t7\n\
             \t-0.05\t\\N\tf\t\\N\n\
             \\N\t\\N\t1970-01-01\t\\N\t-1\n\
             tab\\there\\\\back\\nline\t0.00\t1970-01-02\t\\N\t0\n"
        );
        let p = plan("COPY t (a, b) TO STDOUT WITH (DELIMITER '|', NULL 'NULL')").unwrap();
        assert_eq!(p.sql, "SELECT a, b FROM t");
        let lines = p.rows(&batch()).unwrap();
        assert_eq!(
            String::from_utf8(lines[2].clone()).unwrap(),
            "NULL|NULL|1970-01-01|NULL|-1\n"
        );
    }

    #[test]
    fn files_programs_and_binary_are_refused() {
        for sql in [
            "COPY bills TO '/tmp/x.csv'",
            "COPY bills TO PROGRAM 'cat'",
            "COPY bills TO STDOUT WITH (FORMAT binary)",
        ] {
            assert!(
                matches!(plan(sql), Err(QueryError::Unsupported(_))),
                "{sql}"
            );
        }
        let stmt = Parser::parse_sql(&PostgreSqlDialect {}, "COPY bills FROM STDIN")
            .unwrap()
            .remove(0);
        assert!(plan_copy_out(&stmt).is_none());
    }
}
