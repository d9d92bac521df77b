//! The DataFusion session over the store, with a PostgreSQL-compatible catalog.
//!
//! The catalog is `bijli` (the database name clients connect to), schema `public`, plus
//! `pg_catalog` and `information_schema` served by datafusion-pg-catalog over the same
//! DataFusion catalog list, so `\dt`, `\d bills`, JDBC `getTables` see exactly our tables.

use std::sync::Arc;

use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use storage::Store;

use crate::error::QueryError;
use crate::tables::{StoreTable, TableKind};

pub const DATABASE: &str = "bijli";
pub const SCHEMA: &str = "public";

/// One engine per server: the store and the shared session context.
pub struct Engine {
    pub store: Arc<Store>,
    pub ctx: Arc<SessionContext>,
}

impl Engine {
    pub fn new(store: Arc<Store>) -> Result<Engine, QueryError> {
        let config = SessionConfig::new()
            .with_default_catalog_and_schema(DATABASE, SCHEMA)
            .with_create_default_catalog_and_schema(true)
            .with_information_schema(true)
            .with_target_partitions(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            );
        // Numeric literals are NUMERIC, not float8, as in PostgreSQL: money stays exact.
        let mut config = config;
        config.options_mut().sql_parser.parse_float_as_decimal = true;
        let ctx = SessionContext::new_with_config(config);
        for kind in TableKind::ALL {
            ctx.register_table(kind.name(), Arc::new(StoreTable::new(kind, store.clone())))?;
        }
        datafusion_pg_catalog::setup_pg_catalog(&ctx, DATABASE, EmptyContextProvider)
            .map_err(|e| QueryError::DataFusion(*e))?;
        // PostgreSQL's to_char (templates like 'YYYY-MM', '999,999.00'), not DataFusion's.
        ctx.register_udf(crate::to_char::udf());
        // PostgreSQL's round (exact NUMERIC of the declared scale), not DataFusion's.
        ctx.register_udf(crate::round::udf());
        Ok(Engine {
            store,
            ctx: Arc::new(ctx),
        })
    }

    /// Runs one SQL text and collects the result (used by tests and the demo's summary).
    pub async fn sql(
        &self,
        sql: &str,
    ) -> Result<Vec<datafusion::arrow::array::RecordBatch>, QueryError> {
        let df = self.ctx.sql(sql).await?;
        Ok(df.collect().await?)
    }
}
