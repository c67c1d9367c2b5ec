//! HTTP dates (RFC 9110 §5.6.7) read the way matchbox reads them, so that
//! conditional requests (`If-Modified-Since`, `If-Unmodified-Since`,
//! `If-Range`) hold or fail on exactly the same header values.
//!
//! The RFC names three forms: the preferred IMF-fixdate
//! (`Sun, 06 Nov 1994 08:49:37 GMT`) and two obsolete ones, RFC 850
//! (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
//! (`Sun Nov  6 08:49:37 1994`). A value is tried against each form in that
//! order. Beyond the grammar, matchbox (Go 1.19's `http.ParseTime`, observed
//! as a black box over the table in `testdata/httptime.tsv`) also accepts:
//!
//! - any weekday name, whether or not it fits the date, and day and month
//!   names in any ASCII case (`SUN`, `nov`); `GMT` itself is case-sensitive;
//! - a space of the form matching a run of spaces, or nothing at the very
//!   end of the value (tabs are not spaces);
//! - a one-digit hour in every form, and a one-digit day in asctime with or
//!   without its padding space; minutes, seconds and the other days take two
//!   digits;
//! - a fraction of a second after the seconds (`.5`, `,123`), dropped here;
//! - in RFC 850 dates, a two-character year of a sign and a digit (`-1`),
//!   placed in a century like any other two-digit year: 69–99 in the 1900s,
//!   the rest in the 2000s;
//! - in RFC 850 dates, a zone that is `UTC`, `GMT` with an optional offset
//!   of at most 23 hours, such an offset alone, or an abbreviation of
//!   upper-case letters (three; four or five ending in `T`; `WITA`, `ChST`,
//!   `MeST`). Every zone reads as UTC: an offset after `GMT` is named but not
//!   applied, and abbreviations are looked up in the server's local zone,
//!   which is UTC where matchbox runs.
//!
//! It rejects an hour of 24, a minute or second of 60, and a day the month
//! does not have (`Feb 29` only in leap years); years run 0000–9999.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One part of a date form, read in order.
#[derive(Clone, Copy)]
enum Part {
    /// Literal text; each space in it stands for a run of spaces.
    Text(&'static str),
    /// A weekday name from the list, read and then disregarded.
    Weekday(&'static [&'static str; 7]),
    /// Day of the month: two digits, or (asctime) an optional space and one
    /// or two digits.
    Day { padded: bool },
    /// Three-letter month name.
    Month,
    /// Four-digit year.
    FullYear,
    /// Two-character year of the RFC 850 form.
    ShortYear,
    /// `h:mm:ss` with an optional fraction.
    Clock,
    /// The RFC 850 zone.
    Zone,
}

const ABBREVIATED_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const FULL_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The three forms of RFC 9110 §5.6.7, in the order they are tried.
const FORMS: [&[Part]; 3] = [
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    &[
        Part::Weekday(&ABBREVIATED_DAYS),
        Part::Text(", "),
        Part::Day { padded: false },
        Part::Text(" "),
        Part::Month,
        Part::Text(" "),
        Part::FullYear,
        Part::Text(" "),
        Part::Clock,
        Part::Text(" GMT"),
    ],
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    &[
        Part::Weekday(&FULL_DAYS),
        Part::Text(", "),
        Part::Day { padded: false },
        Part::Text("-"),
        Part::Month,
        Part::Text("-"),
        Part::ShortYear,
        Part::Text(" "),
        Part::Clock,
        Part::Text(" "),
        Part::Zone,
    ],
    // asctime: Sun Nov  6 08:49:37 1994
    &[
        Part::Weekday(&ABBREVIATED_DAYS),
        Part::Text(" "),
        Part::Month,
        Part::Text(" "),
        Part::Day { padded: true },
        Part::Text(" "),
        Part::Clock,
        Part::Text(" "),
        Part::FullYear,
    ],
];

/// The instant an HTTP date names, or `None` where matchbox would not
/// take the value as a date.
pub fn parse_http_time(value: &str) -> Option<SystemTime> {
    FORMS.iter().find_map(|form| read_form(value.as_bytes(), form))
}

/// Calendar fields as read; checked together once the form is complete.
#[derive(Default)]
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    seconds_of_day: i64,
}

fn read_form(mut rest: &[u8], form: &[Part]) -> Option<SystemTime> {
    let mut f = Fields::default();
    for part in form {
        rest = match *part {
            Part::Text(text) => read_text(rest, text.as_bytes())?,
            Part::Weekday(names) => read_name(rest, names)?.1,
            Part::Month => {
                let (index, rest) = read_name(rest, &MONTH_NAMES)?;
                f.month = index as i64 + 1;
                rest
            }
            Part::Day { padded } => {
                let rest = if padded {
                    rest.strip_prefix(b" ").unwrap_or(rest)
                } else {
                    rest
                };
                let (day, rest) = read_digits(rest, !padded)?;
                f.day = day;
                rest
            }
            Part::FullYear => {
                let year = rest.get(..4).filter(|y| y.iter().all(u8::is_ascii_digit))?;
                f.year = year.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0'));
                &rest[4..]
            }
            Part::ShortYear => {
                let (year, rest) = read_short_year(rest)?;
                f.year = if year >= 69 { 1900 + year } else { 2000 + year };
                rest
            }
            Part::Clock => {
                let (seconds, rest) = read_clock(rest)?;
                f.seconds_of_day = seconds;
                rest
            }
            Part::Zone => &rest[zone_length(rest)?..],
        };
    }
    if !rest.is_empty() || f.day < 1 || f.day > month_length(f.year, f.month) {
        return None;
    }
    let seconds = days_since_epoch(f.year, f.month, f.day) * 86_400 + f.seconds_of_day;
    let magnitude = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// Literal text of a form. A space in it takes every space at the head of
/// the input, and fails only when the input goes on with something else.
fn read_text<'a>(mut input: &'a [u8], text: &[u8]) -> Option<&'a [u8]> {
    for &want in text {
        if want == b' ' {
            if input.first().is_some_and(|&c| c != b' ') {
                return None;
            }
            while let [b' ', more @ ..] = input {
                input = more;
            }
        } else {
            input = input.strip_prefix(&[want])?;
        }
    }
    Some(input)
}

/// The first name in `names` that begins the input, in any ASCII case:
/// its position and the input after it.
fn read_name<'a>(input: &'a [u8], names: &[&str]) -> Option<(usize, &'a [u8])> {
    names
        .iter()
        .position(|name| {
            input
                .get(..name.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(name.as_bytes()))
        })
        .map(|i| (i, &input[names[i].len()..]))
}

/// A one- or two-digit number (exactly two when `two` is set); a second
/// digit is always taken when present.
fn read_digits(input: &[u8], two: bool) -> Option<(i64, &[u8])> {
    let digit = |i: usize| input.get(i).filter(|c| c.is_ascii_digit()).map(|c| i64::from(c - b'0'));
    let first = digit(0)?;
    match digit(1) {
        Some(second) => Some((first * 10 + second, &input[2..])),
        None if two => None,
        None => Some((first, &input[1..])),
    }
}

/// The RFC 850 year: two digits, or a sign and one digit.
fn read_short_year(input: &[u8]) -> Option<(i64, &[u8])> {
    let (&first, &second) = (input.first()?, input.get(1)?);
    let units = second.is_ascii_digit().then(|| i64::from(second - b'0'))?;
    let year = match first {
        b'0'..=b'9' => i64::from(first - b'0') * 10 + units,
        b'+' => units,
        b'-' => -units,
        _ => return None,
    };
    Some((year, &input[2..]))
}

/// `h:mm:ss` or `hh:mm:ss`, then an optional fraction of a second (a `.`
/// or `,` and at least one digit), which is dropped: seconds since
/// midnight and the input after the clock.
fn read_clock(input: &[u8]) -> Option<(i64, &[u8])> {
    let (hour, input) = read_digits(input, false)?;
    let (minute, input) = read_digits(input.strip_prefix(b":")?, true)?;
    let (second, mut input) = read_digits(input.strip_prefix(b":")?, true)?;
    if let [b'.' | b',', d, ..] = input
        && d.is_ascii_digit()
    {
        let digits = input[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        input = &input[1 + digits..];
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((hour * 3600 + minute * 60 + second, input))
}

/// How many bytes of the input an RFC 850 zone takes (see the module
/// notes); the zone itself is always read as UTC.
fn zone_length(input: &[u8]) -> Option<usize> {
    if input.starts_with(b"UTC") {
        return Some(3);
    }
    if input.len() < 3 {
        return None;
    }
    if input.starts_with(b"ChST") || input.starts_with(b"MeST") {
        return Some(4);
    }
    if input.starts_with(b"GMT") {
        return Some(3 + hour_offset_length(&input[3..]).unwrap_or(0));
    }
    if matches!(input[0], b'+' | b'-') {
        return hour_offset_length(input);
    }
    let capitals = input.iter().take(6).take_while(|c| c.is_ascii_uppercase()).count();
    match capitals {
        3 => Some(3),
        4 if input[3] == b'T' || input.starts_with(b"WITA") => Some(4),
        5 if input[4] == b'T' => Some(5),
        _ => None,
    }
}

/// The length of `+h` or `-h` (any number of digits, value at most 23) at
/// the head of the input.
fn hour_offset_length(input: &[u8]) -> Option<usize> {
    let (sign, digits) = input.split_first()?;
    if !matches!(sign, b'+' | b'-') {
        return None;
    }
    let count = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    let value = digits[..count]
        .iter()
        .try_fold(0u32, |n, d| n.checked_mul(10)?.checked_add(u32::from(d - b'0')));
    (count > 0 && value? <= 23).then_some(1 + count)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1–12) of `year`.
fn month_length(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1 January of year 0 to 1 January of `year` (0 or later),
/// counting year 0 as a leap year, as the proleptic Gregorian calendar does.
fn days_before_year(year: i64) -> i64 {
    365 * year + (year + 3) / 4 - (year + 99) / 100 + (year + 399) / 400
}

/// Days from 1970-01-01 to the given date (negative before it).
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    let before_month: i64 = (1..month).map(|m| month_length(year, m)).sum();
    days_before_year(year) - days_before_year(1970) + before_month + day - 1
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
