//! Cron schedules in the Quartz form the seeds use (`0 */5 * * * ?`) or plain five-field cron.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use cron::Schedule;

/// Parses a schedule, accepting Quartz's `?` (no specific value) and five-field
/// cron (minute first) by reading it as seconds = 0.
pub fn parse(expression: &str) -> Result<Schedule, String> {
    let normalised = expression.trim().replace('?', "*");
    let fields = normalised.split_whitespace().count();
    let with_seconds = match fields {
        5 => format!("0 {normalised}"),
        6 | 7 => normalised,
        _ => {
            return Err(format!(
                "'{expression}' is not a cron expression: expected 5 fields (min hour day month weekday) or 6-7 with seconds first, e.g. '0 */5 * * * ?'"
            ));
        }
    };
    Schedule::from_str(&with_seconds)
        .map_err(|e| format!("'{expression}' is not a valid cron expression: {e}"))
}

pub fn next_after(expression: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    parse(expression).ok()?.after(&after).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartz_and_five_field_forms_are_accepted() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:02:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = next_after("0 */5 * * * ?", now).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-01-01T00:05:00+00:00");
        assert_eq!(next_after("*/5 * * * *", now), Some(next));
    }

    #[test]
    fn garbage_is_refused_with_an_example() {
        let err = parse("every five minutes").unwrap_err();
        assert!(err.contains("0 */5 * * * ?"), "{err}");
        assert!(parse("0 */5 * * * ? 2026 extra").is_err());
    }
}
