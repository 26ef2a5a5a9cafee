//! Text formatting for the UI, written to give the same output on the server and in the browser.
//!
//! Hydration needs the server's HTML and the browser's render to match exactly,
//! so nothing here reads the clock, the locale or the time zone.

use std::borrow::Cow;

/// Splits epoch milliseconds into a UTC civil date and time of day.
fn utc_parts(ms: i64) -> (i64, u32, u32, i64, i64, i64) {
    let secs = ms.div_euclid(1000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm: exact over the whole i64 range
    // we can be given, and avoids pulling a date crate into the WASM bundle.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        day_secs / 3_600,
        day_secs % 3_600 / 60,
        day_secs % 60,
    )
}

/// `2025-01-15 08:30:00 UTC`, for people.
pub fn utc_datetime(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// `2025-01-15 08:30`, for table cells whose header already says UTC.
pub fn utc_minutes(ms: i64) -> String {
    let (y, mo, d, h, mi, _) = utc_parts(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
}

/// `2025-01-15T08:30:00Z`, for the `datetime` attribute of `<time>`.
pub fn utc_iso(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1536` as `1.5 KiB`: binary units, one decimal, for sizes people compare.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n.unsigned_abs() < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `83_500` ms as `1m 24s`, for run durations.
pub fn duration_ms(ms: i64) -> String {
    if ms < 1_000 {
        return format!("{ms} ms");
    }
    let secs = ms as f64 / 1000.0;
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    let minutes = ms / 60_000;
    let rest = (ms % 60_000) as f64 / 1000.0;
    if minutes < 60 {
        format!("{minutes}m {rest:.0}s")
    } else {
        format!("{}h {}m", minutes / 60, minutes % 60)
    }
}

/// `21_600_000` ms as `6h`, `5_400_000` as `1h30m`: a period as Pinot's configs spell it
/// (units d, h, m, s), so what the page shows can be pasted back into a table config.
/// A period that is not whole seconds, which no config can say, is shown in milliseconds.
pub fn period(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    if !ms.is_multiple_of(1_000) {
        return format!("{ms}ms");
    }
    let mut rest = ms / 1_000;
    let mut out = String::new();
    for (unit, secs) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if rest >= secs {
            out.push_str(&format!("{}{unit}", rest / secs));
            rest %= secs;
        }
    }
    out
}

/// At most `max` characters, ending in `…` when cut; counts characters, not
/// bytes, so multi-byte error text is never split mid-character.
pub fn truncate_chars(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", text[..end].trim_end()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_datetime(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc_datetime(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_datetime(1_700_000_000_123), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc_iso(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(utc_minutes(1_700_000_000_123), "2023-11-14 22:13");
        assert_eq!(utc_datetime(4_102_444_799_000), "2099-12-31 23:59:59 UTC");
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        utc_datetime(i64::MIN);
        utc_datetime(i64::MAX);
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(6_001_215), "6,001,215");
        assert_eq!(thousands(-1_234), "-1,234");
        assert_eq!(thousands(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn sizes_and_durations_read_naturally() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(duration_ms(250), "250 ms");
        assert_eq!(duration_ms(83_500), "1m 24s");
        assert_eq!(duration_ms(12_340), "12.3s");
        assert_eq!(duration_ms(3 * 3_600_000 + 60_000), "3h 1m");
    }

    #[test]
    fn periods_are_spelled_as_configs_spell_them() {
        assert_eq!(period(21_600_000), "6h");
        assert_eq!(period(5_400_000), "1h30m");
        assert_eq!(period(10_000), "10s");
        assert_eq!(period(86_400_000 + 61_000), "1d1m1s");
        assert_eq!(period(0), "0s");
        assert_eq!(period(1_500), "1500ms");
        // What is shown reads back as the same period.
        for ms in [1_000, 59_000, 60_000, 3_600_000, 90_061_000, 7 * 86_400_000] {
            assert_eq!(
                lakeport_wire::rules::parse_period(&period(ms)),
                Ok(ms),
                "{ms}"
            );
        }
    }

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(truncate_chars("exactly10!", 10), "exactly10!");
        assert_eq!(truncate_chars("abcdefghijk", 5), "abcd…");
        assert_eq!(truncate_chars("ééééééé", 4), "ééé…");
        assert_eq!(truncate_chars("ab   cdefgh", 5), "ab…");
    }
}
