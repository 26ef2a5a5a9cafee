//! Hive-style partition folders (`year=2024/month=01/`) read as columns.

/// The `name=value` folders of a key, outermost first. Values are URL-decoded the
/// way Hive writers encode them (`%2F` for '/').
pub fn hive_partitions(key: &str) -> Vec<(String, String)> {
    let mut parts: Vec<&str> = key.split('/').collect();
    parts.pop();
    parts
        .into_iter()
        .filter_map(|segment| {
            let (name, value) = segment.split_once('=')?;
            (!name.is_empty()).then(|| (name.to_owned(), percent_decode(value)))
        })
        .collect()
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&value[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Hive's marker for a null partition value.
pub const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_folders_become_pairs() {
        assert_eq!(
            hive_partitions("events/year=2024/month=01/part-0.parquet"),
            vec![
                ("year".into(), "2024".into()),
                ("month".into(), "01".into())
            ]
        );
        assert!(hive_partitions("part-0.parquet").is_empty());
        assert_eq!(
            hive_partitions("city=New%20York/x.parquet"),
            vec![("city".into(), "New York".into())]
        );
    }
}
