//! The OFFLINE table config of seed 000 (defined in the wire crate, shared with the web app) and the rules Lakeport reads it by.

pub use lakeport_wire::rules::{
    DEFAULT_SCHEDULE, DEFAULT_SYNC_TASK, OFFLINE_SUFFIX, SECRET_MASK, SYNC_TASK_TYPES,
    is_secret_param,
};
pub use lakeport_wire::table_config::{
    SegmentsConfig, TableConfig, TaskConfig, TaskParams, param_text,
};
