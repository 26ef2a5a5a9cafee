//! Wire types shared by the API, preview, store and sync: the seed documents' JSON shapes.

pub mod schema;
pub mod secret;
pub mod table_config;
pub mod values;
