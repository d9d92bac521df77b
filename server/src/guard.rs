//! A guard in front of datafusion-postgres' SQL path.
//!
//! datafusion-pg-catalog's compatibility rewrite replaces a *correlated* scalar subquery in
//! a SELECT list with NULL (it exists so BI tools' catalog queries plan at all). For an
//! analyst's query that is a silently wrong answer, so Bijli refuses such queries with 0A000
//! instead, unless the query reads the system catalogs (where the rewrite is intended).

use std::fmt::Debug;
use std::ops::ControlFlow;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::sql::sqlparser::ast::{
    visit_expressions, Expr, Query, SelectItem, SetExpr, Statement, TableFactor, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser as SqlParser;
use datafusion_postgres::{DfSessionService, Parser};
use futures::Sink;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, Response};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;

type DfStatement = <DfSessionService as ExtendedQueryHandler>::Statement;

struct CorrelatedProjection;

impl Visitor for CorrelatedProjection {
    type Break = ();
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_ref() {
            for item in &select.projection {
                let expr = match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                    _ => continue,
                };
                if let Expr::Subquery(sub) = expr {
                    if is_correlated(sub) {
                        return ControlFlow::Break(());
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// True if the subquery qualifies a column with a name its own FROM does not define.
fn is_correlated(sub: &Query) -> bool {
    let mut inner: Vec<String> = Vec::new();
    if let SetExpr::Select(select) = sub.body.as_ref() {
        for twj in &select.from {
            for tf in std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation)) {
                if let TableFactor::Table { name, alias, .. } = tf {
                    if let Some(last) = name.0.last() {
                        inner.push(last.to_string().trim_matches('"').to_lowercase());
                    }
                    if let Some(a) = alias {
                        inner.push(a.name.value.to_lowercase());
                    }
                }
            }
        }
    }
    let found = visit_expressions(sub, |e| {
        if let Expr::CompoundIdentifier(parts) = e {
            if parts.len() >= 2 {
                let q = parts[parts.len() - 2].value.to_lowercase();
                if !inner.contains(&q) {
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    found.is_break()
}

/// Driver metadata queries Bijli answers itself: pgJDBC's primary / foreign key, index and
/// best-row queries join `pg_index` / `pg_constraint` through functions the catalog lacks
/// (`_pg_expandarray`, array subscripts), and getFunctions uses `pg_get_function_result`.
/// Bijli declares no indexes, constraints or functions, so their answer is no rows: the same
/// columns, empty.
fn empty_answer(lower: &str, stmts: &[Statement]) -> Option<String> {
    let keys_or_indexes = lower.contains("_pg_expandarray")
        || (lower.contains("pg_constraint") && lower.contains("contype = 'f'"))
        || lower.contains("pg_get_function_result");
    if !keys_or_indexes {
        return None;
    }
    let Some(Statement::Query(q)) = stmts.first() else {
        return None;
    };
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    let cols: Vec<String> = select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => alias.value.to_lowercase(),
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => i.value.to_lowercase(),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(p)) => {
                p.last().map(|i| i.value.to_lowercase()).unwrap_or_default()
            }
            _ => "?column?".into(),
        })
        .map(|n| format!("CAST(NULL AS TEXT) AS \"{}\"", n.replace('"', "")))
        .collect();
    Some(format!("SELECT {} WHERE false", cols.join(", ")))
}

/// `Err` with 0A000 if a statement would be silently rewritten into a wrong answer.
fn refuse_correlated(stmts: &[Statement]) -> PgWireResult<()> {
    if stmts
        .iter()
        .any(|s| s.visit(&mut CorrelatedProjection).is_break())
    {
        return Err(crate::errors::refused(
            "0A000",
            "correlated subqueries in the select list are not supported yet; rewrite the subquery as a JOIN (or move it to WHERE)".into(),
        ));
    }
    Ok(())
}

/// What Bijli does to a query before datafusion-postgres runs it, from one parse:
/// - user queries: refuse a correlated select-list subquery ([`CorrelatedProjection`]), give
///   unaliased items PostgreSQL's column names ([`query::colnames`]);
/// - catalog queries (`pg_*`, `information_schema`): answer the driver metadata queries the
///   catalog cannot run ([`empty_answer`], `max_index_keys` = 32), number repeated items.
///
/// `Ok(Some(sql))`: run this SQL instead; `Ok(None)`: run the query as sent (also when it does
/// not parse here: the real parser reports the syntax error).
pub fn prepare(sql: &str) -> PgWireResult<Option<String>> {
    let lower = sql.to_lowercase();
    let catalog = lower.contains("pg_") || lower.contains("information_schema");
    if catalog && lower.contains("pg_settings") && lower.contains("max_index_keys") {
        return Ok(Some("SELECT '32' AS setting".into()));
    }
    let Ok(mut stmts) = SqlParser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Ok(None);
    };
    if catalog {
        if let Some(answer) = empty_answer(&lower, &stmts) {
            return Ok(Some(answer));
        }
    } else {
        refuse_correlated(&stmts)?;
    }
    let mut changed = false;
    for s in &mut stmts {
        changed |= if catalog {
            // Catalog queries alias what they need; only repeated items get names.
            query::colnames::dedupe_names(s)
        } else {
            query::colnames::postgres_names(s)
        };
    }
    Ok(changed.then(|| {
        stmts
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }))
}

pub struct GuardedParser {
    inner: Arc<Parser>,
}

#[async_trait]
impl QueryParser for GuardedParser {
    type Statement = DfStatement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        match prepare(sql)? {
            Some(rewritten) => self.inner.parse_sql(client, &rewritten, types).await,
            None => self.inner.parse_sql(client, sql, types).await,
        }
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(stmt)
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.get_result_schema(stmt, column_format)
    }
}

/// datafusion-postgres' session service behind [`prepare`].
pub struct GuardedSql {
    inner: Arc<DfSessionService>,
    parser: Arc<GuardedParser>,
}

impl GuardedSql {
    pub fn new(inner: Arc<DfSessionService>) -> Self {
        let parser = Arc::new(GuardedParser {
            inner: ExtendedQueryHandler::query_parser(&*inner),
        });
        GuardedSql { inner, parser }
    }
}

#[async_trait]
impl SimpleQueryHandler for GuardedSql {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match prepare(query)? {
            Some(rewritten) => SimpleQueryHandler::do_query(&*self.inner, client, &rewritten).await,
            None => SimpleQueryHandler::do_query(&*self.inner, client, query).await,
        }
    }
}

#[async_trait]
impl ExtendedQueryHandler for GuardedSql {
    type Statement = DfStatement;
    type QueryParser = GuardedParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match numeric_parameters(portal) {
            Some(p) => ExtendedQueryHandler::do_query(&*self.inner, client, &p, max_rows).await,
            None => ExtendedQueryHandler::do_query(&*self.inner, client, portal, max_rows).await,
        }
    }
}

/// An integer or float parameter the query compares with a NUMERIC (psycopg's `%s` with a
/// Python int or float, JDBC `setInt` / `setDouble`) or passes where text is expected (a
/// `CALL` argument): PostgreSQL converts it, the upstream decoder refuses it ("Cannot coerce
/// integer value to Decimal128"). The portal is re-sent with such parameters as NUMERIC / TEXT
/// text (floats by their shortest decimal form); `None` when there is none.
fn numeric_parameters(portal: &Portal<DfStatement>) -> Option<Portal<DfStatement>> {
    use datafusion::arrow::datatypes::DataType;
    let (_, Some((_, plan))) = &portal.statement.statement else {
        return None;
    };
    let inferred = plan.get_parameter_types().ok()?;
    let mut types = portal.statement.parameter_types.clone();
    let mut params = portal.parameters.clone();
    let mut codes: Vec<i16> = (0..params.len())
        .map(|i| i16::from(portal.parameter_format.is_binary(i)))
        .collect();
    let mut changed = false;
    for (i, value) in params.iter_mut().enumerate() {
        let declared = types.get(i).cloned().flatten();
        let Some(declared) = declared else { continue };
        // A NUMERIC comparison takes the number as NUMERIC; a text parameter (a CALL
        // argument) takes its digits, as a literal would be written.
        let target = match inferred.get(&format!("${}", i + 1)) {
            Some(Some(DataType::Decimal128(..))) => Type::NUMERIC,
            Some(Some(DataType::Utf8)) => Type::TEXT,
            _ => continue,
        };
        let Some(bytes) = value.as_ref() else {
            continue;
        };
        let binary = portal.parameter_format.is_binary(i);
        let Some(text) = number_text(&declared, bytes, binary) else {
            continue;
        };
        *value = Some(bytes::Bytes::from(text));
        if let Some(t) = types.get_mut(i) {
            *t = Some(target);
        }
        codes[i] = 0;
        changed = true;
    }
    if !changed {
        return None;
    }
    let statement = pgwire::api::stmt::StoredStatement::new(
        portal.statement.id.clone(),
        portal.statement.statement.clone(),
        types,
    );
    // The same portal (name, result formats, execution state) with the new parameters.
    let mut p: Portal<DfStatement> = Portal::default();
    p.name = portal.name.clone();
    p.statement = Arc::new(statement);
    p.parameter_format = Format::Individual(codes);
    p.parameters = params;
    p.result_column_format = portal.result_column_format.clone();
    p.state = portal.state.clone();
    Some(p)
}

/// An int2/4/8 or float4/8 parameter as decimal text (`None`: not one, or not finite).
fn number_text(declared: &Type, bytes: &[u8], binary: bool) -> Option<String> {
    let float_text = |f: f64| f.is_finite().then(|| format!("{f}"));
    if !binary {
        let s = std::str::from_utf8(bytes).ok()?.trim();
        return match *declared {
            Type::INT2 | Type::INT4 | Type::INT8 => s.parse::<i64>().ok().map(|n| n.to_string()),
            Type::FLOAT4 | Type::FLOAT8 => float_text(s.parse::<f64>().ok()?),
            _ => None,
        };
    }
    match (declared.clone(), bytes.len()) {
        (Type::INT2, 2) => Some(i16::from_be_bytes(bytes.try_into().ok()?).to_string()),
        (Type::INT4, 4) => Some(i32::from_be_bytes(bytes.try_into().ok()?).to_string()),
        (Type::INT8, 8) => Some(i64::from_be_bytes(bytes.try_into().ok()?).to_string()),
        (Type::FLOAT4, 4) => float_text(f64::from(f32::from_be_bytes(bytes.try_into().ok()?))),
        (Type::FLOAT8, 8) => float_text(f64::from_be_bytes(bytes.try_into().ok()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::prepare;

    #[test]
    fn correlated_projection_subqueries_are_refused() {
        assert!(prepare("SELECT b.reference, (SELECT count(*) FROM payments p WHERE p.reference = b.reference) FROM bills b").is_err());
        assert!(prepare(
            "SELECT (SELECT count(*) FROM payments p WHERE p.amount > 0) AS n FROM bills b"
        )
        .is_ok());
        assert!(prepare("SELECT * FROM bills b WHERE EXISTS (SELECT 1 FROM payments p WHERE p.reference = b.reference)").is_ok());
        assert!(prepare("SELEC 1").is_ok());
    }
}
