//! The routed pages of the UI.

mod ailake;
mod connect;
mod connections;
mod not_found;
mod query;
mod sign_in;
mod table;
mod tables;
mod tokens;

pub use ailake::AilakePage;
pub use connect::ConnectPage;
pub use connections::ConnectionsPage;
pub use not_found::NotFound;
pub use query::QueryPage;
pub use sign_in::SignInPage;
pub use table::TablePage;
pub use tables::TablesPage;
pub use tokens::TokensPage;
