//! Result column names as PostgreSQL gives them. DataFusion names an unaliased expression by
//! its text (`count(*)`, `sum(bills.payable_within_due)`); PostgreSQL by the function
//! (`count`, `sum`), `case` for CASE, the column for a cast column, and `?column?` for any
//! other expression. BI tools and reports show these names, so each unaliased item of the
//! outermost SELECT gets PostgreSQL's name as an alias, when that name is unique in the list
//! (PostgreSQL allows duplicates, DataFusion does not; a duplicate keeps DataFusion's name).

use datafusion::sql::sqlparser::ast::{
    CastKind, Expr, Ident, ObjectNamePart, Query, SelectItem, SetExpr, Statement,
};

/// PostgreSQL's name for an unaliased select-list expression; `None` where DataFusion's is
/// already the same (a column) or none is known.
fn pg_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => None,
        Expr::Function(f) => f.name.0.last().and_then(|p| match p {
            ObjectNamePart::Identifier(i) => Some(i.value.to_lowercase()),
            _ => None,
        }),
        Expr::Cast {
            expr,
            kind: CastKind::DoubleColon | CastKind::Cast,
            ..
        } => match expr.as_ref() {
            Expr::Identifier(i) => Some(i.value.to_lowercase()),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_lowercase()),
            inner => pg_name(inner),
        },
        Expr::Nested(inner) => pg_name(inner),
        Expr::Case { .. } => Some("case".into()),
        Expr::Exists { .. } => Some("exists".into()),
        Expr::Extract { .. } => Some("extract".into()),
        Expr::Value(_) => None,
        _ => Some("?column?".into()),
    }
}

fn rename_query(q: &mut Query) {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    let names: Vec<Option<String>> = select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(e) => pg_name(e),
            _ => None,
        })
        .collect();
    // Names the list already has (aliases and plain columns) count against uniqueness.
    let taken: Vec<String> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(i.value.to_lowercase()),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(p)) => {
                p.last().map(|i| i.value.to_lowercase())
            }
            _ => None,
        })
        .collect();
    for (item, name) in select.projection.iter_mut().zip(&names) {
        let Some(name) = name else { continue };
        let unique =
            names.iter().filter(|n| n.as_ref() == Some(name)).count() == 1 && !taken.contains(name);
        if !unique {
            continue;
        }
        if let SelectItem::UnnamedExpr(e) = item {
            let expr = e.clone();
            *item = SelectItem::ExprWithAlias {
                expr,
                alias: Ident::with_quote('"', name.clone()),
            };
        }
    }
}

/// Repeated unaliased items (`SELECT NULL, NULL`, `count(*), count(*)`): PostgreSQL returns
/// both under one name, DataFusion refuses duplicate names, so the second and later get the
/// name with `_2`, `_3`, ... (the first keeps its name).
fn dedupe_query(q: &mut Query) {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    let texts: Vec<Option<String>> = select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(e) => Some(e.to_string()),
            _ => None,
        })
        .collect();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (item, text) in select.projection.iter_mut().zip(&texts) {
        let Some(text) = text else { continue };
        let n = match seen.iter_mut().find(|(t, _)| t == text) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                seen.push((text.clone(), 1));
                1
            }
        };
        if n == 1 || texts.iter().filter(|t| t.as_ref() == Some(text)).count() < 2 {
            continue;
        }
        if let SelectItem::UnnamedExpr(e) = item {
            let base = pg_name(e).unwrap_or_else(|| text.to_lowercase());
            *item = SelectItem::ExprWithAlias {
                expr: e.clone(),
                alias: Ident::with_quote('"', format!("{base}_{n}")),
            };
        }
    }
}

/// [`dedupe_query`] on a query statement (catalog queries too). True if anything changed.
pub fn dedupe_names(stmt: &mut Statement) -> bool {
    let Statement::Query(q) = stmt else {
        return false;
    };
    let before = q.to_string();
    dedupe_query(q);
    q.to_string() != before
}

/// Gives the outermost SELECT of a query statement PostgreSQL's column names (see the module
/// docs); other statements are left as they are. True if anything changed.
pub fn postgres_names(stmt: &mut Statement) -> bool {
    let Statement::Query(q) = stmt else {
        return false;
    };
    let before = q.to_string();
    dedupe_query(q);
    rename_query(q);
    q.to_string() != before
}

/// [`postgres_names`] on a query (`COPY (<query>) TO`).
pub fn postgres_names_query(q: &mut Query) {
    dedupe_query(q);
    rename_query(q);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn renamed(sql: &str) -> String {
        let mut s = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        postgres_names(&mut s);
        s.to_string()
    }

    #[test]
    fn unaliased_expressions_get_postgresql_names() {
        assert_eq!(
            renamed("SELECT category, count(*), sum(payable_within_due) FROM bills GROUP BY category"),
            "SELECT category, count(*) AS \"count\", sum(payable_within_due) AS \"sum\" FROM bills GROUP BY category"
        );
        assert_eq!(
            renamed("SELECT round(avg(units), 2), units::text, CASE WHEN units > 1 THEN 1 END, units + 1 FROM bills"),
            "SELECT round(avg(units), 2) AS \"round\", units::TEXT AS \"units\", CASE WHEN units > 1 THEN 1 END AS \"case\", units + 1 AS \"?column?\" FROM bills"
        );
        // Duplicate PostgreSQL names keep DataFusion's names; aliases and columns are kept;
        // a repeated expression gets a numbered name after the first.
        assert_eq!(
            renamed("SELECT count(*), count(units), sum(x) AS total FROM bills"),
            "SELECT count(*), count(units), sum(x) AS total FROM bills"
        );
        assert_eq!(
            renamed("SELECT NULL, NULL, count(*), count(*) FROM bills"),
            "SELECT NULL, NULL AS \"null_2\", count(*) AS \"count\", count(*) AS \"count_2\" FROM bills"
        );
        assert_eq!(
            renamed("SELECT reference, 1 FROM bills"),
            "SELECT reference, 1 FROM bills"
        );
        // A cast column named like another item stays as it is.
        assert_eq!(
            renamed("SELECT units, units::text FROM bills"),
            "SELECT units, units::TEXT FROM bills"
        );
        assert_eq!(
            renamed("CALL bill_cycle('MEPCO', '2026-11')"),
            "CALL bill_cycle('MEPCO', '2026-11')"
        );
    }
}
