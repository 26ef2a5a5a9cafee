//! AI Lake pipe tables (seed 004): planning a pipe over a storage prefix, and the long
//! operations that provision instances and create or drop pipe tables, run by the watcher.
//! A pipe table is an OFFLINE Lakeport table named `<instance>.<table>`: the sync engine
//! loads it and the query engine reads it, as any other table.

pub mod answer;
pub mod layout;
pub mod operations;
pub mod plan;
pub mod sql_types;

use lakeport_wire::table_config::TableType;

/// The Lakeport table behind a pipe: its SQL name (`<instance>.<table>`) and its name
/// with the type suffix.
pub fn lakeport_names(instance: &str, table: &str) -> (String, String) {
    let raw = format!("{instance}.{table}");
    let with_type = format!("{raw}{}", TableType::Offline.suffix());
    (raw, with_type)
}
