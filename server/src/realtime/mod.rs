//! REALTIME tables: rows pushed over HTTP, durable before the answer, queryable at once in the
//! consuming segment and sealed into completed segments by row count or age.

pub mod decode;
pub mod ingest;
pub mod seal;
