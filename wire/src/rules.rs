//! Input rules both sides apply: the web app checks them as a person types, the server on every request.

/// Every five minutes, in the Quartz form the seeds use; tables without a `schedule` get it.
pub const DEFAULT_SCHEDULE: &str = "0 */5 * * * ?";

/// The table-type suffixes of table names: synced external tables, and tables rows are pushed into.
pub const OFFLINE_SUFFIX: &str = "_OFFLINE";
pub const REALTIME_SUFFIX: &str = "_REALTIME";

/// The only stream type of a REALTIME table: rows pushed to `POST /ingest/{table}`.
pub const HTTP_STREAM_TYPE: &str = "http";
/// Pinot's defaults for sealing a consuming segment: whichever comes first.
pub const DEFAULT_FLUSH_ROWS: u64 = 5_000_000;
pub const DEFAULT_FLUSH_TIME: &str = "6h";

/// The task type that exports completed segments to the lake (seed 003).
pub const EXPORT_TASK_TYPE: &str = "DataExportTask";

/// What a secret reads as whenever the API returns it.
pub const SECRET_MASK: &str = "*****";

/// The task types whose block describes where a table's data comes from.
pub const SYNC_TASK_TYPES: [&str; 2] = ["ExternalTableSyncTask", "IcebergIngestionTask"];
pub const DEFAULT_SYNC_TASK: &str = "ExternalTableSyncTask";

/// The format of a date-time field holding epoch milliseconds, the default for time columns.
pub const EPOCH_MILLIS_FORMAT: &str = "1:MILLISECONDS:EPOCH";
pub const DEFAULT_GRANULARITY: &str = "1:MILLISECONDS";

/// A name usable as a SQL table name without quoting: a letter or `_`, then letters,
/// digits and `_`. Table and schema names must be one.
pub fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why `name` is not an identifier, in the words both sides show.
pub fn identifier_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some("must not be empty".into())
    } else if !valid_identifier(name) {
        Some(format!(
            "'{name}' may contain only letters, digits and '_', and must not start with a digit"
        ))
    } else {
        None
    }
}

/// `tableName` (and an instance's `name`): `^[a-z][a-z0-9_-]{0,62}$`.
pub fn pipe_name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if first_ok && rest_ok && name.len() <= 63 {
        None
    } else {
        Some(format!(
            "'{name}' must match ^[a-z][a-z0-9_-]{{0,62}}$: a lowercase letter, then up to 62 lowercase letters, digits, '_' or '-'"
        ))
    }
}

/// The caller's `operation-id`: it names the operation in a URL path, so 1 to 128 of
/// letters, digits, `-`, `_`, `.` and `:` (a UUID fits).
pub fn operation_id_problem(id: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    if (1..=128).contains(&id.len()) && id.chars().all(allowed) && id != "." && id != ".." {
        None
    } else {
        Some(format!(
            "'{}' is not an operation id: use 1 to 128 letters, digits, '-', '_', '.' or ':'",
            id.chars().take(140).collect::<String>()
        ))
    }
}

/// The closest identifier to `text`: what the web app proposes as a table name for a folder.
pub fn identifier_from(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        name.insert(0, 't');
        name.insert(1, '_');
    }
    name
}

/// A period in Pinot's spelling (`1d`, `6h`, `30m`, `10s`, or several, `1h30m`) in
/// milliseconds. Units are d, h, m and s; `0s` (or `0d`) is no time at all.
pub fn parse_period(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let problem = || {
        format!(
            "'{text}' is not a period: use a number and a unit, d, h, m or s, e.g. '1d', '6h', '30m', '10s'"
        )
    };
    if trimmed.is_empty() {
        return Err(problem());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit_ms: u64 = match c.to_ascii_lowercase() {
            'd' => 86_400_000,
            'h' => 3_600_000,
            'm' => 60_000,
            's' => 1_000,
            _ => return Err(problem()),
        };
        let count: u64 = digits.parse().map_err(|_| problem())?;
        digits.clear();
        total = count
            .checked_mul(unit_ms)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(problem)?;
    }
    if !digits.is_empty() {
        return Err(problem());
    }
    Ok(total)
}

/// Whether a task parameter holds a secret that must be sealed and masked.
pub fn is_secret_param(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    matches!(
        last.as_str(),
        "secretkey"
            | "secret-access-key"
            | "secretaccesskey"
            | "session-token"
            | "sessiontoken"
            | "token"
            | "credential"
            | "password"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_names_follow_the_pattern() {
        for good in ["a", "orders", "my-table_2", &format!("a{}", "b".repeat(62))] {
            assert_eq!(pipe_name_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "1abc",
            "Orders",
            "a.b",
            "a b",
            "-a",
            &format!("a{}", "b".repeat(63)),
        ] {
            assert!(pipe_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn operation_ids_are_path_safe() {
        for good in ["op-1", "9b2d6f1e-0c4a-4f3e-8a51-6f0f1c2d3e4f", "a:b.c_d"] {
            assert_eq!(operation_id_problem(good), None, "{good}");
        }
        for bad in ["", "a/b", "..", "a b", "%2F", &"x".repeat(129)] {
            assert!(operation_id_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn periods_use_pinot_units() {
        assert_eq!(parse_period("1d"), Ok(86_400_000));
        assert_eq!(parse_period("6h"), Ok(21_600_000));
        assert_eq!(parse_period("30m"), Ok(1_800_000));
        assert_eq!(parse_period("10s"), Ok(10_000));
        assert_eq!(parse_period("1h30m"), Ok(5_400_000));
        assert_eq!(parse_period("0s"), Ok(0));
        for bad in ["", "6", "h", "6x", "1.5h", "-1d", "99999999999999999999d"] {
            let err = parse_period(bad).unwrap_err();
            assert!(err.contains("is not a period"), "{bad}: {err}");
        }
    }

    #[test]
    fn identifiers_follow_the_pattern() {
        for good in ["t", "_x", "orders_2024", "A1"] {
            assert!(valid_identifier(good), "{good}");
            assert_eq!(identifier_problem(good), None);
        }
        for bad in ["", "1x", "a-b", "a b", "é"] {
            assert!(!valid_identifier(bad), "{bad}");
            assert!(identifier_problem(bad).is_some());
        }
        assert_eq!(identifier_from("2024-orders"), "t_2024_orders");
        assert_eq!(identifier_from("Orders.v2"), "orders_v2");
        assert!(valid_identifier(&identifier_from("")));
    }

    #[test]
    fn secret_params_are_recognised_by_their_last_segment() {
        assert!(is_secret_param("catalog.s3.secretKey"));
        assert!(is_secret_param(
            "catalog.iceberg-rest.rest.secret-access-key"
        ));
        assert!(!is_secret_param("catalog.s3.accessKey"));
    }
}
