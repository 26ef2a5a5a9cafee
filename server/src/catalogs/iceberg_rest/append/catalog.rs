//! Just enough of `iceberg::Catalog` for `Transaction::commit` to append through Lakeport's
//! own REST client (its auth, signing and outbound policy), keeping what an `iceberg::Error`
//! cannot carry: whether a failed commit may have been applied.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use iceberg::io::FileIO;
use iceberg::spec::TableMetadata;
use iceberg::table::Table;
use iceberg::{
    Catalog, Error, ErrorKind, Namespace, NamespaceIdent, Runtime, TableCommit, TableCreation,
    TableIdent,
};
use serde_json::json;

use super::AppendTarget;
use crate::catalogs::iceberg_rest::client::CommitFailure;

/// Just enough of `iceberg::Catalog` for `Transaction::commit`: loading the table (the
/// one `commit` just loaded and checked, then fresh ones) and posting the commit through
/// Lakeport's own REST client. It remembers why its last call failed, since an
/// `iceberg::Error` cannot say whether a commit may have been applied.
pub(super) struct CommitCatalog<'a> {
    target: &'a AppendTarget,
    prepared: Mutex<Option<Table>>,
    file_io: Mutex<Option<FileIO>>,
    failure: Mutex<Option<CommitFailure>>,
}

impl std::fmt::Debug for CommitCatalog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitCatalog")
            .field("table", &self.target.table_name())
            .finish()
    }
}

impl<'a> CommitCatalog<'a> {
    pub(super) fn new(target: &'a AppendTarget) -> Self {
        Self {
            target,
            prepared: Mutex::new(None),
            file_io: Mutex::new(None),
            failure: Mutex::new(None),
        }
    }

    /// The next `load_table` answers `table`, which the caller has already checked.
    pub(super) fn begin(&self, table: Table) {
        *self.file_io.lock().unwrap() = Some(table.file_io().clone());
        *self.prepared.lock().unwrap() = Some(table);
        *self.failure.lock().unwrap() = None;
    }

    pub(super) fn failure(&self) -> Option<CommitFailure> {
        self.failure.lock().unwrap().clone()
    }

    fn fail(&self, failure: CommitFailure) -> Error {
        let (kind, text) = match &failure {
            CommitFailure::Conflict(why) => (ErrorKind::CatalogCommitConflicts, why.clone()),
            CommitFailure::Unknown(why) => (ErrorKind::Unexpected, why.clone()),
            CommitFailure::Refused(err) => (ErrorKind::Unexpected, err.to_string()),
        };
        *self.failure.lock().unwrap() = Some(failure);
        // Never retryable: `commit` decides what happens after each failure.
        Error::new(kind, text).with_retryable(false)
    }

    fn ours(&self, ident: &TableIdent) -> iceberg::Result<()> {
        if ident.namespace().as_ref() == &self.target.namespace && ident.name() == self.target.name
        {
            Ok(())
        } else {
            Err(unsupported())
        }
    }
}

fn unsupported() -> Error {
    Error::new(
        ErrorKind::FeatureUnsupported,
        "the export commit catalog only loads and commits its own table",
    )
}

#[async_trait]
impl Catalog for CommitCatalog<'_> {
    async fn load_table(&self, ident: &TableIdent) -> iceberg::Result<Table> {
        self.ours(ident)?;
        *self.failure.lock().unwrap() = None;
        if let Some(table) = self.prepared.lock().unwrap().take() {
            return Ok(table);
        }
        match self.target.reload().await {
            Ok(loaded) => {
                *self.file_io.lock().unwrap() = Some(loaded.table.file_io().clone());
                Ok(loaded.table)
            }
            Err(err) => Err(self.fail(CommitFailure::Refused(err))),
        }
    }

    async fn update_table(&self, mut commit: TableCommit) -> iceberg::Result<Table> {
        self.ours(commit.identifier())?;
        *self.failure.lock().unwrap() = None;
        let body = json!({
            "identifier": { "namespace": &self.target.namespace, "name": &self.target.name },
            "requirements": commit.take_requirements(),
            "updates": commit.take_updates(),
        });
        let answer = match self
            .target
            .client
            .commit_table(&self.target.namespace, &self.target.name, &body)
            .await
        {
            Ok(answer) => answer,
            Err(failure) => return Err(self.fail(failure)),
        };
        // Committed: from here on every failure is about the answer, not the table.
        let built = (|| -> Result<Table, String> {
            let metadata: TableMetadata =
                serde_json::from_value(answer["metadata"].clone()).map_err(|e| e.to_string())?;
            let file_io = self
                .file_io
                .lock()
                .unwrap()
                .clone()
                .ok_or("no FileIO loaded")?;
            let mut builder = Table::builder()
                .metadata(metadata)
                .identifier(commit.identifier().clone())
                .file_io(file_io)
                .runtime(Runtime::try_current().map_err(|e| e.to_string())?);
            if let Some(location) = answer["metadata-location"].as_str() {
                builder = builder.metadata_location(location);
            }
            builder.build().map_err(|e| e.to_string())
        })();
        built.map_err(|why| {
            self.fail(CommitFailure::Unknown(format!(
                "the catalog accepted the commit but its answer is unusable: {why}"
            )))
        })
    }

    async fn list_namespaces(
        &self,
        _parent: Option<&NamespaceIdent>,
    ) -> iceberg::Result<Vec<NamespaceIdent>> {
        Err(unsupported())
    }

    async fn create_namespace(
        &self,
        _namespace: &NamespaceIdent,
        _properties: HashMap<String, String>,
    ) -> iceberg::Result<Namespace> {
        Err(unsupported())
    }

    async fn get_namespace(&self, _namespace: &NamespaceIdent) -> iceberg::Result<Namespace> {
        Err(unsupported())
    }

    async fn namespace_exists(&self, _namespace: &NamespaceIdent) -> iceberg::Result<bool> {
        Err(unsupported())
    }

    async fn update_namespace(
        &self,
        _namespace: &NamespaceIdent,
        _properties: HashMap<String, String>,
    ) -> iceberg::Result<()> {
        Err(unsupported())
    }

    async fn drop_namespace(&self, _namespace: &NamespaceIdent) -> iceberg::Result<()> {
        Err(unsupported())
    }

    async fn list_tables(&self, _namespace: &NamespaceIdent) -> iceberg::Result<Vec<TableIdent>> {
        Err(unsupported())
    }

    async fn create_table(
        &self,
        _namespace: &NamespaceIdent,
        _creation: TableCreation,
    ) -> iceberg::Result<Table> {
        Err(unsupported())
    }

    async fn drop_table(&self, _table: &TableIdent) -> iceberg::Result<()> {
        Err(unsupported())
    }

    async fn purge_table(&self, _table: &TableIdent) -> iceberg::Result<()> {
        Err(unsupported())
    }

    async fn table_exists(&self, _table: &TableIdent) -> iceberg::Result<bool> {
        Err(unsupported())
    }

    async fn rename_table(&self, _src: &TableIdent, _dest: &TableIdent) -> iceberg::Result<()> {
        Err(unsupported())
    }

    async fn register_table(
        &self,
        _table: &TableIdent,
        _metadata_location: String,
    ) -> iceberg::Result<Table> {
        Err(unsupported())
    }
}
