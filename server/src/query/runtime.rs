//! A Tokio runtime of its own for SQL: parsing, planning and execution run on its big-stack
//! threads, so no query can starve the HTTP runtime or the sync heartbeats, or overflow
//! their stacks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::JoinHandle;

use crate::error::{ApiError, ApiResult};

/// Stack of every query thread. Only the pages a query touches are ever resident; the
/// shape limits keep well inside it what planning and execution recurse through.
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Threads a query may block on for file reads (DataFusion's local store uses them).
const BLOCKING_THREADS: usize = 8;

pub struct QueryRuntime {
    runtime: Option<tokio::runtime::Runtime>,
}

impl QueryRuntime {
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .max_blocking_threads(BLOCKING_THREADS)
            .thread_stack_size(STACK_BYTES)
            .thread_name("lakeport-query")
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    /// Runs `work` on the query threads. Dropping the answer (a timeout, a client that
    /// went away) aborts the work at its next await, which drops DataFusion's streams and
    /// with them every task they spawned.
    pub fn spawn<T: Send + 'static>(
        &self,
        work: impl Future<Output = ApiResult<T>> + Send + 'static,
    ) -> Spawned<T> {
        let runtime = self.runtime.as_ref().expect("the runtime lives until drop");
        Spawned(runtime.spawn(work))
    }
}

impl Drop for QueryRuntime {
    /// The engine may be dropped inside another runtime (tests start and stop apps),
    /// where a blocking shutdown is not allowed.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A query's task: aborted when dropped, and a panic in it is the query's error, not the
/// server's.
pub struct Spawned<T>(JoinHandle<ApiResult<T>>);

impl<T> Future for Spawned<T> {
    type Output = ApiResult<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(result) => result,
            Err(err) if err.is_panic() => Err(ApiError::internal(anyhow::anyhow!(
                "the query engine failed on this query: {err}"
            ))),
            Err(err) => Err(ApiError::internal(anyhow::anyhow!(
                "the query was cancelled: {err}"
            ))),
        })
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
