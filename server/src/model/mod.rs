//! Wire types shared by the API, preview, store and sync (the seed documents' JSON shapes), and the cron schedules they carry.

pub mod schedule;
pub mod schema;
pub mod secret;
pub mod table_config;
pub mod values;
