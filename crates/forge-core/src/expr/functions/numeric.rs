//! Number functions: `abs`, `ceil`, `floor`, `log`, `max`, `min`,
//! `parseint`, `pow`, `signum`.
//!
//! forge numbers are finite: where Terraform would return an infinity
//! (`log(0, 10)`) or NaN (`pow(-2, 0.5)`), forge reports an error.

use super::{integer, num, number, string};
use hcl::Value as H;
use hcl::eval::FuncArgs;

fn finite(n: f64, what: &str) -> Result<H, String> {
    if n.is_finite() {
        Ok(num(if n == 0.0 { 0.0 } else { n }))
    } else {
        Err(format!("{what} is not a finite number"))
    }
}

pub(super) fn abs(a: FuncArgs) -> Result<H, String> {
    Ok(num(number(&a, 0)?.abs()))
}

pub(super) fn ceil(a: FuncArgs) -> Result<H, String> {
    Ok(num(number(&a, 0)?.ceil()))
}

pub(super) fn floor(a: FuncArgs) -> Result<H, String> {
    Ok(num(number(&a, 0)?.floor()))
}

pub(super) fn signum(a: FuncArgs) -> Result<H, String> {
    let n = number(&a, 0)?;
    Ok(H::from(if n > 0.0 {
        1
    } else if n < 0.0 {
        -1
    } else {
        0
    }))
}

pub(super) fn log(a: FuncArgs) -> Result<H, String> {
    let (n, base) = (number(&a, 0)?, number(&a, 1)?);
    finite(
        n.ln() / base.ln(),
        &format!("log({}, {})", num(n), num(base)),
    )
}

pub(super) fn pow(a: FuncArgs) -> Result<H, String> {
    let (n, p) = (number(&a, 0)?, number(&a, 1)?);
    finite(n.powf(p), &format!("pow({}, {})", num(n), num(p)))
}

fn all_numbers(a: &FuncArgs) -> Result<Vec<f64>, String> {
    if a.is_empty() {
        return Err("at least one number is required".into());
    }
    (0..a.len()).map(|i| number(a, i)).collect()
}

pub(super) fn max(a: FuncArgs) -> Result<H, String> {
    Ok(num(all_numbers(&a)?
        .into_iter()
        .fold(f64::NEG_INFINITY, f64::max)))
}

pub(super) fn min(a: FuncArgs) -> Result<H, String> {
    Ok(num(all_numbers(&a)?
        .into_iter()
        .fold(f64::INFINITY, f64::min)))
}

/// The value of a digit in bases up to 62: `0-9`, then `a-z`, then
/// `A-Z` (letters of either case are the same digit in bases up to 36).
fn digit(c: char, base: u32) -> Option<u32> {
    let d = match c {
        '0'..='9' => c as u32 - '0' as u32,
        'a'..='z' => c as u32 - 'a' as u32 + 10,
        'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
        'A'..='Z' => c as u32 - 'A' as u32 + 36,
        _ => return None,
    };
    (d < base).then_some(d)
}

pub(super) fn parseint(a: FuncArgs) -> Result<H, String> {
    let s = string(&a, 0)?;
    let base = integer(&a, 1)?;
    if !(2..=62).contains(&base) {
        return Err(format!(
            "argument 2 (base) must be a whole number from 2 to 62, got {base}"
        ));
    }
    let base = base as u32;
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(format!("cannot parse {s:?} as a base {base} integer"));
    }
    let mut n: i128 = 0;
    for c in digits.chars() {
        let d =
            digit(c, base).ok_or_else(|| format!("cannot parse {s:?} as a base {base} integer"))?;
        n = n
            .checked_mul(i128::from(base))
            .and_then(|n| n.checked_add(i128::from(d)))
            .filter(|n| *n < (1i128 << 53))
            .ok_or_else(|| format!("{s:?} is too large a number"))?;
    }
    Ok(H::from(if negative { -(n as i64) } else { n as i64 }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's number function tests
    // (internal/lang/funcs/number_test.go) and cty's number function tests.

    #[test]
    fn arithmetic() {
        check(&[
            ("abs(1)", "1"),
            ("abs(-1)", "1"),
            ("abs(0)", "0"),
            ("abs(-12.5)", "12.5"),
            ("ceil(-1.8)", "-1"),
            ("ceil(1.2)", "2"),
            ("ceil(5)", "5"),
            ("floor(-1.8)", "-2"),
            ("floor(1.2)", "1"),
            ("floor(5)", "5"),
            ("signum(-3)", "-1"),
            ("signum(0)", "0"),
            ("signum(344)", "1"),
            ("log(1, 10)", "0"),
            ("log(10, 10)", "1"),
            ("log(10, 0)", "0"),
            ("log(16, 2)", "4"),
            ("log(0, 10)", "ERR"),
            ("log(1, 1)", "ERR"),
            ("log(-1, 10)", "ERR"),
            ("pow(1, 0)", "1"),
            ("pow(1, 1)", "1"),
            ("pow(2, 0)", "1"),
            ("pow(2, 1)", "2"),
            ("pow(3, 2)", "9"),
            ("pow(-3, 2)", "9"),
            ("pow(2, -2)", "0.25"),
            ("pow(0, 2)", "0"),
            ("pow(-2, 0.5)", "ERR"),
            ("max(12, 54, 3)", "54"),
            ("max(-1.5, -2)", "-1.5"),
            (r#"max("3", 2)"#, "3"),
            ("min(12, 54, 3)", "3"),
            ("min(1.5)", "1.5"),
            (r#"abs("a")"#, "ERR"),
        ]);
    }

    #[test]
    fn parseint() {
        check(&[
            (r#"parseint("128", 10)"#, "128"),
            (r#"parseint("-128", 10)"#, "-128"),
            (r#"parseint("00128", 10)"#, "128"),
            (r#"parseint("FF", 16)"#, "255"),
            (r#"parseint("ff", 16)"#, "255"),
            (r#"parseint("-FF", 16)"#, "-255"),
            (r#"parseint("1011111011101111", 2)"#, "48879"),
            (r#"parseint("aA", 62)"#, "656"),
            (r#"parseint("Aa", 62)"#, "2242"),
            (r#"parseint("999999999999", 10)"#, "999999999999"),
            (r#"parseint("12.3", 10)"#, "ERR"),
            (r#"parseint("FF", 10)"#, "ERR"),
            (r#"parseint("", 10)"#, "ERR"),
            (r#"parseint("10", 1)"#, "ERR"),
            (r#"parseint("10", 63)"#, "ERR"),
            (r#"parseint("1", 2.5)"#, "ERR"),
        ]);
    }
}
