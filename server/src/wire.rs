//! The Postgres wire: pgwire handlers around datafusion-postgres' session service.
//!
//! datafusion-postgres (0.19, on pgwire 0.41.1) runs ordinary SQL, SET/SHOW, transactions and
//! cursors; our [`BijliHook`] takes `COPY ... FROM STDIN` and `CALL ...` before it; our
//! [`BijliCopy`] receives the COPY data; [`BijliErrors`] maps every error to a SQLSTATE
//! (see `errors.rs`). No lock is held across an `.await`; store work runs on blocking threads.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::{DFSchema, ParamValues};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::arrow_pg::datatypes::df::encode_dataframe;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::hooks::{HookClient, QueryHook};
use datafusion_postgres::DfSessionService;
use futures::{Sink, SinkExt};
use parking_lot::Mutex;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::copy::CopyHandler;
use pgwire::api::portal::Format;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{CopyResponse, Response, Tag};
use pgwire::api::{ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use pgwire::messages::PgWireBackendMessage;
use query::commands::{plan_call, Call};
use query::copy::{plan_copy, CopySink};
use query::copy_out::{plan_copy_out, CopyOutPlan};
use query::Engine;

use crate::command_table::CommandTable;
use crate::errors::{map_error, query_error};

/// The COPY in progress on one connection.
#[derive(Default)]
struct CopySlot(Mutex<Option<CopySink>>);

pub struct BijliHook {
    engine: Arc<Engine>,
}

impl BijliHook {
    /// The scan of the command. A CALL with `$n` arguments gets an always-true filter naming
    /// `$1..$N` as text, so Describe reports its parameters (tokio-postgres and JDBC check
    /// the count); the values reach the command at Execute ([`CommandTable::bind`]).
    fn call_plan(&self, call: Call) -> PgWireResult<LogicalPlan> {
        use datafusion::arrow::datatypes::{DataType, Field};
        use datafusion::logical_expr::expr::Placeholder;
        use datafusion::logical_expr::{lit, Expr};
        let params = call.placeholders.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let table = CommandTable::new(self.engine.clone(), call).map_err(|e| query_error(&e))?;
        let mut b = LogicalPlanBuilder::scan("call", provider_as_source(Arc::new(table)), None)
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        if params > 0 {
            let text = Arc::new(Field::new("", DataType::Utf8, true));
            let named = (1..=params).fold(lit(true), |acc, n| {
                let p = Expr::Placeholder(Placeholder::new_with_field(
                    format!("${n}"),
                    Some(text.clone()),
                ));
                acc.or(p.is_null())
            });
            b = b
                .filter(named)
                .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        }
        b.build().map_err(|e| PgWireError::ApiError(Box::new(e)))
    }

    async fn run_call(
        &self,
        call: Call,
        ctx: &SessionContext,
        format: &Format,
    ) -> PgWireResult<Response> {
        let plan = self.call_plan(call)?;
        let df = ctx
            .execute_logical_plan(plan)
            .await
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        Ok(Response::Query(encode_dataframe(df, format, None).await?))
    }

    fn start_copy(
        &self,
        stmt: &Statement,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        let plan = match plan_copy(stmt)? {
            Ok(p) => p,
            Err(e) => return Some(Err(query_error(&e))),
        };
        let columns = plan.fields.len();
        let slot = client
            .session_extensions()
            .get_or_insert_with(CopySlot::default);
        *slot.0.lock() = Some(CopySink::new(plan));
        Some(Ok(Response::CopyIn(CopyResponse::new(
            0,
            columns,
            futures::stream::empty(),
        ))))
    }
}

/// Statements Bijli answers itself before DataFusion sees them: session resets drivers and
/// poolers send, and a refusal of DDL/DML (tables change only through COPY and CALL, which
/// are journaled; anything else would be acknowledged and then lost at restart).
fn session_or_refused(statement: &Statement) -> Option<PgWireResult<Response>> {
    let text = statement.to_string();
    let up = text.trim().to_uppercase();
    let first = up.split_whitespace().next().unwrap_or("");
    match first {
        "DISCARD" => Some(Ok(Response::Execution(Tag::new(&up)))),
        "DEALLOCATE" => Some(Ok(Response::Execution(Tag::new("DEALLOCATE")))),
        "RESET" if up == "RESET ALL" => Some(Ok(Response::Execution(Tag::new("RESET")))),
        "CREATE" | "DROP" | "INSERT" | "UPDATE" | "DELETE" | "ALTER" | "TRUNCATE" | "MERGE"
        | "GRANT" | "REVOKE" | "COMMENT" => Some(Err(crate::errors::refused(
            "0A000",
            format!(
                "{first} is not supported: Bijli's tables change only through COPY ... FROM STDIN and CALL commands, which are journaled"
            ),
        ))),
        _ => None,
    }
}

#[async_trait]
impl QueryHook for BijliHook {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        session_context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if let Some(r) = session_or_refused(statement) {
            return Some(r);
        }
        if let Some(plan) = plan_copy_out(statement) {
            return Some(match plan {
                Ok(p) => copy_out(p, session_context).await,
                Err(e) => Err(query_error(&e)),
            });
        }
        if let Some(r) = self.start_copy(statement, client) {
            return Some(r);
        }
        match plan_call(statement)? {
            Ok(call) => Some(
                self.run_call(call, session_context, &Format::UnifiedText)
                    .await,
            ),
            Err(e) => Some(Err(query_error(&e))),
        }
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _session_context: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        if let Some(r) = session_or_refused(statement) {
            return Some(r.map(|_| {
                LogicalPlan::EmptyRelation(EmptyRelation {
                    produce_one_row: false,
                    schema: Arc::new(DFSchema::empty()),
                })
            }));
        }
        // COPY TO (tokio-postgres' copy_out prepares it) and COPY FROM run at Execute; their
        // plan describes no rows.
        if let Some(r) = plan_copy_out(statement) {
            return Some(match r {
                Ok(_) => Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                    produce_one_row: false,
                    schema: Arc::new(DFSchema::empty()),
                })),
                Err(e) => Err(query_error(&e)),
            });
        }
        if let Some(r) = plan_copy(statement) {
            return Some(match r {
                Ok(_) => Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                    produce_one_row: false,
                    schema: Arc::new(DFSchema::empty()),
                })),
                Err(e) => Err(query_error(&e)),
            });
        }
        match plan_call(statement)? {
            // The command runs when the plan is executed (CommandTable::scan), not at Parse.
            Ok(call) => Some(self.call_plan(call)),
            Err(e) => Some(Err(query_error(&e))),
        }
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        logical_plan: &LogicalPlan,
        params: &ParamValues,
        session_context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if let Some(r) = session_or_refused(statement) {
            return Some(r);
        }
        if let Some(plan) = plan_copy_out(statement) {
            return Some(match plan {
                Ok(p) => copy_out(p, session_context).await,
                Err(e) => Err(query_error(&e)),
            });
        }
        // CALL falls through: datafusion-postgres executes its plan with the portal's formats;
        // a CALL with `$n` arguments first gets this execution's values.
        if let Some(provider) = command_table(logical_plan) {
            if let Some(table) = provider.downcast_ref::<CommandTable>() {
                if table.has_parameters() {
                    table.bind(param_texts(params));
                }
            }
        }
        self.start_copy(statement, client)
    }
}

/// `COPY ... TO STDOUT`: runs the query and streams its rows out, one CopyData per row (the
/// tag counts them; a header goes with the first row, or alone when there is none).
async fn copy_out(plan: CopyOutPlan, ctx: &SessionContext) -> PgWireResult<Response> {
    use futures::StreamExt;
    let api = |e: datafusion::error::DataFusionError| PgWireError::ApiError(Box::new(e));
    let df = ctx.sql(&plan.sql).await.map_err(api)?;
    let schema = df.schema().as_arrow().clone();
    let columns = schema.fields().len();
    let header = Arc::new(Mutex::new(
        plan.options.header.then(|| plan.header(&schema)),
    ));
    let batches = df.execute_stream().await.map_err(api)?;
    let pending = header.clone();
    let rows = batches.flat_map(move |batch| {
        let lines: Vec<PgWireResult<CopyData>> = match batch
            .map_err(api)
            .and_then(|b| plan.rows(&b).map_err(|e| query_error(&e)))
        {
            Ok(lines) => lines
                .into_iter()
                .map(|mut line| {
                    if let Some(mut h) = pending.lock().take() {
                        h.append(&mut line);
                        line = h;
                    }
                    Ok(CopyData::new(line.into()))
                })
                .collect(),
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(lines)
    });
    // No row at all: the header alone (an empty message is skipped by pgwire).
    let tail = futures::stream::once(async move {
        Ok(CopyData::new(
            header.lock().take().unwrap_or_default().into(),
        ))
    });
    Ok(Response::CopyOut(CopyResponse::new(
        0,
        columns,
        rows.chain(tail),
    )))
}

/// The command behind a CALL's plan (a scan of a [`CommandTable`]).
fn command_table(plan: &LogicalPlan) -> Option<Arc<dyn datafusion::catalog::TableProvider>> {
    let plan = match plan {
        LogicalPlan::Filter(f) => f.input.as_ref(),
        p => p,
    };
    let LogicalPlan::TableScan(scan) = plan else {
        return None;
    };
    datafusion::datasource::source_as_provider(&scan.source)
        .ok()
        .filter(|p| p.is::<CommandTable>())
}

/// Bound parameter values as the text a literal argument would have (NULL: `None`).
fn param_texts(params: &ParamValues) -> Vec<Option<String>> {
    use datafusion::common::ScalarValue as V;
    let ParamValues::List(list) = params else {
        return Vec::new();
    };
    list.iter()
        .map(|p| match &p.value {
            v if v.is_null() => None,
            V::Utf8(Some(s)) | V::LargeUtf8(Some(s)) | V::Utf8View(Some(s)) => Some(s.clone()),
            v => Some(v.to_string()),
        })
        .collect()
}

pub struct BijliCopy {
    engine: Arc<Engine>,
}

#[async_trait]
impl CopyHandler for BijliCopy {
    async fn on_copy_data<C>(&self, client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Some(slot) = client.session_extensions().get::<CopySlot>() {
            if let Some(sink) = slot.0.lock().as_mut() {
                sink.feed(&copy_data.data);
            }
        }
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let sink = client
            .session_extensions()
            .get::<CopySlot>()
            .and_then(|s| s.0.lock().take());
        let Some(sink) = sink else {
            return Err(map_error(PgWireError::ApiError(
                "no COPY in progress".into(),
            )));
        };
        let engine = self.engine.clone();
        let outcome = tokio::task::spawn_blocking(move || sink.finish(&engine.store))
            .await
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?
            .map_err(|e| query_error(&e))?;
        client
            .send(PgWireBackendMessage::CommandComplete(
                Tag::new("COPY").with_rows(outcome.rows).into(),
            ))
            .await?;
        Ok(())
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Some(s) = client.session_extensions().get::<CopySlot>() {
            s.0.lock().take();
        }
        PgWireError::UserError(Box::new(pgwire::error::ErrorInfo::new(
            "ERROR".into(),
            "57014".into(),
            format!(
                "COPY aborted by the client, nothing was loaded: {}",
                fail.message
            ),
        )))
    }
}

pub struct BijliErrors;

impl ErrorHandler for BijliErrors {
    fn on_error<C>(&self, _client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        let e = std::mem::replace(error, PgWireError::InvalidCancelRequest);
        *error = map_error(e);
        tracing::debug!("error sent: {error}");
    }
}

pub struct Startup {
    manager: Arc<ConnectionManager>,
}

impl NoopStartupHandler for Startup {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(self.manager.clone())
    }
}

/// Everything pgwire needs for one server.
pub struct Handlers {
    session: Arc<crate::guard::GuardedSql>,
    copy: Arc<BijliCopy>,
    startup: Arc<Startup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl Handlers {
    pub fn new(engine: Arc<Engine>) -> Handlers {
        let hooks: Vec<Arc<dyn QueryHook>> = vec![
            Arc::new(BijliHook {
                engine: engine.clone(),
            }),
            Arc::new(CursorStatementHook),
            Arc::new(SetShowHook),
            Arc::new(TransactionStatementHook),
        ];
        let manager = Arc::new(ConnectionManager::new());
        Handlers {
            session: Arc::new(crate::guard::GuardedSql::new(Arc::new(
                DfSessionService::new_with_hooks(engine.ctx.clone(), hooks),
            ))),
            copy: Arc::new(BijliCopy { engine }),
            startup: Arc::new(Startup {
                manager: manager.clone(),
            }),
            cancel: Arc::new(DefaultCancelHandler::new(manager)),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.session.clone()
    }
    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.session.clone()
    }
    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }
    fn copy_handler(&self) -> Arc<impl CopyHandler> {
        self.copy.clone()
    }
    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(BijliErrors)
    }
    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// Answers a connection over the limit as PostgreSQL does: declines SSL / GSS encryption,
/// reads the startup packet, sends `FATAL 53300 sorry, too many clients already` and closes.
pub async fn refuse_too_many(mut socket: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const SSL_REQUEST: u32 = 80_877_103;
    const GSS_REQUEST: u32 = 80_877_104;
    let exchange = async {
        loop {
            let len = socket.read_u32().await? as usize;
            if !(8..=10_000).contains(&len) {
                return Ok::<(), std::io::Error>(());
            }
            let code = socket.read_u32().await?;
            let mut rest = vec![0u8; len - 8];
            socket.read_exact(&mut rest).await?;
            if code == SSL_REQUEST || code == GSS_REQUEST {
                socket.write_all(b"N").await?;
                continue;
            }
            break;
        }
        let mut body = Vec::new();
        for (tag, text) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "53300"),
            (b'M', "sorry, too many clients already"),
        ] {
            body.push(tag);
            body.extend_from_slice(text.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut msg = vec![b'E'];
        msg.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        msg.extend_from_slice(&body);
        socket.write_all(&msg).await?;
        socket.shutdown().await
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), exchange).await;
}
