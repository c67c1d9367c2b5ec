//! Go's `http.ParseTime`: an HTTP date in any of the three formats Go tries
//! (RFC 1123 with `GMT`, RFC 850, ANSI C asctime), parsed with `time.Parse`'s
//! leniency, because conditional requests (`If-Modified-Since`, …) must
//! succeed or fail exactly where matchbox's do. Go ignores the weekday,
//! matches day and month names case-insensitively, treats a run of spaces as
//! one space, accepts one-digit hours and fractional seconds, and in RFC 850
//! dates accepts any zone abbreviation or `GMT±h`, all read as UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an HTTP date as Go's `http.ParseTime` does.
pub fn parse_http_time(s: &str) -> Option<SystemTime> {
    rfc1123(s).or_else(|| rfc850(s)).or_else(|| ansic(s))
}

/// The parts of a date, before range checks.
#[derive(Default)]
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    offset_secs: i64,
}

// "Mon, 02 Jan 2006 15:04:05 GMT"
fn rfc1123(v: &str) -> Option<SystemTime> {
    let mut p = Parts::default();
    let v = lookup(&SHORT_DAYS, v)?.1;
    let v = skip(v, ", ")?;
    let (day, v) = getnum(v, true)?;
    let v = skip(v, " ")?;
    let (month, v) = lookup(&MONTHS, v)?;
    let v = skip(v, " ")?;
    let (year, v) = long_year(v)?;
    let v = skip(v, " ")?;
    let v = clock(v, &mut p)?;
    let v = skip(v, " GMT")?;
    (p.day, p.month, p.year) = (day, month as i64 + 1, year);
    finish(v, p)
}

// "Monday, 02-Jan-06 15:04:05 MST"
fn rfc850(v: &str) -> Option<SystemTime> {
    let mut p = Parts::default();
    let v = lookup(&LONG_DAYS, v)?.1;
    let v = skip(v, ", ")?;
    let (day, v) = getnum(v, true)?;
    let v = skip(v, "-")?;
    let (month, v) = lookup(&MONTHS, v)?;
    let v = skip(v, "-")?;
    let two = v.get(..2)?;
    let year: i64 = atoi(two)?;
    let v = &v[2..];
    let v = skip(v, " ")?;
    let v = clock(v, &mut p)?;
    let v = skip(v, " ")?;
    let (offset, v) = zone(v)?;
    (p.day, p.month, p.year) = (
        day,
        month as i64 + 1,
        if year >= 69 { year + 1900 } else { year + 2000 },
    );
    p.offset_secs = offset;
    finish(v, p)
}

// "Mon Jan _2 15:04:05 2006"
fn ansic(v: &str) -> Option<SystemTime> {
    let mut p = Parts::default();
    let v = lookup(&SHORT_DAYS, v)?.1;
    let v = skip(v, " ")?;
    let (month, v) = lookup(&MONTHS, v)?;
    let v = skip(v, " ")?;
    let v = v.strip_prefix(' ').unwrap_or(v);
    let (day, v) = getnum(v, false)?;
    let v = skip(v, " ")?;
    let v = clock(v, &mut p)?;
    let v = skip(v, " ")?;
    let (year, v) = long_year(v)?;
    (p.day, p.month, p.year) = (day, month as i64 + 1, year);
    finish(v, p)
}

/// `15:04:05` with Go's rules: one- or two-digit hour, two-digit minute and
/// second, and an optional fractional second that the layout does not name.
fn clock<'a>(v: &'a str, p: &mut Parts) -> Option<&'a str> {
    let (hour, v) = getnum(v, false)?;
    let v = skip(v, ":")?;
    let (min, v) = getnum(v, true)?;
    let v = skip(v, ":")?;
    let (sec, mut v) = getnum(v, true)?;
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
        let n = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        v = &v[n..];
    }
    if !(0..24).contains(&hour) || !(0..60).contains(&min) || !(0..60).contains(&sec) {
        return None;
    }
    (p.hour, p.min, p.sec) = (hour, min, sec);
    Some(v)
}

fn finish(rest: &str, p: Parts) -> Option<SystemTime> {
    if !rest.is_empty() || p.day < 1 || p.day > days_in(p.month, p.year) {
        return None;
    }
    let days = days_from_civil(p.year, p.month, p.day);
    let secs = days * 86_400 + p.hour * 3600 + p.min * 60 + p.sec - p.offset_secs;
    if secs >= 0 {
        Some(UNIX_EPOCH + Duration::from_secs(secs as u64))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

/// Go's `skip`: the prefix must follow, but a space in it matches any run
/// of spaces (including none at the very end of the input).
fn skip<'a>(mut value: &'a str, mut prefix: &str) -> Option<&'a str> {
    while let Some(p0) = prefix.as_bytes().first().copied() {
        if p0 == b' ' {
            if value.as_bytes().first().is_some_and(|&c| c != b' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.as_bytes().first() != Some(&p0) {
            return None;
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Some(value)
}

/// Go's `lookup`: the first table entry that prefixes `v`, ASCII
/// case-insensitively.
fn lookup<'a>(table: &[&str], v: &'a str) -> Option<(usize, &'a str)> {
    table.iter().enumerate().find_map(|(i, name)| {
        let head = v.get(..name.len())?;
        head.eq_ignore_ascii_case(name).then(|| (i, &v[name.len()..]))
    })
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(v: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = v.as_bytes();
    let d0 = b.first().filter(|c| c.is_ascii_digit())?;
    match b.get(1).filter(|c| c.is_ascii_digit()) {
        Some(d1) => Some((((d0 - b'0') * 10 + (d1 - b'0')) as i64, &v[2..])),
        None if fixed => None,
        None => Some(((d0 - b'0') as i64, &v[1..])),
    }
}

fn long_year(v: &str) -> Option<(i64, &str)> {
    let four = v.get(..4)?;
    if !four.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    Some((atoi(four)?, &v[4..]))
}

/// Go's `atoi`: optional sign, then decimal digits only.
fn atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A zone abbreviation as Go's `parseTimeZone` accepts it; unknown names
/// are UTC (offset 0), and so is `GMT+h`: Go names the zone but keeps
/// the wall clock as UTC.
fn zone(v: &str) -> Option<(i64, &str)> {
    if let Some(rest) = v.strip_prefix("UTC") {
        return Some((0, rest));
    }
    if v.len() < 3 {
        return None;
    }
    if v.starts_with("ChST") || v.starts_with("MeST") {
        return Some((0, &v[4..]));
    }
    if let Some(rest) = v.strip_prefix("GMT") {
        return Some(match signed_offset(rest) {
            Some((_, n)) => (0, &rest[n..]),
            None => (0, rest),
        });
    }
    if v.starts_with(['+', '-']) {
        let (_, n) = signed_offset(v)?;
        return Some((0, &v[n..]));
    }
    let b = v.as_bytes();
    let upper = b.iter().take(6).take_while(|c| c.is_ascii_uppercase()).count();
    let n = match upper {
        3 => 3,
        4 if b[3] == b'T' || &v[..4] == "WITA" => 4,
        5 if b[4] == b'T' => 5,
        _ => return None,
    };
    Some((0, &v[n..]))
}

/// `+h` or `-h` with h ≤ 23: (signed hours, bytes consumed).
fn signed_offset(v: &str) -> Option<(i64, usize)> {
    let sign = match v.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = v[1..].bytes().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let x: i64 = v[1..1 + digits].parse().ok()?;
    (x <= 23).then_some((sign * x, 1 + digits))
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Option<u64> {
        parse_http_time(s).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs())
    }

    #[test]
    fn the_three_formats() {
        // 1994-11-06 08:49:37 UTC = 784111777
        assert_eq!(secs("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(secs("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784111777));
        assert_eq!(secs("Sun Nov  6 08:49:37 1994"), Some(784111777));
    }

    #[test]
    fn go_leniency() {
        assert_eq!(
            secs("Thu, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777),
            "weekday ignored"
        );
        assert_eq!(
            secs("SUN, 06 NOV 1994 08:49:37 GMT"),
            Some(784111777),
            "names case-insensitive"
        );
        assert_eq!(
            secs("Sun,  06 Nov 1994  8:49:37 GMT"),
            Some(784111777),
            "space runs, one-digit hour"
        );
        assert_eq!(secs("Sun, 06 Nov 1994 08:49:37.123 GMT"), Some(784111777), "fraction");
        assert_eq!(
            secs("Sunday, 06-Nov-94 08:49:37 PST"),
            Some(784111777),
            "unknown zone is UTC"
        );
        assert_eq!(secs("Sunday, 06-Nov-94 08:49:37 GMT+1"), Some(784111777));
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 gmt",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "1994-11-06T08:49:37Z",
        ] {
            assert_eq!(secs(bad), None, "{bad:?}");
        }
    }
}

#[cfg(test)]
#[path = "gotime/recorded.rs"]
mod recorded;
