//! A native command as a one-shot table: planning it is free, scanning it runs the command.
//! This lets `CALL` go through DataFusion's normal execution and result encoding, so the
//! extended protocol (Describe, binary result formats) works like for any SELECT. A CALL
//! with bind parameters (`$1`) gets their values at Execute ([`CommandTable::bind`]), just
//! before DataFusion runs the plan.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::Mutex;
use query::commands::{call_schema, run_call, Call};
use query::{Engine, QueryError};

pub struct CommandTable {
    engine: Arc<Engine>,
    call: Call,
    schema: SchemaRef,
    /// The values bound for the next execution (text form), when the call has `$n` args.
    bound: Mutex<Vec<Option<String>>>,
}

impl std::fmt::Debug for CommandTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CALL {}", self.call.name)
    }
}

impl CommandTable {
    pub fn new(engine: Arc<Engine>, call: Call) -> Result<Self, QueryError> {
        let schema = call_schema(&call.name)?;
        Ok(CommandTable {
            engine,
            call,
            schema,
            bound: Mutex::new(Vec::new()),
        })
    }

    /// Whether the call takes bind parameters.
    pub fn has_parameters(&self) -> bool {
        !self.call.placeholders.is_empty()
    }

    /// Sets the parameter values the next scan runs the command with.
    pub fn bind(&self, values: Vec<Option<String>>) {
        *self.bound.lock() = values;
    }
}

#[async_trait]
impl TableProvider for CommandTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn table_type(&self) -> TableType {
        TableType::Temporary
    }
    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let engine = self.engine.clone();
        let call = if self.has_parameters() {
            self.call
                .bind(&self.bound.lock())
                .map_err(|e| DataFusionError::External(Box::new(e)))?
        } else {
            self.call.clone()
        };
        let batch = tokio::task::spawn_blocking(move || run_call(&engine.store, &call))
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema.clone(),
            projection.cloned(),
        )?)
    }
}
