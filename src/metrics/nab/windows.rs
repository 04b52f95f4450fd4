//! NAB's label windows: `labels/combined_windows.json` and the mapping of
//! its timestamp windows to rows.
//!
//! NAB's sweeper enters a window at the row whose timestamp *equals* the
//! window's start and leaves it at the row whose timestamp equals its end
//! (`timestamps.index(...)`: the first such row), so the mapping here is
//! an exact-equality lookup, not a range test. Timestamps are parsed to
//! microseconds since 1970 (no time zones, as NAB's are naive), so the
//! data's `2014-04-10 07:15:00` equals the label's
//! `2014-04-10 07:15:00.000000`.

use super::super::MetricError;
use std::collections::{BTreeMap, HashMap};

/// Parses `YYYY-MM-DD`, optionally followed by a space or `T` and
/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` (1 to 6 fraction digits), into
/// microseconds since 1970-01-01 00:00:00 (naive time, as NAB's).
pub fn parse_timestamp(stamp: &str) -> Result<i64, MetricError> {
    let bad = || MetricError::NabTimestamp {
        value: stamp.to_string(),
    };
    let text = stamp.trim();
    let (date, time) = match text.find([' ', 'T']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut date_fields = date.split('-');
    let (Some(year), Some(month), Some(day), None) = (
        date_fields.next(),
        date_fields.next(),
        date_fields.next(),
        date_fields.next(),
    ) else {
        return Err(bad());
    };
    let year = digits(year, 4, 4).ok_or_else(bad)?;
    let month = digits(month, 2, 2).ok_or_else(bad)?;
    let day = digits(day, 2, 2).ok_or_else(bad)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad());
    }
    let (mut hour, mut minute, mut second, mut micros) = (0, 0, 0, 0);
    if let Some(time) = time {
        let (clock, fraction) = match time.split_once('.') {
            Some((clock, fraction)) => (clock, Some(fraction)),
            None => (time, None),
        };
        let mut clock_fields = clock.split(':');
        let (Some(h), Some(m), s, None) = (
            clock_fields.next(),
            clock_fields.next(),
            clock_fields.next(),
            clock_fields.next(),
        ) else {
            return Err(bad());
        };
        hour = digits(h, 2, 2).ok_or_else(bad)?;
        minute = digits(m, 2, 2).ok_or_else(bad)?;
        second = match s {
            Some(s) => digits(s, 2, 2).ok_or_else(bad)?,
            None if fraction.is_some() => return Err(bad()),
            None => 0,
        };
        if let Some(fraction) = fraction {
            let value = digits(fraction, 1, 6).ok_or_else(bad)?;
            micros = value * 10_i64.pow(6 - fraction.len() as u32);
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad());
        }
    }
    let days = days_from_civil(year, month, day);
    Ok(((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros)
}

/// NAB's label windows file (`labels/combined_windows.json`): series path
/// (`realKnownCause/nyc_taxi.csv`) → its windows as `(start, end)`
/// timestamp strings, as written (`YYYY-MM-DD HH:MM:SS.ffffff`). Every
/// window must have two timestamps [`parse_timestamp`] reads, the start not
/// after the end.
pub fn parse_windows(json: &str) -> Result<BTreeMap<String, Vec<(String, String)>>, MetricError> {
    let raw: BTreeMap<String, Vec<Vec<String>>> =
        serde_json::from_str(json).map_err(|e| MetricError::NabWindowsJson {
            reason: e.to_string(),
        })?;
    raw.into_iter()
        .map(|(series, windows)| {
            let windows = windows
                .into_iter()
                .enumerate()
                .map(|(i, window)| {
                    let reason = |what: String| MetricError::NabWindowsJson {
                        reason: format!("{series}: window {i} {what}"),
                    };
                    let [start, end] = <[String; 2]>::try_from(window)
                        .map_err(|w| reason(format!("has {} timestamps, not 2", w.len())))?;
                    if parse_timestamp(&start)? > parse_timestamp(&end)? {
                        return Err(reason(format!("ends ({end}) before it starts ({start})")));
                    }
                    Ok((start, end))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((series, windows))
        })
        .collect()
}

/// NAB's timestamp windows as inclusive row ranges of a series whose rows
/// have `timestamps`: each boundary maps to the first row whose timestamp
/// equals it, as NAB's sweeper maps them (NAB refuses a boundary that is
/// no row's timestamp, and so does this). The result is checked (order,
/// overlap) when scored.
pub fn windows_to_rows<T: AsRef<str>, W: AsRef<str>>(
    timestamps: &[T],
    windows: &[(W, W)],
) -> Result<Vec<(usize, usize)>, MetricError> {
    let mut first_row: HashMap<i64, usize> = HashMap::with_capacity(timestamps.len());
    for (row, stamp) in timestamps.iter().enumerate() {
        first_row
            .entry(parse_timestamp(stamp.as_ref())?)
            .or_insert(row);
    }
    let row_of = |stamp: &str| -> Result<usize, MetricError> {
        first_row
            .get(&parse_timestamp(stamp)?)
            .copied()
            .ok_or_else(|| MetricError::NabStampNotFound {
                stamp: stamp.to_string(),
            })
    };
    windows
        .iter()
        .map(|(start, end)| Ok((row_of(start.as_ref())?, row_of(end.as_ref())?)))
        .collect()
}

/// A field of `min..=max` ASCII digits.
fn digits(field: &str, min: usize, max: usize) -> Option<i64> {
    if field.len() < min || field.len() > max || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
