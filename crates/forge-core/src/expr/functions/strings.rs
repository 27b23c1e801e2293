//! String functions: case, trimming, searching, splitting and joining,
//! `format` / `formatlist`, `indent`, and the regular-expression functions
//! (`regex`, `regexall`, and `replace` with a `/pattern/`), which use RE2
//! syntax as Terraform's do.

use super::{describe, integer, list, num, string, to_string, type_of};
use crate::expr::budget;
use hcl::Value as H;
use hcl::eval::FuncArgs;

/// Whether `c` continues the character before it (a combining mark, a
/// variation selector, an emoji skin-tone modifier, a zero-width joiner).
fn extends(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C | 0x200D | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F
        | 0xE0100..=0xE01EF)
}

/// A string's user-perceived characters, as Terraform counts them: a base
/// character with the combining marks and modifiers after it, a
/// zero-width-joiner sequence, a flag (two regional indicators) and
/// `\r\n` are one each. (An approximation of Unicode grapheme clusters
/// that covers text and emoji as specs hold them.)
pub(super) fn graphemes(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut flags_in_cluster = 0;
    for (i, c) in s.char_indices() {
        let join = match prev {
            None => false,
            Some('\r') => c == '\n',
            Some('\u{200D}') => true,
            Some(p) if is_regional(p) && is_regional(c) => flags_in_cluster % 2 == 1,
            Some(_) => extends(c),
        };
        if !join && i > 0 {
            out.push(&s[start..i]);
            start = i;
            flags_in_cluster = 0;
        }
        if is_regional(c) {
            flags_in_cluster += 1;
        }
        prev = Some(c);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

fn is_regional(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

pub(super) fn upper(a: FuncArgs) -> Result<H, String> {
    Ok(H::from(string(&a, 0)?.to_uppercase()))
}

pub(super) fn lower(a: FuncArgs) -> Result<H, String> {
    Ok(H::from(string(&a, 0)?.to_lowercase()))
}

pub(super) fn title(a: FuncArgs) -> Result<H, String> {
    let s = string(&a, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if at_word_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        // Word boundaries as Terraform draws them: any ASCII character but a
        // letter, digit or `_`, and any other whitespace.
        at_word_start = if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        };
    }
    Ok(H::from(out))
}

pub(super) fn strrev(a: FuncArgs) -> Result<H, String> {
    Ok(H::from(
        graphemes(&string(&a, 0)?)
            .into_iter()
            .rev()
            .collect::<String>(),
    ))
}

pub(super) fn chomp(a: FuncArgs) -> Result<H, String> {
    let s = string(&a, 0)?;
    Ok(H::from(s.trim_end_matches(['\n', '\r'])))
}

pub(super) fn trimspace(a: FuncArgs) -> Result<H, String> {
    Ok(H::from(string(&a, 0)?.trim()))
}

pub(super) fn trim(a: FuncArgs) -> Result<H, String> {
    let (s, cut) = (string(&a, 0)?, string(&a, 1)?);
    let set: Vec<char> = cut.chars().collect();
    Ok(H::from(s.trim_matches(set.as_slice())))
}

pub(super) fn trimprefix(a: FuncArgs) -> Result<H, String> {
    let (s, p) = (string(&a, 0)?, string(&a, 1)?);
    Ok(H::from(s.strip_prefix(p.as_str()).unwrap_or(&s)))
}

pub(super) fn trimsuffix(a: FuncArgs) -> Result<H, String> {
    let (s, p) = (string(&a, 0)?, string(&a, 1)?);
    Ok(H::from(s.strip_suffix(p.as_str()).unwrap_or(&s)))
}

pub(super) fn startswith(a: FuncArgs) -> Result<H, String> {
    Ok(H::Bool(string(&a, 0)?.starts_with(&string(&a, 1)?)))
}

pub(super) fn endswith(a: FuncArgs) -> Result<H, String> {
    Ok(H::Bool(string(&a, 0)?.ends_with(&string(&a, 1)?)))
}

pub(super) fn strcontains(a: FuncArgs) -> Result<H, String> {
    // As Terraform's tests have it, the substring must be a string.
    let sub = match super::arg(&a, 1) {
        H::String(s) => s.clone(),
        other => {
            return Err(format!(
                "argument 2 must be a string, got {}",
                describe(other)
            ));
        }
    };
    Ok(H::Bool(string(&a, 0)?.contains(&sub)))
}

pub(super) fn indent(a: FuncArgs) -> Result<H, String> {
    let spaces = integer(&a, 0)?;
    if !(0..=1024).contains(&spaces) {
        return Err(format!(
            "argument 1 must be from 0 to 1024 spaces, got {spaces}"
        ));
    }
    let pad = " ".repeat(spaces as usize);
    let s = string(&a, 1)?;
    Ok(H::from(s.replace('\n', &format!("\n{pad}"))))
}

pub(super) fn split(a: FuncArgs) -> Result<H, String> {
    let (sep, s) = (string(&a, 0)?, string(&a, 1)?);
    if s.is_empty() {
        return Ok(H::Array(vec![H::from("")]));
    }
    if sep.is_empty() {
        return Ok(H::Array(
            s.chars().map(|c| H::from(c.to_string())).collect(),
        ));
    }
    Ok(H::Array(s.split(sep.as_str()).map(H::from).collect()))
}

pub(super) fn join(a: FuncArgs) -> Result<H, String> {
    let sep = string(&a, 0)?;
    if a.len() < 2 {
        return Err("at least one list is required".into());
    }
    let mut parts = Vec::new();
    for i in 1..a.len() {
        for (j, v) in list(&a, i)?.iter().enumerate() {
            match to_string(v) {
                Some(s) => parts.push(s),
                None if v.is_null() => {
                    return Err(format!(
                        "element {j} of argument {} is null; cannot concatenate null values",
                        i + 1
                    ));
                }
                None => {
                    return Err(format!(
                        "element {j} of argument {} must be a string, got a {}",
                        i + 1,
                        type_of(v)
                    ));
                }
            }
        }
    }
    Ok(H::from(parts.join(&sep)))
}

pub(super) fn substr(a: FuncArgs) -> Result<H, String> {
    let text = string(&a, 0)?;
    let chars = graphemes(&text);
    let len = chars.len() as i64;
    let offset = integer(&a, 1)?;
    let length = integer(&a, 2)?;
    // As cty: an offset past the end gives "", a negative one counts from
    // the end, and any negative length means "to the end".
    let start = if offset < 0 {
        (len + offset).max(0)
    } else {
        offset.min(len)
    };
    let end = if length < 0 {
        len
    } else {
        (start + length).min(len)
    };
    Ok(H::from(chars[start as usize..end as usize].concat()))
}

pub(super) fn replace(a: FuncArgs) -> Result<H, String> {
    let (s, from, to) = (string(&a, 0)?, string(&a, 1)?, string(&a, 2)?);
    if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
        let re = compile(&from[1..from.len() - 1])?;
        let out = re.replace_all(&s, to.as_str()).into_owned();
        budget::charge(out.len() as u64 / 64)?;
        return Ok(H::from(out));
    }
    if from.is_empty() {
        // As Go's strings.Replace: the replacement goes before every character and at the end.
        let mut out = String::new();
        for c in s.chars() {
            out.push_str(&to);
            out.push(c);
        }
        out.push_str(&to);
        return Ok(H::from(out));
    }
    // The one function whose result can dwarf its arguments (every match
    // becomes a copy of `to`): charge it before building it.
    if to.len() > from.len() {
        let grows = s.matches(from.as_str()).count() as u64 * (to.len() - from.len()) as u64;
        budget::charge(grows / 64)?;
    }
    Ok(H::from(s.replace(from.as_str(), &to)))
}

fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            // The parser's message draws the pattern over several lines; keep its last.
            let text = e.to_string();
            let reason = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string();
            format!("invalid regular expression {pattern:?}: {reason}")
        })
}

/// One match: the matched text without capture groups, a list of the
/// captures with unnamed groups, a map with named groups (named and
/// unnamed groups cannot be mixed).
fn captures(re: &regex::Regex, caps: &regex::Captures<'_>) -> Result<H, String> {
    let group = |i: usize| caps.get(i).map_or(H::Null, |m| H::from(m.as_str()));
    if re.captures_len() == 1 {
        return Ok(group(0));
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().all(Option::is_some) {
        let mut out = hcl::Map::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(name) = name {
                out.insert((*name).to_string(), group(i + 1));
            }
        }
        return Ok(H::Object(out));
    }
    if names.iter().any(Option::is_some) {
        return Err("the pattern mixes named and unnamed capture groups".into());
    }
    Ok(H::Array((1..re.captures_len()).map(group).collect()))
}

pub(super) fn regex(a: FuncArgs) -> Result<H, String> {
    let (pattern, s) = (string(&a, 0)?, string(&a, 1)?);
    let re = compile(&pattern)?;
    match re.captures(&s) {
        Some(caps) => captures(&re, &caps),
        None => Err(format!("the pattern {pattern:?} does not match the string")),
    }
}

pub(super) fn regexall(a: FuncArgs) -> Result<H, String> {
    let (pattern, s) = (string(&a, 0)?, string(&a, 1)?);
    let re = compile(&pattern)?;
    let all = re
        .captures_iter(&s)
        .map(|caps| captures(&re, &caps))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(H::Array(all))
}

/// One `%` directive of a format spec.
struct Verb {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
    verb: char,
}

fn pad(text: String, v: &Verb, numeric: bool) -> String {
    let Some(width) = v.width else { return text };
    let len = graphemes(&text).len();
    if len >= width {
        return text;
    }
    let fill = width - len;
    if v.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if v.zero && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(rest) => (&text[..1], rest),
            None => ("", text.as_str()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

fn signed(n: f64, text: String, v: &Verb) -> String {
    if n >= 0.0 && v.plus {
        format!("+{text}")
    } else if n >= 0.0 && v.space {
        format!(" {text}")
    } else {
        text
    }
}

fn whole(value: &H, verb: char) -> Result<i64, String> {
    let n = super::to_number(value)
        .ok_or_else(|| format!("`%{verb}` needs a number, got {}", describe(value)))?;
    if n.fract() != 0.0 {
        return Err(format!("`%{verb}` needs a whole number, got {}", num(n)));
    }
    Ok(n as i64)
}

fn format_one(v: &Verb, value: &H) -> Result<String, String> {
    if value.is_null() && v.verb != 'v' {
        return Err(format!("`%{}` cannot format null", v.verb));
    }
    let text = match v.verb {
        'v' if v.sharp => super::to_json(value).to_string(),
        'v' => match value {
            H::Null => "null".into(),
            H::Array(_) | H::Object(_) => super::to_json(value).to_string(),
            other => to_string(other).unwrap_or_default(),
        },
        's' => to_string(value).ok_or_else(|| {
            format!(
                "`%s` needs a string, got a {}; use jsonencode() or %v",
                type_of(value)
            )
        })?,
        'q' => {
            let text = to_string(value)
                .ok_or_else(|| format!("`%q` needs a string, got a {}", type_of(value)))?;
            let text = match v.precision {
                Some(p) => graphemes(&text).into_iter().take(p).collect(),
                None => text,
            };
            serde_json::Value::String(text).to_string()
        }
        't' => match value {
            H::Bool(b) => b.to_string(),
            H::String(s) if s == "true" || s == "false" => s.clone(),
            other => return Err(format!("`%t` needs a bool, got {}", describe(other))),
        },
        'd' | 'b' | 'o' | 'x' | 'X' if !matches!(value, H::String(_)) || v.verb == 'd' => {
            let n = whole(value, v.verb)?;
            let mag = n.unsigned_abs();
            let body = match v.verb {
                'b' => format!("{mag:b}"),
                'o' => format!("{mag:o}"),
                'x' => format!("{mag:x}"),
                'X' => format!("{mag:X}"),
                _ => mag.to_string(),
            };
            let body = if n < 0 { format!("-{body}") } else { body };
            return Ok(pad(signed(n as f64, body, v), v, true));
        }
        'x' | 'X' => {
            let s = to_string(value).unwrap_or_default();
            let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            if v.verb == 'X' {
                hex.to_uppercase()
            } else {
                hex
            }
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let n = super::to_number(value)
                .ok_or_else(|| format!("`%{}` needs a number, got {}", v.verb, describe(value)))?;
            let body = match v.verb {
                'e' | 'E' => {
                    let t = go_exp(n, v.precision.unwrap_or(6));
                    if v.verb == 'E' { t.to_uppercase() } else { t }
                }
                'f' | 'F' => format!("{n:.*}", v.precision.unwrap_or(6)),
                _ => {
                    let t = match v.precision {
                        Some(p) => format!(
                            "{}",
                            format!("{n:.*e}", p.saturating_sub(1))
                                .parse::<f64>()
                                .unwrap_or(n)
                        ),
                        None => go_shortest(n),
                    };
                    if v.verb == 'G' { t.to_uppercase() } else { t }
                }
            };
            return Ok(pad(signed(n, body, v), v, true));
        }
        other => {
            return Err(format!(
                "unsupported format verb `%{other}` (supported: %v %#v %t %d %b %o %x %X %e %E %f %g %G %s %q %%)"
            ));
        }
    };
    let text = match (v.precision, v.verb) {
        (Some(p), 's' | 'v') => graphemes(&text).into_iter().take(p).collect(),
        _ => text,
    };
    Ok(pad(text, v, false))
}

/// `%g` without a precision as Go writes it: the shortest text, with an
/// exponent below 1e-4 and from 1e21.
fn go_shortest(n: f64) -> String {
    let a = n.abs();
    if a != 0.0 && !(1e-4..1e21).contains(&a) {
        let t = format!("{n:e}");
        match t.split_once('e') {
            Some((m, exp)) => {
                let (sign, digits) = match exp.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', exp),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => t,
        }
    } else {
        format!("{n}")
    }
}

/// `%e` as Go writes it: at least two exponent digits.
fn go_exp(n: f64, precision: usize) -> String {
    let t = format!("{n:.precision$e}");
    match t.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => t,
    }
}

/// Formats `spec` with `values`.
pub(crate) fn format_values(spec: &str, values: &[H]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0usize;
    let mut reordered = false;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut v = Verb {
            minus: false,
            plus: false,
            zero: false,
            space: false,
            sharp: false,
            width: None,
            precision: None,
            verb: ' ',
        };
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => v.minus = true,
                '+' => v.plus = true,
                '0' => v.zero = true,
                ' ' => v.space = true,
                '#' => v.sharp = true,
                _ => break,
            }
            chars.next();
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            let mut digits = String::new();
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            if chars.next() != Some(']') {
                return Err(format!("unclosed `%[` argument index in {spec:?}"));
            }
            let i: usize = digits
                .parse()
                .map_err(|_| format!("invalid argument index `%[{digits}]` in {spec:?}"))?;
            if i == 0 {
                return Err("argument indexes start at 1".into());
            }
            next = i - 1;
            reordered = true;
        }
        let mut digits = String::new();
        while let Some(d) = chars.next_if(char::is_ascii_digit) {
            digits.push(d);
        }
        v.width = digits.parse().ok();
        if chars.next_if_eq(&'.').is_some() {
            let mut digits = String::new();
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            v.precision = Some(digits.parse().unwrap_or(0));
        }
        v.verb = chars
            .next()
            .ok_or_else(|| format!("format string {spec:?} ends with a lone `%`"))?;
        if v.verb == '%' {
            out.push('%');
            continue;
        }
        let value = values
            .get(next)
            .ok_or_else(|| format!("not enough arguments for `%{}` in {spec:?}", v.verb))?;
        next += 1;
        out.push_str(&format_one(&v, value)?);
    }
    if next < values.len() && !reordered {
        return Err(format!("too many arguments for format string {spec:?}"));
    }
    budget::charge(out.len() as u64 / 64)?;
    Ok(out)
}

pub(super) fn format(a: FuncArgs) -> Result<H, String> {
    let spec = string(&a, 0)?;
    Ok(H::from(format_values(&spec, &a[1..])?))
}

pub(super) fn formatlist(a: FuncArgs) -> Result<H, String> {
    let spec = string(&a, 0)?;
    let mut len: Option<usize> = None;
    for (i, v) in a.iter().enumerate().skip(1) {
        if let H::Array(items) = v {
            match len {
                Some(n) if n != items.len() => {
                    return Err(format!(
                        "argument {} has length {}, which does not match length {n} of the lists before it",
                        i + 1,
                        items.len()
                    ));
                }
                _ => len = Some(items.len()),
            }
        }
    }
    let Some(len) = len else {
        // No lists: one string, like format().
        return Ok(H::Array(vec![H::from(format_values(&spec, &a[1..])?)]));
    };
    budget::charge(len as u64)?;
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let row: Vec<H> = a[1..]
            .iter()
            .map(|v| match v {
                H::Array(items) => items[i].clone(),
                other => other.clone(),
            })
            .collect();
        out.push(H::from(format_values(&spec, &row)?));
    }
    Ok(H::Array(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's and cty's function tests
    // (internal/lang/funcs/string_test.go, cty function/stdlib/string_test.go,
    // format_test.go, regexp_test.go).

    #[test]
    fn case_and_trim() {
        check(&[
            (r#"upper("hello")"#, r#""HELLO""#),
            (r#"upper("HELLO")"#, r#""HELLO""#),
            (r#"upper("")"#, r#""""#),
            (r#"upper("1")"#, r#""1""#),
            (
                r#"upper("ártvíztűrő tükörfúrógép")"#,
                r#""ÁRTVÍZTŰRŐ TÜKÖRFÚRÓGÉP""#,
            ),
            (r#"lower("HELLO")"#, r#""hello""#),
            (r#"lower("hello")"#, r#""hello""#),
            (
                r#"lower("ÁRTVÍZTŰRŐ TÜKÖRFÚRÓGÉP")"#,
                r#""ártvíztűrő tükörfúrógép""#,
            ),
            (r#"title("hello")"#, r#""Hello""#),
            (r#"title("hello world")"#, r#""Hello World""#),
            (r#"title("")"#, r#""""#),
            (r#"strrev("hello world")"#, r#""dlrow olleh""#),
            (r#"strrev("")"#, r#""""#),
            ("strrev(\"we\u{301}\u{301}!\")", "\"!e\u{301}\u{301}w\""),
            (r#"strrev("😸😾")"#, r#""😾😸""#),
            (r#"strrev("Живой Журнал")"#, r#""ланруЖ йовиЖ""#),
            (r#"strrev("baﬄe")"#, r#""eﬄab""#),
            (r#"chomp("hello world")"#, r#""hello world""#),
            (r#"chomp("hello world\n")"#, r#""hello world""#),
            (r#"chomp("hello world\n\n")"#, r#""hello world""#),
            (r#"chomp("hello world\r\n\r\n")"#, r#""hello world""#),
            (r#"chomp("hello world\n\r")"#, r#""hello world""#),
            (r#"chomp("hello\nworld\n")"#, r#""hello\nworld""#),
            (r#"trimspace(" hello ")"#, r#""hello""#),
            (r#"trimspace(" \n hello \t ")"#, r#""hello""#),
            (r#"trimspace("")"#, r#""""#),
            (r#"trim("?!hello?!", "!?")"#, r#""hello""#),
            (r#"trim("...hello...", ".")"#, r#""hello""#),
            (r#"trim("¡¡¡hello!!!", "!¡")"#, r#""hello""#),
            (r#"trimprefix("helloworld", "hello")"#, r#""world""#),
            (r#"trimprefix("...", ".")"#, r#""..""#),
            (r#"trimprefix("hello", "goodbye")"#, r#""hello""#),
            (r#"trimsuffix("helloworld", "world")"#, r#""hello""#),
            (r#"trimsuffix("hello", "goodbye")"#, r#""hello""#),
            (r#"trimsuffix("...", ".")"#, r#""..""#),
        ]);
    }

    #[test]
    fn search() {
        check(&[
            (r#"startswith("hello world", "hello")"#, "true"),
            (r#"startswith("hey world", "hello")"#, "false"),
            (r#"startswith("", "")"#, "true"),
            (r#"startswith("a", "")"#, "true"),
            (r#"startswith("", "a")"#, "false"),
            (r#"startswith("🧀cheese", "🧀")"#, "true"),
            (r#"endswith("hello world", "world")"#, "true"),
            (r#"endswith("hey world", "worlds")"#, "false"),
            (r#"endswith("", "")"#, "true"),
            (r#"endswith("a", "")"#, "true"),
            (r#"endswith("", "a")"#, "false"),
            (r#"strcontains("hello", "hel")"#, "true"),
            (r#"strcontains("hello", "lo")"#, "true"),
            (r#"strcontains("hello1", "1")"#, "true"),
            (r#"strcontains("hello1", "heo")"#, "false"),
            (r#"strcontains("hello1", 1)"#, "ERR"),
            (r#"startswith("https:", "ht")"#, "true"),
            (r#"startswith("https-", "https://")"#, "false"),
            (
                "startswith(\"\u{1f937}\u{200d}\u{2642}\", \"\u{1f937}\")",
                "true",
            ),
            (r#"strcontains("hello", "1")"#, "false"),
        ]);
    }

    #[test]
    fn split_join_substr_indent() {
        check(&[
            (r#"split(",", "")"#, r#"[""]"#),
            (r#"split(",", "foo")"#, r#"["foo"]"#),
            (r#"split(",", "foo,bar,baz")"#, r#"["foo","bar","baz"]"#),
            (r#"split(",", "foo,bar,baz,")"#, r#"["foo","bar","baz",""]"#),
            (r#"split(",", ",foo,,bar")"#, r#"["","foo","","bar"]"#),
            (r#"join(",", ["a", "b", "c"])"#, r#""a,b,c""#),
            (r#"join(",", ["a"])"#, r#""a""#),
            (r#"join(",", [])"#, r#""""#),
            (
                r#"join("-", ["Hello", "World"], ["Foo", "Bar"])"#,
                r#""Hello-World-Foo-Bar""#,
            ),
            (r#"join(",", ["a", "b", 1])"#, r#""a,b,1""#),
            (r#"join(",", ["a", null])"#, "ERR"),
            (r#"substr("hello world", 0, 5)"#, r#""hello""#),
            (r#"substr("hello world", 6, 5)"#, r#""world""#),
            (r#"substr("hello world", 6, -1)"#, r#""world""#),
            (r#"substr("hello world", -5, -1)"#, r#""world""#),
            (r#"substr("hello world", 0, 100)"#, r#""hello world""#),
            (r#"substr("hello world", 11, 1)"#, r#""""#),
            (r#"substr("", 0, 1)"#, r#""""#),
            (r#"substr("hello", 20, 1)"#, r#""""#),
            // cty's substr tests.
            (r#"substr("hello", 0, 2)"#, r#""he""#),
            (r#"substr("hello", 1, -1)"#, r#""ello""#),
            (r#"substr("hello", 1, -10)"#, r#""ello""#),
            (r#"substr("hello", 1, 10)"#, r#""ello""#),
            (r#"substr("hello", -3, 2)"#, r#""ll""#),
            (r#"substr("hello", 10, 10)"#, r#""""#),
            (r#"substr("hello", 0, 0)"#, r#""""#),
            (
                "substr(\"we\u{301}\u{301}e\u{301}\u{301}!\", 1, 2)",
                "\"e\u{301}\u{301}e\u{301}\u{301}\"",
            ),
            (r#"substr("😸😾", 1, 1)"#, r#""😾""#),
            (r#"substr("héllo", 1, 3)"#, r#""éll""#),
            ("substr(\"noe\u{308}l\", 2, 1)", "\"e\u{308}\""),
            (
                r#"indent(2, "Fleas:\nAdam\nHad'em\n\nE.E. Cummings")"#,
                r#""Fleas:\n  Adam\n  Had'em\n  \n  E.E. Cummings""#,
            ),
            (r#"indent(4, "oneliner")"#, r#""oneliner""#),
            (
                r##"indent(4, "#!/usr/bin/env bash\ndate\npwd")"##,
                r##""#!/usr/bin/env bash\n    date\n    pwd""##,
            ),
        ]);
    }

    #[test]
    fn replace_and_regex() {
        check(&[
            (r#"replace("hello", "hel", "bel")"#, r#""bello""#),
            (r#"replace("hello", "nope", "bel")"#, r#""hello""#),
            (r#"replace("hello", "/l/", "L")"#, r#""heLLo""#),
            (r#"replace("helo", "/(l)/", "$1$1")"#, r#""hello""#),
            (r#"replace("a-b-c", "-", "_")"#, r#""a_b_c""#),
            (r#"replace("hello", "/(l/", "x")"#, "ERR"),
            (r#"regex("[a-z]+", "135abc456def789")"#, r#""abc""#),
            (
                r#"regex("([0-9]*)([a-z]*)", "135abc456def")"#,
                r#"["135","abc"]"#,
            ),
            (
                r#"regex("(?P<num>[0-9]*)(?P<alpha>[a-z]*)", "135abc456def")"#,
                r#"{"alpha":"abc","num":"135"}"#,
            ),
            (r#"regex("(?P<num>[0-9]*)([a-z]*)", "135abc")"#, "ERR"),
            (r#"regex("[a-z]+", "135")"#, "ERR"),
            (r#"regex("[", "x")"#, "ERR"),
            (
                r#"regexall("[a-z]+", "135abc456def789")"#,
                r#"["abc","def"]"#,
            ),
            (
                r#"regexall("([0-9]*)([a-z]*)", "135abc456def")"#,
                r#"[["135","abc"],["456","def"]]"#,
            ),
            (
                r#"regexall("(?P<num>[0-9]*)(?P<alpha>[a-z]*)", "135abc456def")"#,
                r#"[{"alpha":"abc","num":"135"},{"alpha":"def","num":"456"}]"#,
            ),
            (r#"regexall("[a-z]+", "135")"#, "[]"),
            // cty's regex tests: optional named groups that do not take part are null.
            (
                r#"regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)(?:\\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?", "http://www.ics.uci.edu/pub/ietf/uri/#Related")"#,
                r#"{"authority":"www.ics.uci.edu","fragment":"Related","path":"/pub/ietf/uri/","query":null,"scheme":"http"}"#,
            ),
            (
                r#"regexall("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)(?:\\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?", "http://www.ics.uci.edu/pub/ietf/uri/#Related")"#,
                r#"[{"authority":"www.ics.uci.edu","fragment":"Related","path":"/pub/ietf/uri/","query":null,"scheme":"http"}]"#,
            ),
        ]);
    }

    #[test]
    fn format_and_formatlist() {
        check(&[
            (r#"format("hello")"#, r#""hello""#),
            (r#"format("hello %%")"#, r#""hello %""#),
            (r#"format("%s", "hello")"#, r#""hello""#),
            (r#"format("%s", true)"#, r#""true""#),
            (r#"format("%s", 1)"#, r#""1""#),
            (r#"format("%d", 12)"#, r#""12""#),
            (r#"format("%d", "12")"#, r#""12""#),
            (r#"format("%5d", 12)"#, r#""   12""#),
            (r#"format("%-5d|", 12)"#, r#""12   |""#),
            (r#"format("%05d", 12)"#, r#""00012""#),
            (r#"format("%+d", 12)"#, r#""+12""#),
            (r#"format("%x", 255)"#, r#""ff""#),
            (r#"format("%X", 255)"#, r#""FF""#),
            (r#"format("%o", 8)"#, r#""10""#),
            (r#"format("%b", 5)"#, r#""101""#),
            (r#"format("%f", 1.5)"#, r#""1.500000""#),
            (r#"format("%.2f", 1.5)"#, r#""1.50""#),
            (r#"format("%e", 1200)"#, r#""1.200000e+03""#),
            (r#"format("%t", true)"#, r#""true""#),
            (r#"format("%v", true)"#, r#""true""#),
            (r#"format("%v", 1.5)"#, r#""1.5""#),
            (r#"format("%v", "hello")"#, r#""hello""#),
            (r#"format("%#v", "hello")"#, r#""\"hello\"""#),
            (r#"format("%#v", [1, "a"])"#, r#""[1,\"a\"]""#),
            (r#"format("%q", "hello")"#, r#""\"hello\"""#),
            (r#"format("%.3s", "hello")"#, r#""hel""#),
            (r#"format("%10s|", "hello")"#, r#""     hello|""#),
            (r#"format("%-10s|", "hello")"#, r#""hello     |""#),
            (r#"format("%[2]s %[1]s", "a", "b")"#, r#""b a""#),
            // cty's format tests.
            (r#"format("")"#, r#""""#),
            (r#"format("100%% successful")"#, r#""100% successful""#),
            (
                r#"format("string %[2]v", true, "hello")"#,
                r#""string hello""#,
            ),
            (r#"format("number %#v", 2)"#, r#""number 2""#),
            (r#"format("bool %#v", true)"#, r#""bool true""#),
            (r#"format("object %v", {})"#, r#""object {}""#),
            (r#"format("tuple %v", [])"#, r#""tuple []""#),
            (r#"format("%%%v", false)"#, r#""%false""#),
            (r#"format("%v", null)"#, r#""null""#),
            (
                r#"format("Hello, %[2]s!", "Stephen", "Ermintrude")"#,
                r#""Hello, Ermintrude!""#,
            ),
            (
                r#"format("Hello, %q... if that _is_ your real name!", "Ermintrude")"#,
                r#""Hello, \"Ermintrude\"... if that _is_ your real name!""#,
            ),
            (
                r#"format("This statement is %q", false)"#,
                r#""This statement is \"false\"""#,
            ),
            (r#"format("%s", null)"#, "ERR"),
            (r#"format("%4s", "💃🏿")"#, r#""   💃🏿""#),
            (r#"format("%-4s", "💃🏿")"#, r#""💃🏿   ""#),
            (r#"format("%6q", "💃🏿")"#, r#""   \"💃🏿\"""#),
            (r#"format("%.2q", "hello")"#, r#""\"he\"""#),
            (r#"format("%.5s", "日本語日本語")"#, r#""日本語日本""#),
            (r#"format("%.1q", "日本語日本語")"#, r#""\"日\"""#),
            (r#"format("%.10s", "hello")"#, r#""hello""#),
            (r#"format("%4.2s", "hello")"#, r#""  he""#),
            (r#"format("%6.2q", "hello")"#, r#""  \"he\"""#),
            (r#"format("%-4.2s", "hello")"#, r#""he  ""#),
            (r#"format("%q", "Hello\nWorld")"#, r#""\"Hello\\nWorld\"""#),
            (
                r#"format("This statement is %t", "false")"#,
                r#""This statement is false""#,
            ),
            (r#"format("This statement is %t", null)"#, "ERR"),
            (r#"format("%[2]d things", 1, 10)"#, r#""10 things""#),
            (
                r#"format("% d green bottles", 10)"#,
                r#"" 10 green bottles""#,
            ),
            (r#"format("%d green bottles", true)"#, "ERR"),
            (r#"format("%o", 9)"#, r#""11""#),
            (r#"format("%x", 254)"#, r#""fe""#),
            (r#"format("%f things", 10)"#, r#""10.000000 things""#),
            (r#"format("%+f things", 10)"#, r#""+10.000000 things""#),
            (r#"format("% f things", -10)"#, r#""-10.000000 things""#),
            (
                r#"format("%.4f things", "1.00000000000000000000000000000000000001")"#,
                r#""1.0000 things""#,
            ),
            (r#"format("%.1f things", "1.06")"#, r#""1.1 things""#),
            (r#"format("%E things", 1000)"#, r#""1.000000E+03 things""#),
            (r#"format("%g things", 1000)"#, r#""1000 things""#),
            (r#"format("%G things", 1000)"#, r#""1000 things""#),
            (
                r#"format("%g things", "0.00000000000000000000001")"#,
                r#""1e-23 things""#,
            ),
            (
                r#"format("%G things", "0.00000000000000000000001")"#,
                r#""1E-23 things""#,
            ),
            (r#"format("%s is not in the args list")"#, "ERR"),
            (
                r#"format("%[3]s is not in the args list", "a", "b")"#,
                "ERR",
            ),
            (
                r#"format("%[0]s is not valid because args are 1-based", "a")"#,
                "ERR",
            ),
            (r#"format("%v %v %v", "a", "b")"#, "ERR"),
            (r#"format("%#z is not a valid sequence", 10)"#, "ERR"),
            (r#"format("no format verbs at all", 10)"#, "ERR"),
            (r#"format("only one verb %d", 10, 11)"#, "ERR"),
            (
                r#"formatlist("%s %s", ["hello", "goodbye"], ["world", "universe"])"#,
                r#"["hello world","goodbye universe"]"#,
            ),
            (
                r#"formatlist("%s %s", ["hello", "goodbye"], "world")"#,
                r#"["hello world","goodbye world"]"#,
            ),
            (
                r#"formatlist("%s %s", "hello", ["world", "universe"])"#,
                r#"["hello world","hello universe"]"#,
            ),
            (
                r#"formatlist("%s %s", ["hello", "goodbye"], ["world"])"#,
                "ERR",
            ),
            (r#"formatlist("%s", [{a = 1}])"#, "ERR"),
            (
                r#"formatlist("%v", [["hello"], ["world"]])"#,
                r#"["[\"hello\"]","[\"world\"]"]"#,
            ),
            (r#"format("%s %s", "a")"#, "ERR"),
            (r#"format("%s", "a", "b")"#, "ERR"),
            (r#"format("%d", 1.5)"#, "ERR"),
            (r#"format("%d", "x")"#, "ERR"),
            (r#"format("%s", ["a"])"#, "ERR"),
            (r#"format("%z", 1)"#, "ERR"),
            (r#"formatlist("%s", ["a", "b"])"#, r#"["a","b"]"#),
            (
                r#"formatlist("%s-%s", "x", ["a", "b"])"#,
                r#"["x-a","x-b"]"#,
            ),
            (
                r#"formatlist("%s=%s", ["a", "b"], [1, 2])"#,
                r#"["a=1","b=2"]"#,
            ),
            (r#"formatlist("%s", [])"#, "[]"),
            (r#"formatlist("%s %s", ["a"], ["b", "c"])"#, "ERR"),
            (r#"formatlist("hello")"#, r#"["hello"]"#),
        ]);
    }
}
