//! The routed pages of the UI.

mod not_found;
mod tables;

pub use not_found::NotFound;
pub use tables::TablesPage;
