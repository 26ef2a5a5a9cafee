//! Writing a finished file to a destination a source spec names: a local folder (within
//! the allowed roots) or an S3 prefix, with the same checks and client as reading.

use std::path::Path;

use super::params::SourceSpec;
use super::{CatalogError, CatalogResult, local, outbound, s3};
use crate::config::Config;

/// Puts `local_file` at `<destination>/<name>` and returns the URI written. The file
/// appears under its name only whole (a local copy is renamed into place; an S3 object
/// exists once its PutObject succeeds), and putting it again replaces it. The caller
/// keeps `local_file`. Whether a failure is worth retrying: `CatalogError::retryable`.
pub async fn put_file(
    spec: &SourceSpec,
    config: &Config,
    name: &str,
    local_file: &Path,
) -> CatalogResult<String> {
    check_name(name)?;
    match spec {
        SourceSpec::Local(local) => {
            let folder = local.path.clone();
            let roots = config.local_roots.clone();
            let name = name.to_owned();
            let from = local_file.to_owned();
            local::blocking(move || {
                let dir = local::writable_dir(&folder, &roots)?;
                let dest = dir.join(&name);
                let temporary = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
                let result = copy_into_place(&from, &temporary, &dest, &dir);
                if result.is_err() {
                    let _ = std::fs::remove_file(&temporary);
                }
                result?;
                Ok(format!("file://{}", dest.display()))
            })
            .await
        }
        SourceSpec::S3(s3) => {
            let policy = outbound::OutboundPolicy::from_config(&config.outbound)?;
            let catalog =
                s3::S3Catalog::open(s3, config.s3_endpoint.as_deref(), &policy, &config.aws)
                    .await?;
            catalog.put_file(name, local_file).await
        }
        SourceSpec::IcebergRest(_) => Err(CatalogError::InvalidConfig(
            "an Iceberg REST catalog is not a folder to put files in; files reach it through an Iceberg commit".into(),
        )),
    }
}

/// Whether [`put_file`] may write to the destination, checked without writing anything: a
/// local folder must lie within the allowed roots. (S3 access shows on the first put.)
pub fn check_destination(spec: &SourceSpec, config: &Config) -> CatalogResult<()> {
    match spec {
        SourceSpec::Local(local) => local::check_writable(&local.path, &config.local_roots),
        SourceSpec::S3(_) => Ok(()),
        SourceSpec::IcebergRest(_) => Err(CatalogError::InvalidConfig(
            "an Iceberg REST catalog is not a folder to put files in".into(),
        )),
    }
}

/// A file name, not a path: it may not climb out of the destination or into a subfolder.
fn check_name(name: &str) -> CatalogResult<()> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    if bad {
        return Err(CatalogError::InvalidConfig(format!(
            "'{name}' is not a file name to write"
        )));
    }
    Ok(())
}

fn copy_into_place(from: &Path, temporary: &Path, dest: &Path, dir: &Path) -> CatalogResult<()> {
    std::fs::copy(from, temporary).map_err(local::io_error)?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(temporary)
        .and_then(|f| f.sync_all())
        .map_err(local::io_error)?;
    std::fs::rename(temporary, dest).map_err(local::io_error)?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(local::io_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogs::params::LocalSpec;

    fn config(root: &Path) -> Config {
        Config {
            local_roots: vec![root.to_path_buf()],
            ..Config::default()
        }
    }

    #[tokio::test]
    async fn local_files_go_only_under_the_allowed_roots() {
        let allowed = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let file = elsewhere.path().join("part.parquet");
        std::fs::write(&file, b"first").unwrap();
        let config = config(allowed.path());
        let spec = |path: &Path| {
            SourceSpec::Local(LocalSpec {
                path: path.to_path_buf(),
            })
        };

        let folder = allowed.path().join("exports/t");
        let uri = put_file(&spec(&folder), &config, "seg.parquet", &file)
            .await
            .unwrap();
        let written = folder.canonicalize().unwrap().join("seg.parquet");
        assert_eq!(uri, format!("file://{}", written.display()));
        assert_eq!(std::fs::read(&written).unwrap(), b"first");

        std::fs::write(&file, b"second").unwrap();
        put_file(&spec(&folder), &config, "seg.parquet", &file)
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(&written).unwrap(),
            b"second",
            "a retry overwrites"
        );
        let names: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");

        let outside = put_file(
            &spec(&elsewhere.path().join("x")),
            &config,
            "a.parquet",
            &file,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&outside, CatalogError::InvalidConfig(m) if m.contains("may write to")),
            "{outside:?}"
        );
        assert!(!outside.retryable());
        assert!(!elsewhere.path().join("x").exists(), "nothing made outside");

        #[cfg(unix)]
        {
            let link = allowed.path().join("link");
            std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();
            let err = put_file(&spec(&link.join("sub")), &config, "a.parquet", &file)
                .await
                .unwrap_err();
            assert!(matches!(err, CatalogError::InvalidConfig(_)), "{err:?}");
            assert!(!elsewhere.path().join("sub").exists());
        }

        for name in ["", "..", "a/b.parquet"] {
            let err = put_file(&spec(&folder), &config, name, &file)
                .await
                .unwrap_err();
            assert!(matches!(err, CatalogError::InvalidConfig(_)), "{name}");
        }
        let climbing = spec(&allowed.path().join("a/../../b"));
        assert!(
            put_file(&climbing, &config, "a.parquet", &file)
                .await
                .is_err()
        );
    }
}
