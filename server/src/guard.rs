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
    visit_expressions, Expr, Query, SelectItem, SetExpr, TableFactor, Visit, Visitor,
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

/// `Err` with 0A000 if the SQL would be silently rewritten into a wrong answer.
pub fn check(sql: &str) -> PgWireResult<()> {
    let lower = sql.to_lowercase();
    if lower.contains("pg_") || lower.contains("information_schema") {
        return Ok(());
    }
    let Ok(stmts) = SqlParser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Ok(()); // the real parser reports the syntax error
    };
    for s in &stmts {
        if s.visit(&mut CorrelatedProjection).is_break() {
            return Err(crate::errors::refused(
                "0A000",
                "correlated subqueries in the select list are not supported yet; rewrite the subquery as a JOIN (or move it to WHERE)".into(),
            ));
        }
    }
    Ok(())
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
        check(sql)?;
        self.inner.parse_sql(client, sql, types).await
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

/// datafusion-postgres' session service behind [`check`].
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
        check(query)?;
        SimpleQueryHandler::do_query(&*self.inner, client, query).await
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
        ExtendedQueryHandler::do_query(&*self.inner, client, portal, max_rows).await
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn correlated_projection_subqueries_are_refused() {
        assert!(check("SELECT b.reference, (SELECT count(*) FROM payments p WHERE p.reference = b.reference) FROM bills b").is_err());
        assert!(check(
            "SELECT (SELECT count(*) FROM payments p WHERE p.amount > 0) AS n FROM bills b"
        )
        .is_ok());
        assert!(check("SELECT * FROM bills b WHERE EXISTS (SELECT 1 FROM payments p WHERE p.reference = b.reference)").is_ok());
        assert!(check("SELEC 1").is_ok());
    }
}
