//! The function library available inside `${ ... }`: Terraform's most used
//! functions, implemented as hcl-rs [`FuncDef`]s.
//!
//! [`FUNCTIONS`] is the single table of names and arities; the loader uses
//! it to report unknown functions (with did-you-mean) and wrong argument
//! counts before anything is evaluated.

use crate::limits::MAX_RANGE;
use hcl::Value as H;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// A function's name and how many arguments it takes.
#[derive(Debug, Clone, Copy)]
pub struct FunctionInfo {
    /// Its name.
    pub name: &'static str,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`None`: variadic).
    pub max_args: Option<usize>,
    /// How it is called, for hints.
    pub signature: &'static str,
}

const fn f(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    signature: &'static str,
) -> FunctionInfo {
    FunctionInfo {
        name,
        min_args,
        max_args,
        signature,
    }
}

/// Every function, sorted by name.
pub const FUNCTIONS: &[FunctionInfo] = &[
    f("cidrhost", 2, Some(2), "cidrhost(prefix, hostnum)"),
    f(
        "cidrsubnet",
        3,
        Some(3),
        "cidrsubnet(prefix, newbits, netnum)",
    ),
    f("coalesce", 1, None, "coalesce(value, ...)"),
    f("concat", 1, None, "concat(list, ...)"),
    f("contains", 2, Some(2), "contains(list, value)"),
    f("distinct", 1, Some(1), "distinct(list)"),
    f("element", 2, Some(2), "element(list, index)"),
    f("flatten", 1, Some(1), "flatten(list)"),
    f("format", 1, None, "format(spec, value, ...)"),
    f("index", 2, Some(2), "index(list, value)"),
    f("join", 2, Some(2), "join(separator, list)"),
    f("jsonencode", 1, Some(1), "jsonencode(value)"),
    f("keys", 1, Some(1), "keys(map)"),
    f("length", 1, Some(1), "length(list | map | string)"),
    f("lookup", 2, Some(3), "lookup(map, key, default)"),
    f("lower", 1, Some(1), "lower(string)"),
    f("max", 1, None, "max(number, ...)"),
    f("merge", 0, None, "merge(map, ...)"),
    f("min", 1, None, "min(number, ...)"),
    f("range", 1, Some(3), "range([start,] limit [, step])"),
    f(
        "replace",
        3,
        Some(3),
        "replace(string, substring, replacement)",
    ),
    f("split", 2, Some(2), "split(separator, string)"),
    f("substr", 3, Some(3), "substr(string, offset, length)"),
    f("tonumber", 1, Some(1), "tonumber(value)"),
    f("tostring", 1, Some(1), "tostring(value)"),
    f("trimspace", 1, Some(1), "trimspace(string)"),
    f("upper", 1, Some(1), "upper(string)"),
    f("values", 1, Some(1), "values(map)"),
    f("zipmap", 2, Some(2), "zipmap(keys, values)"),
];

/// The table entry of a function.
pub fn function_info(name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

fn defs() -> &'static [(&'static str, FuncDef)] {
    static DEFS: OnceLock<Vec<(&'static str, FuncDef)>> = OnceLock::new();
    DEFS.get_or_init(|| {
        use ParamType as P;
        let list = || P::array_of(P::Any);
        let map = || P::object_of(P::Any);
        let b = FuncDef::builder;
        vec![
            (
                "cidrhost",
                b().params([P::String, P::Number]).build(cidrhost),
            ),
            (
                "cidrsubnet",
                b().params([P::String, P::Number, P::Number])
                    .build(cidrsubnet),
            ),
            ("coalesce", b().variadic_param(P::Any).build(coalesce)),
            ("concat", b().variadic_param(list()).build(concat)),
            ("contains", b().params([list(), P::Any]).build(contains)),
            ("distinct", b().param(list()).build(distinct)),
            ("element", b().params([list(), P::Number]).build(element)),
            ("flatten", b().param(list()).build(flatten)),
            (
                "format",
                b().param(P::String).variadic_param(P::Any).build(format),
            ),
            ("index", b().params([list(), P::Any]).build(index)),
            (
                "join",
                b().params([P::String, P::array_of(P::Any)]).build(join),
            ),
            ("jsonencode", b().param(P::Any).build(jsonencode)),
            ("keys", b().param(map()).build(keys)),
            (
                "length",
                b().param(P::one_of([list(), map(), P::String]))
                    .build(length),
            ),
            (
                "lookup",
                b().params([map(), P::String])
                    .variadic_param(P::Any)
                    .build(lookup),
            ),
            (
                "lower",
                b().param(P::String)
                    .build(|a| Ok(H::from(str_arg(&a, 0)?.to_lowercase()))),
            ),
            ("max", b().variadic_param(P::Number).build(max)),
            ("merge", b().variadic_param(P::nullable(map())).build(merge)),
            ("min", b().variadic_param(P::Number).build(min)),
            ("range", b().variadic_param(P::Number).build(range)),
            (
                "replace",
                b().params([P::String, P::String, P::String]).build(replace),
            ),
            ("split", b().params([P::String, P::String]).build(split)),
            (
                "substr",
                b().params([P::String, P::Number, P::Number]).build(substr),
            ),
            (
                "tonumber",
                b().param(P::nullable(P::one_of([P::Number, P::String])))
                    .build(tonumber),
            ),
            (
                "tostring",
                b().param(P::nullable(P::one_of([P::String, P::Number, P::Bool])))
                    .build(tostring),
            ),
            (
                "trimspace",
                b().param(P::String)
                    .build(|a| Ok(H::from(str_arg(&a, 0)?.trim()))),
            ),
            (
                "upper",
                b().param(P::String)
                    .build(|a| Ok(H::from(str_arg(&a, 0)?.to_uppercase()))),
            ),
            ("values", b().param(map()).build(values)),
            (
                "zipmap",
                b().params([P::array_of(P::String), list()]).build(zipmap),
            ),
        ]
    })
}

/// Declares every function in an hcl-rs evaluation context.
pub(crate) fn declare_all(ctx: &mut Context<'_>) {
    for (name, def) in defs() {
        ctx.declare_func(*name, def.clone());
    }
}

fn str_arg(args: &FuncArgs, i: usize) -> Result<&str, String> {
    args.get(i)
        .and_then(H::as_str)
        .ok_or_else(|| format!("argument {} must be a string", i + 1))
}

fn num_arg(args: &FuncArgs, i: usize) -> Result<f64, String> {
    args.get(i)
        .and_then(H::as_f64)
        .ok_or_else(|| format!("argument {} must be a number", i + 1))
}

fn int_arg(args: &FuncArgs, i: usize) -> Result<i64, String> {
    let n = num_arg(args, i)?;
    if n.fract() != 0.0 {
        return Err(format!(
            "argument {} must be a whole number, got {n}",
            i + 1
        ));
    }
    Ok(n as i64)
}

fn list_arg(args: &FuncArgs, i: usize) -> Result<&Vec<H>, String> {
    args.get(i)
        .and_then(H::as_array)
        .ok_or_else(|| format!("argument {} must be a list", i + 1))
}

fn num(n: f64) -> H {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        H::from(n as i64)
    } else {
        hcl::Number::from_f64(n).map_or(H::Null, H::Number)
    }
}

fn parse_prefix(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .map_err(|_| format!("invalid CIDR prefix {text:?} (expected e.g. \"10.0.0.0/16\")"))
}

fn cidrsubnet(args: FuncArgs) -> Result<H, String> {
    let net = parse_prefix(str_arg(&args, 0)?)?;
    let newbits = int_arg(&args, 1)?;
    let netnum = int_arg(&args, 2)?;
    let max_len = net.max_prefix_len() as i64;
    let new_len = net.prefix_len() as i64 + newbits;
    if newbits < 0 || new_len > max_len {
        return Err(format!(
            "cannot extend prefix /{} by {newbits} bits: an {} prefix is at most /{max_len}",
            net.prefix_len(),
            if max_len == 32 { "IPv4" } else { "IPv6" }
        ));
    }
    // Room for more than 2^63 subnets is more than netnum can address anyway.
    if netnum < 0 || (newbits < 63 && netnum >= (1i64 << newbits)) {
        return Err(format!(
            "netnum {netnum} does not fit in {newbits} bits (0..{})",
            (1u128 << newbits) - 1
        ));
    }
    let host_bits = (max_len - new_len) as u32;
    let new_len = new_len as u8;
    let addr = match net.network() {
        IpAddr::V4(base) => {
            let shifted = (netnum as u64).checked_shl(host_bits).unwrap_or(0) as u32;
            IpAddr::V4(Ipv4Addr::from(u32::from(base) | shifted))
        }
        IpAddr::V6(base) => {
            let shifted = (netnum as u128).checked_shl(host_bits).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(base) | shifted))
        }
    };
    Ok(H::from(format!("{addr}/{new_len}")))
}

fn cidrhost(args: FuncArgs) -> Result<H, String> {
    let net = parse_prefix(str_arg(&args, 0)?)?;
    let hostnum = int_arg(&args, 1)?;
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    let size: i128 = if host_bits >= 127 {
        i128::MAX
    } else {
        1i128 << host_bits
    };
    let offset = if hostnum < 0 {
        size + i128::from(hostnum)
    } else {
        i128::from(hostnum)
    };
    if offset < 0 || offset >= size {
        return Err(format!("prefix {net} has no host number {hostnum}"));
    }
    let addr = match net.network() {
        IpAddr::V4(base) => IpAddr::V4(Ipv4Addr::from(u32::from(base).wrapping_add(offset as u32))),
        IpAddr::V6(base) => IpAddr::V6(Ipv6Addr::from(
            u128::from(base).wrapping_add(offset as u128),
        )),
    };
    Ok(H::from(addr.to_string()))
}

fn coalesce(args: FuncArgs) -> Result<H, String> {
    args.iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| "no non-null, non-empty argument".to_string())
}

fn concat(args: FuncArgs) -> Result<H, String> {
    Ok(H::Array(
        args.iter()
            .filter_map(H::as_array)
            .flatten()
            .cloned()
            .collect(),
    ))
}

fn contains(args: FuncArgs) -> Result<H, String> {
    let needle = args.get(1).cloned().unwrap_or(H::Null);
    Ok(H::Bool(list_arg(&args, 0)?.contains(&needle)))
}

fn distinct(args: FuncArgs) -> Result<H, String> {
    let mut out: Vec<H> = Vec::new();
    for v in list_arg(&args, 0)? {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(H::Array(out))
}

fn element(args: FuncArgs) -> Result<H, String> {
    let list = list_arg(&args, 0)?;
    let index = int_arg(&args, 1)?;
    if list.is_empty() {
        return Err("cannot use element() on an empty list".into());
    }
    if index < 0 {
        return Err(format!("index must not be negative, got {index}"));
    }
    Ok(list[(index as usize) % list.len()].clone())
}

fn flatten_into(value: &H, out: &mut Vec<H>) {
    match value {
        H::Array(items) => items.iter().for_each(|i| flatten_into(i, out)),
        other => out.push(other.clone()),
    }
}

fn flatten(args: FuncArgs) -> Result<H, String> {
    let mut out = Vec::new();
    for v in list_arg(&args, 0)? {
        flatten_into(v, &mut out);
    }
    Ok(H::Array(out))
}

/// Text of a primitive for `%s` / `%v` / `join`.
fn display(value: &H) -> Result<String, String> {
    match value {
        H::String(s) => Ok(s.clone()),
        H::Number(n) => Ok(n.to_string()),
        H::Bool(b) => Ok(b.to_string()),
        H::Null => Err("cannot format null".into()),
        H::Array(_) | H::Object(_) => {
            Err("cannot format a list or map as a string; use jsonencode()".into())
        }
    }
}

fn format(args: FuncArgs) -> Result<H, String> {
    let spec = str_arg(&args, 0)?;
    let mut values = args.iter().skip(1);
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            precision = digits.parse::<usize>().ok();
        }
        let verb = chars.next().ok_or("format string ends with a lone `%`")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let value = values
            .next()
            .ok_or_else(|| format!("not enough arguments for `%{verb}` in {spec:?}"))?;
        match verb {
            's' | 'v' => out.push_str(&match value {
                H::Array(_) | H::Object(_) if verb == 'v' => value_to_json(value).to_string(),
                _ => display(value)?,
            }),
            'd' => {
                let n = value
                    .as_f64()
                    .ok_or_else(|| format!("`%d` needs a number, got {value}"))?;
                if n.fract() != 0.0 {
                    return Err(format!("`%d` needs a whole number, got {n}"));
                }
                out.push_str(&(n as i64).to_string());
            }
            'f' => {
                let n = value
                    .as_f64()
                    .ok_or_else(|| format!("`%f` needs a number, got {value}"))?;
                out.push_str(&format!("{n:.*}", precision.unwrap_or(6)));
            }
            't' => out.push_str(
                &value
                    .as_bool()
                    .ok_or_else(|| format!("`%t` needs a bool, got {value}"))?
                    .to_string(),
            ),
            'q' => out.push_str(&serde_json::Value::String(display(value)?).to_string()),
            other => {
                return Err(format!(
                    "unsupported format verb `%{other}` (supported: %s %d %f %t %v %q %%)"
                ));
            }
        }
    }
    if values.next().is_some() {
        return Err(format!("too many arguments for format string {spec:?}"));
    }
    Ok(H::from(out))
}

fn index(args: FuncArgs) -> Result<H, String> {
    let needle = args.get(1).cloned().unwrap_or(H::Null);
    list_arg(&args, 0)?
        .iter()
        .position(|v| *v == needle)
        .map(|i| H::from(i as u64))
        .ok_or_else(|| format!("{needle} is not in the list"))
}

fn join(args: FuncArgs) -> Result<H, String> {
    let sep = str_arg(&args, 0)?;
    let parts = list_arg(&args, 1)?
        .iter()
        .map(display)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(H::from(parts.join(sep)))
}

fn value_to_json(value: &H) -> serde_json::Value {
    match value {
        H::Null => serde_json::Value::Null,
        H::Bool(b) => serde_json::Value::Bool(*b),
        H::Number(n) => crate::expr::convert::number_from_hcl(n).to_json(),
        H::String(s) => serde_json::Value::String(s.clone()),
        H::Array(items) => serde_json::Value::Array(items.iter().map(value_to_json).collect()),
        H::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
    }
}

fn jsonencode(args: FuncArgs) -> Result<H, String> {
    Ok(H::from(value_to_json(&args[0]).to_string()))
}

fn keys(args: FuncArgs) -> Result<H, String> {
    let map = args[0].as_object().ok_or("argument 1 must be a map")?;
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    Ok(H::Array(
        keys.into_iter().map(|k| H::from(k.as_str())).collect(),
    ))
}

fn values(args: FuncArgs) -> Result<H, String> {
    let map = args[0].as_object().ok_or("argument 1 must be a map")?;
    let mut entries: Vec<(&String, &H)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    Ok(H::Array(
        entries.into_iter().map(|(_, v)| v.clone()).collect(),
    ))
}

fn length(args: FuncArgs) -> Result<H, String> {
    let n = match &args[0] {
        H::Array(a) => a.len(),
        H::Object(o) => o.len(),
        H::String(s) => s.chars().count(),
        other => return Err(format!("length() needs a list, map or string, got {other}")),
    };
    Ok(H::from(n as u64))
}

fn lookup(args: FuncArgs) -> Result<H, String> {
    let map = args[0].as_object().ok_or("argument 1 must be a map")?;
    let key = str_arg(&args, 1)?;
    if args.len() > 3 {
        return Err(format!("expected 2 or 3 arguments, got {}", args.len()));
    }
    match (map.get(key), args.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(format!("key {key:?} not found and no default given")),
    }
}

fn numbers(args: &FuncArgs) -> Result<Vec<f64>, String> {
    if args.is_empty() {
        return Err("needs at least one number".into());
    }
    args.iter()
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| format!("expected a number, got {v}"))
        })
        .collect()
}

fn max(args: FuncArgs) -> Result<H, String> {
    Ok(num(numbers(&args)?
        .into_iter()
        .fold(f64::NEG_INFINITY, f64::max)))
}

fn min(args: FuncArgs) -> Result<H, String> {
    Ok(num(numbers(&args)?
        .into_iter()
        .fold(f64::INFINITY, f64::min)))
}

fn merge(args: FuncArgs) -> Result<H, String> {
    let mut out = hcl::Map::new();
    for arg in args.iter() {
        if let Some(map) = arg.as_object() {
            for (k, v) in map {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(H::Object(out))
}

fn range(args: FuncArgs) -> Result<H, String> {
    let n = numbers(&args)?;
    let (start, limit, step) = match n.as_slice() {
        [limit] => (0.0, *limit, 1.0),
        [start, limit] => (*start, *limit, if limit >= start { 1.0 } else { -1.0 }),
        [start, limit, step] => (*start, *limit, *step),
        _ => return Err(format!("expected 1 to 3 arguments, got {}", n.len())),
    };
    if step == 0.0 {
        return Err("step must not be zero".into());
    }
    if (step > 0.0 && limit < start) || (step < 0.0 && limit > start) {
        return Err("step goes away from the limit".into());
    }
    let count = ((limit - start) / step).ceil();
    if count.is_nan() || count > MAX_RANGE as f64 {
        return Err(format!("range would have more than {MAX_RANGE} elements"));
    }
    super::budget::charge(count as u64)?;
    Ok(H::Array(
        (0..count as usize)
            .map(|i| num(start + step * i as f64))
            .collect(),
    ))
}

fn replace(args: FuncArgs) -> Result<H, String> {
    let (s, from, to) = (str_arg(&args, 0)?, str_arg(&args, 1)?, str_arg(&args, 2)?);
    if from.is_empty() {
        return Ok(H::from(s));
    }
    // The one function whose result can dwarf its arguments (every match
    // becomes a copy of `to`): charge it before building it.
    if to.len() > from.len() {
        let grows = s.matches(from).count() as u64 * (to.len() - from.len()) as u64;
        super::budget::charge(grows / 64)?;
    }
    Ok(H::from(s.replace(from, to)))
}

fn split(args: FuncArgs) -> Result<H, String> {
    let (sep, s) = (str_arg(&args, 0)?, str_arg(&args, 1)?);
    if sep.is_empty() {
        return Err("separator must not be empty".into());
    }
    Ok(H::Array(s.split(sep).map(H::from).collect()))
}

fn substr(args: FuncArgs) -> Result<H, String> {
    let chars: Vec<char> = str_arg(&args, 0)?.chars().collect();
    let len = chars.len() as i64;
    let offset = int_arg(&args, 1)?;
    let length = int_arg(&args, 2)?;
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
    Ok(H::from(
        chars[start as usize..end as usize]
            .iter()
            .collect::<String>(),
    ))
}

fn tonumber(args: FuncArgs) -> Result<H, String> {
    match &args[0] {
        H::Null => Ok(H::Null),
        H::Number(n) => Ok(H::Number(*n)),
        H::String(s) => s
            .trim()
            .parse::<f64>()
            .map(num)
            .map_err(|_| format!("cannot convert {s:?} to a number")),
        other => Err(format!("cannot convert {other} to a number")),
    }
}

fn tostring(args: FuncArgs) -> Result<H, String> {
    match &args[0] {
        H::Null => Ok(H::Null),
        other => display(other).map(H::from),
    }
}

fn zipmap(args: FuncArgs) -> Result<H, String> {
    let keys = list_arg(&args, 0)?;
    let values = list_arg(&args, 1)?;
    if keys.len() != values.len() {
        return Err(format!("{} keys but {} values", keys.len(), values.len()));
    }
    let mut out = hcl::Map::new();
    for (k, v) in keys.iter().zip(values) {
        out.insert(display(k)?, v.clone());
    }
    Ok(H::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl::eval::Evaluate;
    use std::str::FromStr;

    fn eval(src: &str) -> Result<H, String> {
        let mut ctx = Context::new();
        declare_all(&mut ctx);
        let expr = hcl::Expression::from_str(src).map_err(|e| e.to_string())?;
        expr.evaluate(&ctx).map_err(|e| e.to_string())
    }

    fn ok(src: &str) -> String {
        match eval(src) {
            Ok(v) => crate::expr::convert::from_hcl(&v).to_json().to_string(),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    #[test]
    fn table_matches_definitions() {
        let names: Vec<&str> = defs().iter().map(|(n, _)| *n).collect();
        let table: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        assert_eq!(names, table);
        let mut sorted = table.clone();
        sorted.sort();
        assert_eq!(sorted, table);
    }

    #[test]
    fn cidr_functions() {
        assert_eq!(ok(r#"cidrsubnet("10.0.0.0/16", 8, 2)"#), r#""10.0.2.0/24""#);
        assert_eq!(
            ok(r#"cidrsubnet("10.10.0.0/16", 4, 15)"#),
            r#""10.10.240.0/20""#
        );
        assert_eq!(ok(r#"cidrsubnet("10.0.0.0/8", 0, 0)"#), r#""10.0.0.0/8""#);
        assert_eq!(
            ok(r#"cidrsubnet("fd00::/56", 8, 1)"#),
            r#""fd00:0:0:1::/64""#
        );
        assert_eq!(ok(r#"cidrhost("10.0.1.0/24", 5)"#), r#""10.0.1.5""#);
        assert_eq!(ok(r#"cidrhost("10.0.1.0/24", -1)"#), r#""10.0.1.255""#);
        assert!(eval(r#"cidrsubnet("10.0.0.0/16", 8, 256)"#).is_err());
        assert!(eval(r#"cidrsubnet("10.0.0.0/30", 8, 0)"#).is_err());
        assert!(eval(r#"cidrsubnet("nope", 8, 0)"#).is_err());
        assert!(eval(r#"cidrhost("10.0.1.0/24", 256)"#).is_err());
    }

    #[test]
    fn format_verbs() {
        assert_eq!(
            ok(r#"format("%s-%d-%v-%q-%%", "a", 3, true, "x")"#),
            r#""a-3-true-\"x\"-%""#
        );
        assert_eq!(ok(r#"format("%.2f", 1.5)"#), r#""1.50""#);
        assert!(eval(r#"format("%s %s", "a")"#).is_err());
        assert!(eval(r#"format("%s", "a", "b")"#).is_err());
        assert!(eval(r#"format("%d", 1.5)"#).is_err());
    }

    #[test]
    fn collection_functions() {
        assert_eq!(ok(r#"join(",", ["a", "b", 1])"#), r#""a,b,1""#);
        assert_eq!(ok(r#"index(["a", "b"], "b")"#), "1");
        assert!(eval(r#"index(["a"], "z")"#).is_err());
        assert_eq!(ok(r#"split(",", "a,b")"#), r#"["a","b"]"#);
        assert_eq!(ok(r#"lookup({a = 1}, "a")"#), "1");
        assert_eq!(ok(r#"lookup({a = 1}, "b", 7)"#), "7");
        assert!(eval(r#"lookup({a = 1}, "b")"#).is_err());
        assert_eq!(ok(r#"length([1, 2])"#), "2");
        assert_eq!(ok(r#"length("héllo")"#), "5");
        assert_eq!(ok(r#"length({a = 1})"#), "1");
        assert_eq!(ok(r#"merge({a = 1, b = 2}, {b = 3})"#), r#"{"a":1,"b":3}"#);
        assert_eq!(ok(r#"concat([1], [2, 3], [])"#), "[1,2,3]");
        assert_eq!(ok(r#"element(["a", "b"], 3)"#), r#""b""#);
        assert!(eval(r#"element([], 0)"#).is_err());
        assert_eq!(ok(r#"upper("ab")"#), r#""AB""#);
        assert_eq!(ok(r#"lower("AB")"#), r#""ab""#);
        assert_eq!(ok(r#"keys({b = 1, a = 2})"#), r#"["a","b"]"#);
        assert_eq!(ok(r#"values({b = 1, a = 2})"#), "[2,1]");
        assert_eq!(ok(r#"contains(["a"], "a")"#), "true");
        assert_eq!(ok(r#"replace("a-b-c", "-", "_")"#), r#""a_b_c""#);
        assert_eq!(ok(r#"trimspace("  x ")"#), r#""x""#);
        assert_eq!(ok(r#"tostring(5)"#), r#""5""#);
        assert_eq!(ok(r#"tonumber("5")"#), "5");
        assert!(eval(r#"tonumber("x")"#).is_err());
        assert_eq!(
            ok(r#"jsonencode({a = [1, "x"]})"#),
            r#""{\"a\":[1,\"x\"]}""#
        );
        assert_eq!(ok(r#"coalesce("", null, "b")"#), r#""b""#);
        assert_eq!(ok(r#"min(3, 1, 2)"#), "1");
        assert_eq!(ok(r#"max(3, 1, 2)"#), "3");
        assert_eq!(ok(r#"range(3)"#), "[0,1,2]");
        assert_eq!(ok(r#"range(1, 7, 2)"#), "[1,3,5]");
        assert_eq!(ok(r#"zipmap(["a", "b"], [1, 2])"#), r#"{"a":1,"b":2}"#);
        assert_eq!(ok(r#"flatten([[1, [2]], 3])"#), "[1,2,3]");
        assert_eq!(ok(r#"distinct([1, 2, 1])"#), "[1,2]");
        assert_eq!(ok(r#"substr("hello", 1, 3)"#), r#""ell""#);
        assert_eq!(ok(r#"substr("hello", -3, -1)"#), r#""llo""#);
    }

    #[test]
    fn wrong_arguments_are_errors() {
        assert!(eval(r#"upper(1)"#).is_err());
        assert!(eval(r#"join(",")"#).is_err());
        assert!(eval(r#"cidrsubnet("10.0.0.0/16", "x", 1)"#).is_err());
    }
}
