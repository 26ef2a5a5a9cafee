//! Connections: browsing one (which validates it), and the saved ones with their masked secrets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::table_config::{TaskParams, string_params};

/// `POST /connections/browse`: list what is at `path` in the connection (a 200, even
/// with no items, proves the credentials work).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BrowseRequest {
    pub connection: ConnectionBody,
    #[serde(default)]
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    /// Always `CATALOG`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The catalog parameters (`catalogType`, `catalog.s3.bucketName`, …); numbers and
    /// booleans are taken as their text.
    #[serde(deserialize_with = "string_params")]
    pub params: TaskParams,
    /// What to call the saved connection (the wizard's "Catalog Connection Name").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One entry of a browse listing, in seed 000's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrowseItem {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: BrowseKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum BrowseKind {
    Dir,
    File,
    /// An Iceberg table inside a namespace.
    Table,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrowseAnswer {
    pub items: Vec<BrowseItem>,
}

/// A saved connection as `GET /connections` lists it; secrets arrive masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SavedConnection {
    /// Set when the stored secrets cannot be opened (a changed key): save the connection again.
    pub secrets_error: Option<String>,
    pub id: String,
    pub name: String,
    pub catalog_type: String,
    pub params: BTreeMap<String, String>,
    /// The tables created from it.
    pub tables: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionList {
    pub connections: Vec<SavedConnection>,
}

/// `POST /connections/{id}/validate`: the connection answered with its stored secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionValidated {
    pub id: String,
    /// `OK`.
    pub status: String,
    /// How many entries its root lists.
    pub items: u64,
}

/// The answer to deleting something by id (a connection, a token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removed {
    /// `deleted` or `revoked`.
    pub status: String,
    pub id: String,
}
