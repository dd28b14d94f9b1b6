//! Timestamps as the API writes them (`2025-01-15T10:30:00.000Z`), and the date filters of the
//! history, compared as such strings.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `time` in the API's format: UTC, milliseconds, `Z`.
pub(crate) fn timestamp(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = since_epoch.as_secs();
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        since_epoch.subsec_millis()
    )
}

/// Howard Hinnant's days-to-civil conversion for days since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Which end of a day a bare date stands for in a range.
#[derive(Clone, Copy)]
pub(crate) enum DayEnd {
    Start,
    End,
}

/// A history date filter (`2025-01-15` or `2025-01-15T10:30:00.000Z`) as a timestamp that
/// compares with stored ones; `None` when it is not such a date.
pub(crate) fn range_bound(value: &str, end: DayEnd) -> Option<String> {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let date_ok = bytes.len() >= 10
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && (1..=12).contains(&value[5..7].parse::<u8>().ok()?)
        && (1..=31).contains(&value[8..10].parse::<u8>().ok()?);
    if !date_ok {
        return None;
    }
    if bytes.len() == 10 {
        let time = match end {
            DayEnd::Start => "T00:00:00.000Z",
            DayEnd::End => "T23:59:59.999Z",
        };
        return Some(format!("{value}{time}"));
    }
    let time_ok = bytes.len() >= 20
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && value.ends_with('Z');
    if !time_ok {
        return None;
    }
    // Normalise to milliseconds so that the strings compare as instants.
    let fraction = &value[19..value.len() - 1];
    let millis = match fraction.strip_prefix('.') {
        None if fraction.is_empty() => "000".to_owned(),
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{digits:0<3}")[..3].to_owned()
        }
        _ => return None,
    };
    Some(format!("{}.{millis}Z", &value[..19]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let time = UNIX_EPOCH + Duration::from_millis(1_736_937_000_123);
        assert_eq!(timestamp(time), "2025-01-15T10:30:00.123Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn range_bounds_accept_dates_and_timestamps_only() {
        assert_eq!(
            range_bound("2025-01-15", DayEnd::Start).as_deref(),
            Some("2025-01-15T00:00:00.000Z")
        );
        assert_eq!(
            range_bound("2025-01-15", DayEnd::End).as_deref(),
            Some("2025-01-15T23:59:59.999Z")
        );
        assert_eq!(
            range_bound("2025-01-15T10:30:00Z", DayEnd::Start).as_deref(),
            Some("2025-01-15T10:30:00.000Z")
        );
        assert_eq!(
            range_bound("2025-01-15T10:30:00.5Z", DayEnd::Start).as_deref(),
            Some("2025-01-15T10:30:00.500Z")
        );
        for bad in [
            "",
            "yesterday",
            "2025-13-01",
            "2025-01-15T10:30",
            "2025-01-15T10:30:00.Z",
            "2025-1-15",
            "２０２５-01-15",
        ] {
            assert_eq!(range_bound(bad, DayEnd::Start), None, "{bad}");
        }
    }
}
