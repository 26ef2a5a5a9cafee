//! The layout rule of a pipe's prefix: every file at one depth, directly under the prefix
//! or under one Hive hierarchy whose folder names are the same at each level.

use crate::catalogs::SourceFile;

/// The Hive column each folder level names, outermost first (empty: files sit directly
/// under the prefix). The error names a file at each of two depths, or two files whose
/// folders disagree.
pub fn partition_columns(files: &[SourceFile]) -> Result<Vec<String>, String> {
    let Some(first) = files.first() else {
        return Ok(Vec::new());
    };
    let levels = |key: &str| -> Vec<String> {
        let mut parts: Vec<&str> = key.split('/').collect();
        parts.pop();
        parts.into_iter().map(str::to_owned).collect()
    };
    let first_levels = levels(&first.key);
    for file in &files[1..] {
        let these = levels(&file.key);
        if these.len() != first_levels.len() {
            return Err(format!(
                "all files must sit at one depth under the prefix, but '{}' is at depth {} and '{}' at depth {}; move them into one layout or use a longer pathPrefix",
                first.key,
                first_levels.len(),
                file.key,
                these.len()
            ));
        }
    }
    let mut columns = Vec::with_capacity(first_levels.len());
    for (level, folder) in first_levels.iter().enumerate() {
        let name = match folder.split_once('=') {
            Some((name, _)) if !name.is_empty() => name,
            _ => {
                return Err(format!(
                    "'{}' sits under folder '{folder}', which is not a Hive partition (name=value); put files directly under the prefix or under name=value folders",
                    first.key
                ));
            }
        };
        if let Some(other) = files.iter().find(|f| {
            levels(&f.key)
                .get(level)
                .and_then(|folder| folder.split_once('='))
                .is_none_or(|(n, _)| n != name)
        }) {
            return Err(format!(
                "the Hive folders disagree at level {}: '{}' is under '{name}=...' but '{}' is not",
                level + 1,
                first.key,
                other.key
            ));
        }
        columns.push(name.to_owned());
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(keys: &[&str]) -> Vec<SourceFile> {
        keys.iter()
            .map(|k| SourceFile {
                key: (*k).into(),
                size: 1,
                etag: "e".into(),
                last_modified: None,
            })
            .collect()
    }

    #[test]
    fn one_hive_hierarchy_gives_its_columns() {
        let keys = [
            "year=2024/month=01/a.parquet",
            "year=2025/month=12/b.parquet",
        ];
        assert_eq!(
            partition_columns(&files(&keys)).unwrap(),
            vec!["year".to_owned(), "month".to_owned()]
        );
        assert!(
            partition_columns(&files(&["a.parquet", "b.parquet"]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn mixed_depths_and_folders_name_the_files() {
        let mixed = partition_columns(&files(&["year=2024/a.parquet", "b.parquet"])).unwrap_err();
        assert!(
            mixed.contains("'year=2024/a.parquet' is at depth 1"),
            "{mixed}"
        );
        assert!(mixed.contains("'b.parquet' at depth 0"), "{mixed}");
        let names =
            partition_columns(&files(&["year=2024/a.parquet", "month=01/b.parquet"])).unwrap_err();
        assert!(names.contains("month=01/b.parquet"), "{names}");
        let plain = partition_columns(&files(&["data/a.parquet"])).unwrap_err();
        assert!(plain.contains("not a Hive partition"), "{plain}");
    }
}
