//! Immutable segment files in the deep store: deterministic names, atomic writes, orphan collection.

pub mod builder;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The deep store: a directory holding `<table>/<segment>.parquet`.
#[derive(Debug, Clone)]
pub struct DeepStore {
    root: PathBuf,
}

impl DeepStore {
    pub fn new(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        Ok(Self {
            root: root.canonicalize()?,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a segment lives, relative to the store root (what the metadata records).
    pub fn location(table: &str, segment_name: &str) -> String {
        format!("{table}/{segment_name}.parquet")
    }

    pub fn path(&self, location: &str) -> PathBuf {
        self.root.join(location)
    }

    /// Deletes segment files of `table` that no committed segment row refers to:
    /// leftovers of a run that died before its commit, or replaced segments whose
    /// deletion was interrupted. Call only while holding the table's lease.
    pub fn collect_orphans(
        &self,
        table: &str,
        referenced: &HashSet<String>,
    ) -> std::io::Result<usize> {
        let dir = self.root.join(table);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(0);
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let location = format!("{table}/{name}");
            if !referenced.contains(&location) {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn remove(&self, location: &str) {
        if let Err(err) = std::fs::remove_file(self.path(location))
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(location, error = %err, "could not delete a replaced segment; it will be collected later");
        }
    }

    pub fn remove_table(&self, table: &str) -> std::io::Result<()> {
        match std::fs::remove_dir_all(self.root.join(table)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

/// The same source file version always yields the same segment name, so a build
/// retried after a crash overwrites its earlier attempt instead of adding a copy.
pub fn segment_name(raw_table: &str, file_key: &str, etag: &str) -> String {
    let digest = Sha256::new()
        .chain_update(file_key)
        .chain_update([0u8])
        .chain_update(etag)
        .finalize();
    format!("{raw_table}__{}", &hex::encode(digest)[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_are_deterministic_per_file_version() {
        assert_eq!(
            segment_name("t", "a.parquet", "e1"),
            segment_name("t", "a.parquet", "e1")
        );
        assert_ne!(
            segment_name("t", "a.parquet", "e1"),
            segment_name("t", "a.parquet", "e2")
        );
        assert_ne!(
            segment_name("t", "a.parquet", "e1"),
            segment_name("t", "b.parquet", "e1")
        );
    }

    #[test]
    fn orphans_are_collected_and_referenced_segments_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = DeepStore::new(dir.path().to_path_buf()).unwrap();
        std::fs::create_dir_all(store.root().join("t")).unwrap();
        std::fs::write(store.path("t/keep.parquet"), b"x").unwrap();
        std::fs::write(store.path("t/orphan.parquet"), b"x").unwrap();
        let referenced = HashSet::from(["t/keep.parquet".to_string()]);
        assert_eq!(store.collect_orphans("t", &referenced).unwrap(), 1);
        assert!(store.path("t/keep.parquet").exists());
        assert!(!store.path("t/orphan.parquet").exists());
    }
}
