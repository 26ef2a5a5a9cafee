//! `local`: a folder of Parquet files on this machine, confined to the configured roots.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::params::LocalSpec;
use super::{
    BrowseItem, BrowseKind, Catalog, CatalogError, CatalogResult, SourceFile,
    checked_relative_path, is_data_file,
};

pub struct LocalCatalog {
    root: PathBuf,
}

impl LocalCatalog {
    pub fn open(spec: &LocalSpec, allowed_roots: &[PathBuf]) -> CatalogResult<Self> {
        let root = spec.path.canonicalize().map_err(|e| {
            CatalogError::NotFound(format!(
                "local path '{}' cannot be opened: {e}",
                spec.path.display()
            ))
        })?;
        if !root.is_dir() {
            return Err(CatalogError::InvalidConfig(format!(
                "local path '{}' is not a directory",
                spec.path.display()
            )));
        }
        ensure_allowed(&spec.path, &root, allowed_roots, "read")?;
        Ok(Self { root })
    }

    fn resolve(&self, key: &str) -> CatalogResult<PathBuf> {
        let relative = checked_relative_path(key)?;
        Ok(self.root.join(relative.trim_end_matches('/')))
    }
}

#[async_trait]
impl Catalog for LocalCatalog {
    fn root_uri(&self) -> String {
        format!("file://{}/", self.root.display())
    }

    async fn browse(&self, path: &str) -> CatalogResult<Vec<BrowseItem>> {
        let dir = self.resolve(path)?;
        let root = self.root.clone();
        blocking(move || {
            let canonical = dir.canonicalize().map_err(|e| {
                CatalogError::NotFound(format!("'{}' cannot be opened: {e}", dir.display()))
            })?;
            if !canonical.starts_with(&root) {
                return Err(CatalogError::InvalidConfig(
                    "path leaves the connection's folder".into(),
                ));
            }
            let mut dirs = Vec::new();
            let mut files = Vec::new();
            for entry in std::fs::read_dir(&canonical).map_err(io_error)? {
                let entry = entry.map_err(io_error)?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let kind = entry.file_type().map_err(io_error)?;
                if kind.is_dir() && !name.starts_with('.') {
                    dirs.push(BrowseItem {
                        name: format!("{name}/"),
                        kind: BrowseKind::Dir,
                    });
                } else if kind.is_file() && is_data_file(&name) {
                    files.push(BrowseItem {
                        name,
                        kind: BrowseKind::File,
                    });
                }
            }
            dirs.sort_by(|a, b| a.name.cmp(&b.name));
            files.sort_by(|a, b| a.name.cmp(&b.name));
            dirs.extend(files);
            Ok(dirs)
        })
        .await
    }

    async fn list_files(&self) -> CatalogResult<Vec<SourceFile>> {
        let root = self.root.clone();
        blocking(move || {
            let mut files = Vec::new();
            walk(&root, &root, &mut files)?;
            files.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(files)
        })
        .await
    }

    async fn read_all(&self, file: &SourceFile) -> CatalogResult<Bytes> {
        let path = self.resolve(&file.key)?;
        tokio::fs::read(&path)
            .await
            .map(Bytes::from)
            .map_err(io_error)
    }

    async fn read_range(&self, file: &SourceFile, range: Range<u64>) -> CatalogResult<Bytes> {
        let path = self.resolve(&file.key)?;
        blocking(move || {
            let mut handle = std::fs::File::open(&path).map_err(io_error)?;
            handle
                .seek(SeekFrom::Start(range.start))
                .map_err(io_error)?;
            let mut buffer = vec![0; (range.end - range.start) as usize];
            handle.read_exact(&mut buffer).map_err(io_error)?;
            Ok(Bytes::from(buffer))
        })
        .await
    }
}

/// Refuses a folder (`canonical`, as `shown` spells it) outside every allowed root.
fn ensure_allowed(
    shown: &Path,
    canonical: &Path,
    allowed_roots: &[PathBuf],
    verb: &str,
) -> CatalogResult<()> {
    let allowed = allowed_roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .any(|allowed| canonical.starts_with(&allowed));
    if allowed {
        return Ok(());
    }
    let roots: Vec<String> = allowed_roots
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    Err(CatalogError::InvalidConfig(format!(
        "local path '{}' is outside the folders Lakeport may {verb} ({}); set LAKEPORT_LOCAL_ROOTS to allow it",
        shown.display(),
        roots.join(", ")
    )))
}

/// Where `path` would be written: its deepest existing folder (resolved, within the allowed
/// roots) and the names of the folders still to create below it. Creates nothing.
fn writable_parts<'p>(
    path: &'p Path,
    allowed_roots: &[PathBuf],
) -> CatalogResult<(PathBuf, Vec<&'p std::ffi::OsStr>)> {
    if !path.is_absolute() {
        return Err(CatalogError::InvalidConfig(format!(
            "local path '{}' must be absolute",
            path.display()
        )));
    }
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(CatalogError::InvalidConfig(format!(
            "local path '{}' may not contain '..'",
            path.display()
        )));
    }
    let mut existing = path;
    let mut missing = Vec::new();
    while !existing.exists() {
        let (Some(name), Some(parent)) = (existing.file_name(), existing.parent()) else {
            break;
        };
        missing.push(name);
        existing = parent;
    }
    let canonical = existing.canonicalize().map_err(io_error)?;
    ensure_allowed(path, &canonical, allowed_roots, "write to")?;
    if !canonical.is_dir() {
        return Err(CatalogError::InvalidConfig(format!(
            "local path '{}' is not a directory",
            existing.display()
        )));
    }
    Ok((canonical, missing))
}

/// Whether files may be written under `path`, checked without creating anything.
pub(super) fn check_writable(path: &Path, allowed_roots: &[PathBuf]) -> CatalogResult<()> {
    writable_parts(path, allowed_roots).map(|_| ())
}

/// The folder `path` names, made if missing, once it is known to lie under an allowed
/// root: the deepest part that exists is resolved (symlinks and all) and checked, and
/// only then are the missing folders below it created.
pub(super) fn writable_dir(path: &Path, allowed_roots: &[PathBuf]) -> CatalogResult<PathBuf> {
    let (canonical, missing) = writable_parts(path, allowed_roots)?;
    let dir = missing
        .iter()
        .rev()
        .fold(canonical, |dir, name| dir.join(name));
    std::fs::create_dir_all(&dir).map_err(io_error)?;
    // Checked again: a link put in place meanwhile must not lead the file elsewhere.
    let dir = dir.canonicalize().map_err(io_error)?;
    ensure_allowed(path, &dir, allowed_roots, "write to")?;
    Ok(dir)
}

/// Symlinks are skipped so that a link cannot lead a table outside its allowed root.
fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> CatalogResult<()> {
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let kind = entry.file_type().map_err(io_error)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() && !name.starts_with('.') {
            walk(root, &path, out)?;
        } else if kind.is_file() && is_data_file(&name) {
            let meta = entry.metadata().map_err(io_error)?;
            let modified: Option<DateTime<Utc>> = meta.modified().ok().map(DateTime::<Utc>::from);
            let key = path
                .strip_prefix(root)
                .expect("walked below root")
                .to_string_lossy()
                .replace('\\', "/");
            let stamp = modified
                .and_then(|m| m.timestamp_nanos_opt())
                .unwrap_or_default();
            out.push(SourceFile {
                key,
                size: meta.len(),
                etag: format!("{stamp:x}-{:x}", meta.len()),
                last_modified: modified,
            });
        }
    }
    Ok(())
}

pub(super) fn io_error(err: std::io::Error) -> CatalogError {
    match err.kind() {
        std::io::ErrorKind::NotFound => CatalogError::NotFound(err.to_string()),
        std::io::ErrorKind::PermissionDenied => CatalogError::AccessDenied(err.to_string()),
        std::io::ErrorKind::UnexpectedEof => {
            CatalogError::BadData(format!("file is shorter than expected: {err}"))
        }
        _ => CatalogError::Transient(err.to_string()),
    }
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> CatalogResult<T> + Send + 'static,
) -> CatalogResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CatalogError::Transient(format!("file system task failed: {e}")))?
}
