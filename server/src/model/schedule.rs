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

/// A cron schedule that runs at least every `secs` seconds: cron steps must divide the
/// minute, hour or day, so an interval between them is rounded down to the nearest
/// that does (a pipe polls a little more often than asked, never less).
pub fn every_seconds(secs: u32) -> String {
    const DIVIDE_60: [u32; 11] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
    const DIVIDE_24: [u32; 7] = [1, 2, 3, 4, 6, 8, 12];
    let largest = |options: &[u32], at_most: u32| {
        options
            .iter()
            .copied()
            .filter(|n| *n <= at_most)
            .max()
            .unwrap_or(1)
    };
    match secs {
        0..60 => format!("*/{} * * * * *", largest(&DIVIDE_60, secs.max(1))),
        60..3600 => format!("0 */{} * * * *", largest(&DIVIDE_60, secs / 60)),
        3600..86_400 => format!("0 0 */{} * * *", largest(&DIVIDE_24, secs / 3600)),
        _ => "0 0 0 * * *".into(),
    }
}

/// The schedule in words, for the common shapes; anything else is "a custom
/// schedule", and the next run times (see [`next_runs`]) say the rest.
pub fn describe(expression: &str) -> String {
    let normalised = expression.trim().replace('?', "*");
    let mut fields: Vec<&str> = normalised.split_whitespace().collect();
    if fields.len() == 5 {
        fields.insert(0, "0");
    }
    let [sec, min, hour, dom, month, dow, rest @ ..] = fields.as_slice() else {
        return "not a cron expression".into();
    };
    let every_day = *dom == "*" && *month == "*" && rest.iter().all(|y| *y == "*");
    let step = |field: &str| field.strip_prefix("*/").and_then(|n| n.parse::<u32>().ok());
    let number = |field: &str| field.parse::<u32>().ok();
    let plural = |n: u32, unit: &str| {
        if n == 1 {
            format!("every {unit}")
        } else {
            format!("every {n} {unit}s")
        }
    };
    if !every_day {
        return "a custom schedule".into();
    }
    let on_days = match *dow {
        "*" => String::new(),
        days => format!(" on {days}"),
    };
    match (*sec, *min, *hour) {
        ("*", "*", "*") => format!("every second{on_days}"),
        (s, "*", "*") if step(s).is_some() => {
            format!("{}{on_days}", plural(step(s).unwrap_or(1), "second"))
        }
        (s, "*", "*") if number(s).is_some() => format!("every minute{on_days}"),
        (s, m, "*") if number(s) == Some(0) && step(m).is_some() => {
            format!("{}{on_days}", plural(step(m).unwrap_or(1), "minute"))
        }
        (s, m, h)
            if number(s) == Some(0) && number(m).is_some() && (h == "*" || step(h).is_some()) =>
        {
            format!(
                "{} at minute {}{on_days}",
                plural(step(h).unwrap_or(1), "hour"),
                number(m).unwrap_or(0)
            )
        }
        (s, m, h) if number(s) == Some(0) && number(m).is_some() && number(h).is_some() => {
            let when = format!(
                "{:02}:{:02} UTC",
                number(h).unwrap_or(0),
                number(m).unwrap_or(0)
            );
            if on_days.is_empty() {
                format!("every day at {when}")
            } else {
                format!("at {when}{on_days}")
            }
        }
        _ => "a custom schedule".into(),
    }
}

/// The next `count` run times after `after`.
pub fn next_runs(
    expression: &str,
    after: DateTime<Utc>,
    count: usize,
) -> Result<Vec<DateTime<Utc>>, String> {
    Ok(parse(expression)?.after(&after).take(count).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_intervals_round_down_to_a_cron_step() {
        assert_eq!(every_seconds(300), "0 */5 * * * *");
        assert_eq!(every_seconds(30), "*/30 * * * * *");
        assert_eq!(every_seconds(90), "0 */1 * * * *");
        assert_eq!(every_seconds(7 * 60), "0 */6 * * * *");
        assert_eq!(every_seconds(5 * 3600), "0 0 */4 * * *");
        assert_eq!(every_seconds(3 * 86_400), "0 0 0 * * *");
        for secs in [1, 7, 59, 60, 61, 3599, 3600, 86_399] {
            let expr = every_seconds(secs);
            let now = Utc::now();
            let next = next_after(&expr, now).unwrap();
            let after = next_after(&expr, next).unwrap();
            assert!(
                (after - next).num_seconds() <= secs as i64,
                "{secs}: {expr}"
            );
        }
    }

    #[test]
    fn common_schedules_read_as_words() {
        for (expression, words) in [
            ("0 */5 * * * ?", "every 5 minutes"),
            ("0 */1 * * * ?", "every minute"),
            ("*/5 * * * *", "every 5 minutes"),
            ("*/2 * * * * ?", "every 2 seconds"),
            ("0 15 * * * ?", "every hour at minute 15"),
            ("0 0 */6 * * ?", "every 6 hours at minute 0"),
            ("0 30 2 * * ?", "every day at 02:30 UTC"),
            ("0 0 9 ? * MON-FRI", "at 09:00 UTC on MON-FRI"),
            ("0 0 0 1 1 ?", "a custom schedule"),
            ("nonsense", "not a cron expression"),
        ] {
            assert_eq!(describe(expression), words, "{expression}");
        }
    }

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
