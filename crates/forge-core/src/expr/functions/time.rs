//! Date and time functions: `timestamp`, `formatdate`, `timeadd`,
//! `timecmp`. Timestamps are RFC 3339 strings (`2017-11-22T00:00:00Z`).
//!
//! `timestamp()` is read once per run: the first call records the current
//! time and every later call in the same process returns that value, so
//! one plan (every resource, every expression) sees one time.

use super::string;
use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike, Utc};
use hcl::Value as H;
use hcl::eval::FuncArgs;
use std::sync::OnceLock;

/// The time of this run, as `timestamp()` returns it.
pub(crate) fn run_timestamp() -> &'static str {
    static NOW: OnceLock<String> = OnceLock::new();
    NOW.get_or_init(|| Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub(super) fn timestamp(_: FuncArgs) -> Result<H, String> {
    Ok(H::from(run_timestamp()))
}

fn parse(text: &str) -> Result<DateTime<FixedOffset>, String> {
    if text.len() > 10
        && text.as_bytes().get(10) != Some(&b'T')
        && text.as_bytes().get(4) == Some(&b'-')
    {
        return Err(format!(
            "{text:?} is not a valid RFC 3339 timestamp: missing the time introducer 'T'"
        ));
    }
    DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{text:?} is not a valid RFC 3339 timestamp: {e}"))
}

fn show(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        .replace(".000000000", "")
}

pub(super) fn timecmp(a: FuncArgs) -> Result<H, String> {
    let (x, y) = (parse(&string(&a, 0)?)?, parse(&string(&a, 1)?)?);
    Ok(H::from(match x.cmp(&y) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

/// Parses a Go duration: `300ms`, `-1.5h`, `2h45m` (units `ns`, `us`,
/// `µs`, `ms`, `s`, `m`, `h`).
fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    let bad = || format!("invalid duration {text:?} (e.g. \"1h30m\", \"-10s\")");
    let (sign, mut rest) = match text.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(chrono::Duration::zero());
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut nanos = 0f64;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let value: f64 = rest[..end].parse().map_err(|_| bad())?;
        rest = &rest[end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        nanos += value * scale;
        rest = &rest[unit_end..];
    }
    if nanos > 9.2e18 {
        return Err(bad());
    }
    Ok(chrono::Duration::nanoseconds((sign * nanos) as i64))
}

pub(super) fn timeadd(a: FuncArgs) -> Result<H, String> {
    let t = parse(&string(&a, 0)?)?;
    let d = parse_duration(&string(&a, 1)?)?;
    let out = t
        .checked_add_signed(d)
        .ok_or_else(|| "the result is out of range".to_string())?;
    Ok(H::from(show(&out)))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn offset(t: &DateTime<FixedOffset>, colon: bool) -> String {
    let secs = t.offset().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

pub(super) fn formatdate(a: FuncArgs) -> Result<H, String> {
    let spec = string(&a, 0)?;
    let t = parse(&string(&a, 1)?)?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; '' is one quote.
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            loop {
                match chars.get(j) {
                    None => return Err("argument 1 has an unterminated quoted literal".into()),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        out.push(*ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        let token: String = chars[i..i + n].iter().collect();
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let text = match token.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => format!("{:02}", t.year().rem_euclid(100)),
            "MMMM" => MONTHS[t.month0() as usize].to_string(),
            "MMM" => MONTHS[t.month0() as usize][..3].to_string(),
            "MM" => format!("{:02}", t.month()),
            "M" => t.month().to_string(),
            "DD" => format!("{:02}", t.day()),
            "D" => t.day().to_string(),
            "EEEE" => DAYS[t.weekday().num_days_from_monday() as usize].to_string(),
            "EEE" => DAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
            "hh" => format!("{:02}", t.hour()),
            "h" => t.hour().to_string(),
            "HH" => format!("{hour12:02}"),
            "H" => hour12.to_string(),
            "AA" => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if t.hour() < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", t.minute()),
            "m" => t.minute().to_string(),
            "ss" => format!("{:02}", t.second()),
            "s" => t.second().to_string(),
            "ZZZZZ" => offset(&t, true),
            "ZZZZ" => offset(&t, false),
            "ZZZ" if t.offset().local_minus_utc() == 0 => "UTC".to_string(),
            "ZZZ" => offset(&t, false),
            "Z" if t.offset().local_minus_utc() == 0 => "Z".to_string(),
            "Z" => offset(&t, true),
            other => {
                return Err(format!(
                    "argument 1 has an unrecognized sequence {other:?}; put literal letters in single quotes"
                ));
            }
        };
        out.push_str(&text);
        i += n;
    }
    Ok(H::from(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's datetime function tests
    // (internal/lang/funcs/datetime_test.go) and cty's datetime tests.

    #[test]
    fn timestamp_is_one_value_per_run() {
        let a = super::run_timestamp();
        assert!(chrono::DateTime::parse_from_rfc3339(a).is_ok(), "{a}");
        assert!(a.ends_with('Z'));
        check(&[("timestamp() == timestamp()", "true")]);
        assert_eq!(super::run_timestamp(), a);
    }

    #[test]
    fn timecmp() {
        check(&[
            (
                r#"timecmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z")"#,
                "0",
            ),
            (
                r#"timecmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00+01:00")"#,
                "0",
            ),
            (
                r#"timecmp("2017-11-22T00:00:01Z", "2017-11-22T01:00:00+01:00")"#,
                "1",
            ),
            (
                r#"timecmp("2017-11-22T01:00:00Z", "2017-11-22T00:59:00-01:00")"#,
                "-1",
            ),
            (
                r#"timecmp("2017-11-22T01:00:00+01:00", "2017-11-22T01:00:00-01:00")"#,
                "-1",
            ),
            (
                r#"timecmp("2017-11-22T01:00:00-01:00", "2017-11-22T01:00:00+01:00")"#,
                "1",
            ),
            (r#"timecmp("2017-11-22T00:00:00Z", "bloop")"#, "ERR"),
            (
                r#"timecmp("2017-11-22 00:00:00Z", "2017-11-22T00:00:00Z")"#,
                "ERR",
            ),
        ]);
    }

    #[test]
    fn timeadd() {
        check(&[
            (
                r#"timeadd("2017-11-22T00:00:00Z", "1s")"#,
                r#""2017-11-22T00:00:01Z""#,
            ),
            (
                r#"timeadd("2017-11-22T00:00:00Z", "10m1s")"#,
                r#""2017-11-22T00:10:01Z""#,
            ),
            (
                r#"timeadd("2017-11-22T00:00:00Z", "-1h")"#,
                r#""2017-11-21T23:00:00Z""#,
            ),
            (
                r#"timeadd("2017-11-22T00:00:00Z", "1.5h")"#,
                r#""2017-11-22T01:30:00Z""#,
            ),
            (
                r#"timeadd("2017-11-22T00:00:00+01:00", "1h")"#,
                r#""2017-11-22T01:00:00+01:00""#,
            ),
            (
                r#"timeadd("2017-11-22T00:00:00Z", "0")"#,
                r#""2017-11-22T00:00:00Z""#,
            ),
            (r#"timeadd("2017-11-22T00:00:00Z", "1y")"#, "ERR"),
            (r#"timeadd("2017-11-22T00:00:00Z", "")"#, "ERR"),
            (r#"timeadd("2017-11-22", "1h")"#, "ERR"),
        ]);
    }

    #[test]
    fn formatdate() {
        check(&[
            (
                r#"formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")"#,
                r#""02 Jan 2018 23:12 UTC""#,
            ),
            (
                r#"formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z")"#,
                r#""Tuesday, 02-Jan-18 23:12:01 UTC""#,
            ),
            (
                r#"formatdate("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00")"#,
                r#""Tue, 02 Jan 2018 23:12:01 -0800""#,
            ),
            (
                r#"formatdate("MMM DD, YYYY", "2018-01-02T23:12:01Z")"#,
                r#""Jan 02, 2018""#,
            ),
            (
                r#"formatdate("HH:mmaa", "2018-01-02T23:12:01Z")"#,
                r#""11:12pm""#,
            ),
            (
                r#"formatdate("H:mmAA", "2018-01-02T00:05:01Z")"#,
                r#""12:05AM""#,
            ),
            (
                r#"formatdate("YYYY-MM-DD'T'hh:mm:ssZ", "2018-01-02T23:12:01Z")"#,
                r#""2018-01-02T23:12:01Z""#,
            ),
            (
                r#"formatdate("YYYY-MM-DD'T'hh:mm:ssZ", "2018-01-02T23:12:01+05:30")"#,
                r#""2018-01-02T23:12:01+05:30""#,
            ),
            (
                r#"formatdate("ZZZZZ ZZZZ", "2018-01-02T23:12:01-08:00")"#,
                r#""-08:00 -0800""#,
            ),
            (
                r#"formatdate("M/D h:m:s", "2018-01-02T03:04:05Z")"#,
                r#""1/2 3:4:5""#,
            ),
            (
                r#"formatdate("MMMM", "2018-09-02T03:04:05Z")"#,
                r#""September""#,
            ),
            (
                r#"formatdate("'''o''clock'", "2018-01-02T23:12:01Z")"#,
                r#""'o'clock""#,
            ),
            // cty's formatdate tests, at 2006-01-02T15:04:05Z.
            (r#"formatdate("", "2006-01-02T15:04:05Z")"#, r#""""#),
            (
                r#"formatdate("YYYY-MM-DD", "2006-01-02T15:04:05Z")"#,
                r#""2006-01-02""#,
            ),
            (
                r#"formatdate("EEE, MMM D ''YY", "2006-01-02T15:04:05Z")"#,
                r#""Mon, Jan 2 '06""#,
            ),
            (
                r#"formatdate("hh:mm:ss", "2006-01-02T15:04:05Z")"#,
                r#""15:04:05""#,
            ),
            (
                r#"formatdate("H 'o''clock' AA", "2006-01-02T15:04:05Z")"#,
                r#""3 o'clock PM""#,
            ),
            (
                r#"formatdate("H 'o''clock'", "2006-01-02T15:04:05Z")"#,
                r#""3 o'clock""#,
            ),
            (
                r#"formatdate("hh:mm:ssZZZZ", "2006-01-02T15:04:05Z")"#,
                r#""15:04:05+0000""#,
            ),
            (
                r#"formatdate("hh:mm:ssZZZZZ", "2006-01-02T15:04:05Z")"#,
                r#""15:04:05+00:00""#,
            ),
            (
                r#"formatdate("MMMM", "2006-01-02T15:04:05Z")"#,
                r#""January""#,
            ),
            (
                r#"formatdate("EEEE", "2006-01-02T15:04:05Z")"#,
                r#""Monday""#,
            ),
            (r#"formatdate("aa", "2006-01-02T15:04:05Z")"#, r#""pm""#),
            (
                r#"formatdate("YYYY-MM-DD'T'hh:mm:ssZ", "2006-01-02T15:04:05Z")"#,
                r#""2006-01-02T15:04:05Z""#,
            ),
            (
                r#"formatdate("DD MMM YYYY hh:mm ZZZ", "2006-01-02T15:04:05Z")"#,
                r#""02 Jan 2006 15:04 UTC""#,
            ),
            (
                r#"formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2006-01-02T15:04:05Z")"#,
                r#""Monday, 02-Jan-06 15:04:05 UTC""#,
            ),
            (
                r#"formatdate("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2006-01-02T15:04:05Z")"#,
                r#""Mon, 02 Jan 2006 15:04:05 UTC""#,
            ),
            (r#"formatdate("Y", "2006-01-02T15:04:05Z")"#, "ERR"),
            (r#"formatdate("A", "2006-01-02T15:04:05Z")"#, "ERR"),
            (r#"formatdate("a", "2006-01-02T15:04:05Z")"#, "ERR"),
            (r#"formatdate("'blah blah", "2006-01-02T15:04:05Z")"#, "ERR"),
            (r#"formatdate("'", "2006-01-02T15:04:05Z")"#, "ERR"),
            (
                r#"formatdate("YYYY-MM-DD'T'hh:mm:ssZ", "2022-03-01T00:23:45+00:00")"#,
                r#""2022-03-01T00:23:45Z""#,
            ),
            (
                r#"formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2022-03-01T00:23:45+00:00")"#,
                r#""Tuesday, 01-Mar-22 00:23:45 UTC""#,
            ),
            (
                r#"formatdate("YYYY-MM-DD'T'hh:mm:ssZ", "2022-03-01T00:23:45+01:00")"#,
                r#""2022-03-01T00:23:45+01:00""#,
            ),
            (
                r#"formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2022-03-01T00:23:45-01:00")"#,
                r#""Tuesday, 01-Mar-22 00:23:45 -0100""#,
            ),
            (
                r#"formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "1900-01-01T00:00:00Z")"#,
                r#""Monday, 01-Jan-00 00:00:00 UTC""#,
            ),
            (r#"formatdate("", "")"#, "ERR"),
            (r#"formatdate("", "2017-01-02")"#, "ERR"),
            (r#"formatdate("", "2017-12-02t00:00:00Z")"#, "ERR"),
            (r#"formatdate("", "2017:01:02")"#, "ERR"),
            (r#"formatdate("", "2017-01-02T")"#, "ERR"),
            (r#"formatdate("", "2017-01-02T00:00:00")"#, "ERR"),
            (r#"formatdate("", "2017-01-02T26:00:00Z")"#, "ERR"),
            (r#"formatdate("", "2017-13-02T00:00:00Z")"#, "ERR"),
            (r#"formatdate("", "2017-02-31T00:00:00Z")"#, "ERR"),
            (r#"formatdate("", "2000-01-01T1:12:34Z")"#, "ERR"),
            (r#"formatdate("", "2000-01-01T00:00:00,000Z")"#, "ERR"),
            (r#"formatdate("", "2000-01-01T00:00:00+24:00")"#, "ERR"),
            (r#"formatdate("", "2000-01-01T00:00:00+00:60")"#, "ERR"),
            (r#"formatdate("YYYYY", "2018-01-02T23:12:01Z")"#, "ERR"),
            (r#"formatdate("x", "2018-01-02T23:12:01Z")"#, "ERR"),
            (r#"formatdate("YYYY", "2018-01-02")"#, "ERR"),
            (r#"formatdate("'unclosed", "2018-01-02T23:12:01Z")"#, "ERR"),
        ]);
    }
}
