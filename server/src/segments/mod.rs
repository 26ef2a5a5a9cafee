//! Immutable segment files in the deep store: deterministic names, atomic writes, orphan collection.

pub mod builder;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const CONSUMING: &str = "consuming";

/// The deep store: a directory holding `<table>/<segment>.parquet` (and a REALTIME table's
/// consuming chunks, `<table>/consuming/<chunk>.parquet`).
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

    /// Where a REALTIME chunk lives: beside the table's segments, in `consuming/`, which the
    /// segment collector leaves alone (chunks have their own, see [`Self::collect_chunk_orphans`]).
    pub fn chunk_location(table: &str, chunk: &str) -> String {
        format!("{table}/{CONSUMING}/{chunk}.parquet")
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
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let location = format!("{table}/{name}");
            if !referenced.contains(&location) {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Deletes chunk files of `table` that no chunk row refers to and that are older than
    /// `min_age`: a request that died between writing its chunk and recording it. Younger
    /// files may belong to a request still in flight on any replica, so they stay.
    pub fn collect_chunk_orphans(
        &self,
        table: &str,
        referenced: &HashSet<String>,
        min_age: std::time::Duration,
    ) -> std::io::Result<usize> {
        let Ok(entries) = std::fs::read_dir(self.root.join(table).join(CONSUMING)) else {
            return Ok(0);
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let location = format!("{table}/{CONSUMING}/{name}");
            let old_enough = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= min_age);
            if old_enough && !referenced.contains(&location) {
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
        let chunk = DeepStore::chunk_location("t", "c1");
        std::fs::create_dir_all(store.path(&chunk).parent().unwrap()).unwrap();
        std::fs::write(store.path(&chunk), b"x").unwrap();
        let referenced = HashSet::from(["t/keep.parquet".to_string()]);
        assert_eq!(store.collect_orphans("t", &referenced).unwrap(), 1);
        // Chunks are not segments: the segment collector leaves them, and the chunk
        // collector only takes unreferenced ones old enough not to be in flight.
        assert!(store.path(&chunk).exists());
        let none = HashSet::new();
        let young = std::time::Duration::from_secs(3600);
        assert_eq!(store.collect_chunk_orphans("t", &none, young).unwrap(), 0);
        let kept = HashSet::from([chunk.clone()]);
        assert_eq!(
            store
                .collect_chunk_orphans("t", &kept, std::time::Duration::ZERO)
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .collect_chunk_orphans("t", &none, std::time::Duration::ZERO)
                .unwrap(),
            1
        );
        assert!(!store.path(&chunk).exists());
        assert!(store.path("t/keep.parquet").exists());
        assert!(!store.path("t/orphan.parquet").exists());
    }
}
