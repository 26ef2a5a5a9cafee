//! The table config of seeds 000 and 003 (defined in the wire crate, shared with the web app) and the rules Lakeport reads it by.

pub use lakeport_wire::rules::{
    DEFAULT_SCHEDULE, DEFAULT_SYNC_TASK, EXPORT_TASK_TYPE, OFFLINE_SUFFIX, REALTIME_SUFFIX,
    SECRET_MASK, SYNC_TASK_TYPES, is_secret_param, parse_period,
};
pub use lakeport_wire::table_config::{
    SegmentsConfig, StreamSettings, TableConfig, TableType, TaskConfig, TaskParams, param_text,
    strip_type_suffix,
};
