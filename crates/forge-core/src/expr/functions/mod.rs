//! The function library available inside `${ ... }`: Terraform's built-in
//! functions, implemented as hcl-rs [`FuncDef`]s, one file per family.
//!
//! [`FUNCTIONS`] is the single table of every function: its name, how many
//! arguments it takes, how it is called, what it does, and its
//! implementation. The loader uses it to report unknown functions (with
//! did-you-mean) and wrong argument counts before anything is evaluated,
//! the evaluator declares its implementations, and `forge functions`
//! prints it.
//!
//! Arguments are converted as Terraform converts them: a number or bool
//! where a string is wanted becomes its text, a string where a number or
//! bool is wanted is parsed. A null argument is an error unless the
//! function accepts null. Unknown values never reach these functions: the
//! evaluator makes a call whose arguments are not all known unknown
//! itself. `try`, `can`, `sensitive`, `nonsensitive` and `issensitive`
//! are evaluated by the evaluator (`eval.rs`), which can catch an argument's error and
//! carries sensitivity marks; their entries here serve calls nested where
//! hcl-rs evaluates (inside `for` bodies and operators).

mod collections;
mod conversion;
mod crypto;
mod encoding;
pub(crate) mod files;
mod network;
mod numeric;
mod strings;
pub(crate) mod time;

use hcl::Value as H;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use std::sync::OnceLock;

/// The implementation of a function (an hcl-rs function pointer).
pub type Func = fn(FuncArgs) -> Result<H, String>;

/// A function: its name, arguments, usage and implementation.
#[derive(Debug, Clone, Copy)]
pub struct FunctionInfo {
    /// Its name.
    pub name: &'static str,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`None`: variadic).
    pub max_args: Option<usize>,
    /// How it is called, for hints and `forge functions`.
    pub signature: &'static str,
    /// What it does, in one line.
    pub description: &'static str,
    /// The implementation.
    pub(crate) func: Func,
}

const fn f(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    signature: &'static str,
    description: &'static str,
    func: Func,
) -> FunctionInfo {
    FunctionInfo {
        name,
        min_args,
        max_args,
        signature,
        description,
        func,
    }
}

use collections as c;
use conversion as v;
use crypto as h;
use encoding as e;
use files as fs;
use network as n;
use numeric as m;
use strings as s;
use time as t;

/// Every function, sorted by name.
pub const FUNCTIONS: &[FunctionInfo] = &[
    f(
        "abs",
        1,
        Some(1),
        "abs(number)",
        "The absolute value of a number.",
        m::abs,
    ),
    f(
        "alltrue",
        1,
        Some(1),
        "alltrue(list)",
        "True when every element of a list of bools is true (or the list is empty).",
        c::alltrue,
    ),
    f(
        "anytrue",
        1,
        Some(1),
        "anytrue(list)",
        "True when any element of a list of bools is true.",
        c::anytrue,
    ),
    f(
        "base64decode",
        1,
        Some(1),
        "base64decode(string)",
        "Decodes a Base64 string that holds UTF-8 text.",
        e::base64decode,
    ),
    f(
        "base64encode",
        1,
        Some(1),
        "base64encode(string)",
        "Encodes a string's UTF-8 bytes as Base64.",
        e::base64encode,
    ),
    f(
        "base64sha256",
        1,
        Some(1),
        "base64sha256(string)",
        "The SHA-256 digest of a string, Base64-encoded.",
        h::base64sha256,
    ),
    f(
        "base64sha512",
        1,
        Some(1),
        "base64sha512(string)",
        "The SHA-512 digest of a string, Base64-encoded.",
        h::base64sha512,
    ),
    f(
        "can",
        1,
        Some(1),
        "can(expression)",
        "True when the expression evaluates without an error.",
        v::can,
    ),
    f(
        "ceil",
        1,
        Some(1),
        "ceil(number)",
        "The smallest whole number not less than a number.",
        m::ceil,
    ),
    f(
        "chomp",
        1,
        Some(1),
        "chomp(string)",
        "Removes newline characters at the end of a string.",
        s::chomp,
    ),
    f(
        "chunklist",
        2,
        Some(2),
        "chunklist(list, size)",
        "Splits a list into lists of at most `size` elements.",
        c::chunklist,
    ),
    f(
        "cidrhost",
        2,
        Some(2),
        "cidrhost(prefix, hostnum)",
        "The address of host number `hostnum` in a CIDR prefix (negative counts from the end).",
        n::cidrhost,
    ),
    f(
        "cidrnetmask",
        1,
        Some(1),
        "cidrnetmask(prefix)",
        "The dotted netmask of an IPv4 CIDR prefix.",
        n::cidrnetmask,
    ),
    f(
        "cidrsubnet",
        3,
        Some(3),
        "cidrsubnet(prefix, newbits, netnum)",
        "Subnet `netnum` of a prefix extended by `newbits` bits.",
        n::cidrsubnet,
    ),
    f(
        "cidrsubnets",
        1,
        None,
        "cidrsubnets(prefix, newbits, ...)",
        "Consecutive subnets of a prefix, one per `newbits` argument.",
        n::cidrsubnets,
    ),
    f(
        "coalesce",
        1,
        None,
        "coalesce(value, ...)",
        "The first argument that is not null or an empty string.",
        c::coalesce,
    ),
    f(
        "coalescelist",
        1,
        None,
        "coalescelist(list, ...)",
        "The first argument that is a non-empty list.",
        c::coalescelist,
    ),
    f(
        "compact",
        1,
        Some(1),
        "compact(list)",
        "A list of strings without its null and empty elements.",
        c::compact,
    ),
    f(
        "concat",
        1,
        None,
        "concat(list, ...)",
        "The lists joined into one.",
        c::concat,
    ),
    f(
        "contains",
        2,
        Some(2),
        "contains(list, value)",
        "True when a list holds a value.",
        c::contains,
    ),
    f(
        "csvdecode",
        1,
        Some(1),
        "csvdecode(string)",
        "A list of maps from CSV text whose first line names the columns.",
        e::csvdecode,
    ),
    f(
        "distinct",
        1,
        Some(1),
        "distinct(list)",
        "A list without its repeated elements (first occurrences kept).",
        c::distinct,
    ),
    f(
        "element",
        2,
        Some(2),
        "element(list, index)",
        "The element at an index, wrapping around the list's end.",
        c::element,
    ),
    f(
        "endswith",
        2,
        Some(2),
        "endswith(string, suffix)",
        "True when a string ends with a suffix.",
        s::endswith,
    ),
    f(
        "file",
        1,
        Some(1),
        "file(path)",
        "The UTF-8 text of a file, relative to the spec file's folder.",
        fs::file,
    ),
    f(
        "filebase64",
        1,
        Some(1),
        "filebase64(path)",
        "The bytes of a file, Base64-encoded.",
        fs::filebase64,
    ),
    f(
        "fileexists",
        1,
        Some(1),
        "fileexists(path)",
        "True when a file exists (relative to the spec file's folder).",
        fs::fileexists,
    ),
    f(
        "fileset",
        2,
        Some(2),
        "fileset(path, pattern)",
        "The files under a folder matching a glob pattern, sorted.",
        fs::fileset,
    ),
    f(
        "flatten",
        1,
        Some(1),
        "flatten(list)",
        "Nested lists flattened into one list.",
        c::flatten,
    ),
    f(
        "floor",
        1,
        Some(1),
        "floor(number)",
        "The largest whole number not greater than a number.",
        m::floor,
    ),
    f(
        "format",
        1,
        None,
        "format(spec, value, ...)",
        "Formats values by a printf-style spec (%s %d %f %t %v %q %%).",
        s::format,
    ),
    f(
        "formatdate",
        2,
        Some(2),
        "formatdate(spec, timestamp)",
        "Formats an RFC 3339 timestamp (YYYY-MM-DD hh:mm:ss ZZZ ...).",
        t::formatdate,
    ),
    f(
        "formatlist",
        1,
        None,
        "formatlist(spec, value, ...)",
        "format() over lists: one string per element.",
        s::formatlist,
    ),
    f(
        "indent",
        2,
        Some(2),
        "indent(spaces, string)",
        "Indents every line but the first by a number of spaces.",
        s::indent,
    ),
    f(
        "index",
        2,
        Some(2),
        "index(list, value)",
        "The index of the first element equal to a value.",
        c::index,
    ),
    f(
        "issensitive",
        1,
        Some(1),
        "issensitive(value)",
        "True when the value is marked sensitive.",
        v::issensitive,
    ),
    f(
        "join",
        2,
        None,
        "join(separator, list, ...)",
        "The strings of lists joined by a separator.",
        s::join,
    ),
    f(
        "jsondecode",
        1,
        Some(1),
        "jsondecode(string)",
        "The value a JSON text describes.",
        e::jsondecode,
    ),
    f(
        "jsonencode",
        1,
        Some(1),
        "jsonencode(value)",
        "A value as JSON text.",
        e::jsonencode,
    ),
    f(
        "keys",
        1,
        Some(1),
        "keys(map)",
        "A map's keys, sorted.",
        c::keys,
    ),
    f(
        "length",
        1,
        Some(1),
        "length(list | map | string)",
        "The number of elements, entries or characters.",
        c::length,
    ),
    f(
        "log",
        2,
        Some(2),
        "log(number, base)",
        "The logarithm of a number in a base.",
        m::log,
    ),
    f(
        "lookup",
        2,
        Some(3),
        "lookup(map, key, default)",
        "A map's value at a key, else the default.",
        c::lookup,
    ),
    f(
        "lower",
        1,
        Some(1),
        "lower(string)",
        "A string in lower case.",
        s::lower,
    ),
    f(
        "matchkeys",
        3,
        Some(3),
        "matchkeys(values, keys, searchset)",
        "The values whose key at the same index is in the search set.",
        c::matchkeys,
    ),
    f(
        "max",
        1,
        None,
        "max(number, ...)",
        "The greatest number.",
        m::max,
    ),
    f(
        "md5",
        1,
        Some(1),
        "md5(string)",
        "The MD5 digest of a string, in hex.",
        h::md5,
    ),
    f(
        "merge",
        0,
        None,
        "merge(map, ...)",
        "The maps merged; later keys win.",
        c::merge,
    ),
    f(
        "min",
        1,
        None,
        "min(number, ...)",
        "The least number.",
        m::min,
    ),
    f(
        "nonsensitive",
        1,
        Some(1),
        "nonsensitive(value)",
        "The value without its sensitive mark (shown in plans again).",
        v::identity,
    ),
    f(
        "one",
        1,
        Some(1),
        "one(list)",
        "The only element of a list of zero or one elements (null when empty).",
        c::one,
    ),
    f(
        "parseint",
        2,
        Some(2),
        "parseint(string, base)",
        "A whole number parsed from text in a base from 2 to 62.",
        m::parseint,
    ),
    f(
        "pow",
        2,
        Some(2),
        "pow(number, power)",
        "A number raised to a power.",
        m::pow,
    ),
    f(
        "range",
        1,
        Some(3),
        "range([start,] limit [, step])",
        "A list of numbers from start up to (not including) limit.",
        c::range,
    ),
    f(
        "regex",
        2,
        Some(2),
        "regex(pattern, string)",
        "The first match of a regular expression (its captures, if any).",
        s::regex,
    ),
    f(
        "regexall",
        2,
        Some(2),
        "regexall(pattern, string)",
        "Every match of a regular expression.",
        s::regexall,
    ),
    f(
        "replace",
        3,
        Some(3),
        "replace(string, search, replacement)",
        "Replaces a substring, or a /regex/ with $1 references.",
        s::replace,
    ),
    f(
        "reverse",
        1,
        Some(1),
        "reverse(list)",
        "A list in reverse order.",
        c::reverse,
    ),
    f(
        "sensitive",
        1,
        Some(1),
        "sensitive(value)",
        "The value marked sensitive (masked in plans and output).",
        v::identity,
    ),
    f(
        "setintersection",
        1,
        None,
        "setintersection(set, ...)",
        "The elements in every set.",
        c::setintersection,
    ),
    f(
        "setproduct",
        1,
        None,
        "setproduct(list, ...)",
        "Every combination of one element from each list.",
        c::setproduct,
    ),
    f(
        "setsubtract",
        2,
        Some(2),
        "setsubtract(a, b)",
        "The elements of the first set that are not in the second.",
        c::setsubtract,
    ),
    f(
        "setunion",
        1,
        None,
        "setunion(set, ...)",
        "The elements in any of the sets.",
        c::setunion,
    ),
    f(
        "sha1",
        1,
        Some(1),
        "sha1(string)",
        "The SHA-1 digest of a string, in hex.",
        h::sha1,
    ),
    f(
        "sha256",
        1,
        Some(1),
        "sha256(string)",
        "The SHA-256 digest of a string, in hex.",
        h::sha256,
    ),
    f(
        "sha512",
        1,
        Some(1),
        "sha512(string)",
        "The SHA-512 digest of a string, in hex.",
        h::sha512,
    ),
    f(
        "signum",
        1,
        Some(1),
        "signum(number)",
        "-1, 0 or 1: the sign of a number.",
        m::signum,
    ),
    f(
        "slice",
        3,
        Some(3),
        "slice(list, start, end)",
        "The elements from start up to (not including) end.",
        c::slice,
    ),
    f(
        "sort",
        1,
        Some(1),
        "sort(list)",
        "A list of strings in lexical order.",
        c::sort,
    ),
    f(
        "split",
        2,
        Some(2),
        "split(separator, string)",
        "A string split at a separator.",
        s::split,
    ),
    f(
        "startswith",
        2,
        Some(2),
        "startswith(string, prefix)",
        "True when a string starts with a prefix.",
        s::startswith,
    ),
    f(
        "strcontains",
        2,
        Some(2),
        "strcontains(string, substr)",
        "True when a string contains a substring.",
        s::strcontains,
    ),
    f(
        "strrev",
        1,
        Some(1),
        "strrev(string)",
        "A string's characters in reverse order.",
        s::strrev,
    ),
    f(
        "substr",
        3,
        Some(3),
        "substr(string, offset, length)",
        "Part of a string by character offset and length (-1: to the end).",
        s::substr,
    ),
    f(
        "sum",
        1,
        Some(1),
        "sum(list)",
        "The sum of a list of numbers.",
        c::sum,
    ),
    f(
        "templatefile",
        2,
        Some(2),
        "templatefile(path, vars)",
        "A file rendered as a template with the given variables.",
        fs::templatefile,
    ),
    f(
        "timeadd",
        2,
        Some(2),
        "timeadd(timestamp, duration)",
        "An RFC 3339 timestamp plus a duration such as \"1h30m\".",
        t::timeadd,
    ),
    f(
        "timecmp",
        2,
        Some(2),
        "timecmp(a, b)",
        "-1, 0 or 1: how two RFC 3339 timestamps compare.",
        t::timecmp,
    ),
    f(
        "timestamp",
        0,
        Some(0),
        "timestamp()",
        "The time of this run in UTC, RFC 3339 (one value per run).",
        t::timestamp,
    ),
    f(
        "title",
        1,
        Some(1),
        "title(string)",
        "A string with the first letter of each word in upper case.",
        s::title,
    ),
    f(
        "tobool",
        1,
        Some(1),
        "tobool(value)",
        "A value converted to a bool (\"true\"/\"false\" strings too).",
        v::tobool,
    ),
    f(
        "tolist",
        1,
        Some(1),
        "tolist(value)",
        "A list or set converted to a list.",
        v::tolist,
    ),
    f(
        "tomap",
        1,
        Some(1),
        "tomap(value)",
        "An object converted to a map.",
        v::tomap,
    ),
    f(
        "tonumber",
        1,
        Some(1),
        "tonumber(value)",
        "A value converted to a number.",
        v::tonumber,
    ),
    f(
        "toset",
        1,
        Some(1),
        "toset(value)",
        "A list converted to a set: distinct elements, sorted.",
        v::toset,
    ),
    f(
        "tostring",
        1,
        Some(1),
        "tostring(value)",
        "A primitive value converted to a string.",
        v::tostring,
    ),
    f(
        "transpose",
        1,
        Some(1),
        "transpose(map)",
        "A map of lists of strings with keys and values swapped.",
        c::transpose,
    ),
    f(
        "trim",
        2,
        Some(2),
        "trim(string, chars)",
        "A string without any of the given characters at either end.",
        s::trim,
    ),
    f(
        "trimprefix",
        2,
        Some(2),
        "trimprefix(string, prefix)",
        "A string without a prefix.",
        s::trimprefix,
    ),
    f(
        "trimspace",
        1,
        Some(1),
        "trimspace(string)",
        "A string without whitespace at either end.",
        s::trimspace,
    ),
    f(
        "trimsuffix",
        2,
        Some(2),
        "trimsuffix(string, suffix)",
        "A string without a suffix.",
        s::trimsuffix,
    ),
    f(
        "try",
        1,
        None,
        "try(expression, ...)",
        "The first argument that evaluates without an error.",
        v::try_,
    ),
    f(
        "upper",
        1,
        Some(1),
        "upper(string)",
        "A string in upper case.",
        s::upper,
    ),
    f(
        "urlencode",
        1,
        Some(1),
        "urlencode(string)",
        "A string escaped for a URL query.",
        e::urlencode,
    ),
    f(
        "uuidv5",
        2,
        Some(2),
        "uuidv5(namespace, name)",
        "A name-based (SHA-1) UUID in a namespace (dns, url, oid, x500 or a UUID).",
        h::uuidv5,
    ),
    f(
        "values",
        1,
        Some(1),
        "values(map)",
        "A map's values, in key order.",
        c::values,
    ),
    f(
        "yamldecode",
        1,
        Some(1),
        "yamldecode(string)",
        "The value a YAML document describes.",
        e::yamldecode,
    ),
    f(
        "yamlencode",
        1,
        Some(1),
        "yamlencode(value)",
        "A value as YAML text.",
        e::yamlencode,
    ),
    f(
        "zipmap",
        2,
        Some(2),
        "zipmap(keys, values)",
        "A map from a list of keys and a list of values.",
        c::zipmap,
    ),
];

/// The table entry of a function.
pub fn function_info(name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

fn defs() -> &'static [(&'static str, FuncDef)] {
    static DEFS: OnceLock<Vec<(&'static str, FuncDef)>> = OnceLock::new();
    DEFS.get_or_init(|| {
        FUNCTIONS
            .iter()
            .map(|info| {
                // Types are checked by the functions themselves (with
                // Terraform's conversions); hcl-rs checks the counts.
                let mut b = FuncDef::builder();
                for _ in 0..info.min_args {
                    b = b.param(ParamType::Any);
                }
                if info.max_args != Some(info.min_args) {
                    b = b.variadic_param(ParamType::Any);
                }
                (info.name, b.build(info.func))
            })
            .collect()
    })
}

/// Declares one function (if it exists) in an hcl-rs evaluation context.
pub(crate) fn declare(ctx: &mut Context<'_>, name: &str) {
    if let Ok(i) = FUNCTIONS.binary_search_by(|f| f.name.cmp(name)) {
        let (name, def) = &defs()[i];
        ctx.declare_func(*name, def.clone());
    }
}

/// Declares every function in an hcl-rs evaluation context.
pub(crate) fn declare_all(ctx: &mut Context<'_>) {
    for (name, def) in defs() {
        ctx.declare_func(*name, def.clone());
    }
}

// ---- argument helpers shared by the families ----

static NULL: H = H::Null;

/// The type of a value, as messages name it.
pub(crate) fn type_of(v: &H) -> &'static str {
    match v {
        H::Null => "null",
        H::Bool(_) => "bool",
        H::Number(_) => "number",
        H::String(_) => "string",
        H::Array(_) => "list",
        H::Object(_) => "map",
    }
}

/// Argument `i` (null when absent).
pub(crate) fn arg(args: &FuncArgs, i: usize) -> &H {
    args.get(i).unwrap_or(&NULL)
}

fn not_null(args: &FuncArgs, i: usize) -> Result<&H, String> {
    match arg(args, i) {
        H::Null => Err(format!("argument {} must not be null", i + 1)),
        v => Ok(v),
    }
}

/// A number's text as Terraform writes it (`1`, `1.5`).
pub(crate) fn number_text(n: &hcl::Number) -> String {
    match super::convert::number_from_hcl(n) {
        crate::value::Value::Number(n) => n.to_string(),
        _ => n.to_string(),
    }
}

/// A value converted to a string, as Terraform converts primitives.
pub(crate) fn to_string(v: &H) -> Option<String> {
    match v {
        H::String(s) => Some(s.clone()),
        H::Number(n) => Some(number_text(n)),
        H::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Argument `i` as a string (numbers and bools converted).
pub(crate) fn string(args: &FuncArgs, i: usize) -> Result<String, String> {
    let v = not_null(args, i)?;
    to_string(v).ok_or_else(|| format!("argument {} must be a string, got a {}", i + 1, type_of(v)))
}

/// A value converted to a number (numeric strings parsed).
pub(crate) fn to_number(v: &H) -> Option<f64> {
    match v {
        H::Number(n) => n.as_f64(),
        H::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// Argument `i` as a number (numeric strings parsed).
pub(crate) fn number(args: &FuncArgs, i: usize) -> Result<f64, String> {
    let v = not_null(args, i)?;
    to_number(v).ok_or_else(|| match v {
        H::String(s) => format!("argument {} must be a number, got {s:?}", i + 1),
        other => format!(
            "argument {} must be a number, got a {}",
            i + 1,
            type_of(other)
        ),
    })
}

/// Argument `i` as a whole number.
pub(crate) fn integer(args: &FuncArgs, i: usize) -> Result<i64, String> {
    let n = number(args, i)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(format!(
            "argument {} must be a whole number, got {}",
            i + 1,
            num(n)
        ));
    }
    Ok(n as i64)
}

/// Argument `i` as a list.
pub(crate) fn list(args: &FuncArgs, i: usize) -> Result<&Vec<H>, String> {
    match not_null(args, i)? {
        H::Array(items) => Ok(items),
        other => Err(format!(
            "argument {} must be a list, got a {}",
            i + 1,
            type_of(other)
        )),
    }
}

/// Argument `i` as a map.
pub(crate) fn map(args: &FuncArgs, i: usize) -> Result<&hcl::Map<String, H>, String> {
    match not_null(args, i)? {
        H::Object(m) => Ok(m),
        other => Err(format!(
            "argument {} must be a map, got a {}",
            i + 1,
            type_of(other)
        )),
    }
}

/// A value for messages: primitives as written, collections by type.
pub(crate) fn describe(v: &H) -> String {
    match v {
        H::String(s) => format!("{s:?}"),
        H::Array(_) | H::Object(_) => format!("a {}", type_of(v)),
        other => other.to_string(),
    }
}

/// A number as an hcl value, whole numbers as integers.
pub(crate) fn num(n: f64) -> H {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        H::from(n as i64)
    } else {
        hcl::Number::from_f64(n).map_or(H::Null, H::Number)
    }
}

/// An hcl value as JSON, object keys sorted (as Terraform writes them).
pub(crate) fn to_json(value: &H) -> serde_json::Value {
    match value {
        H::Null => serde_json::Value::Null,
        H::Bool(b) => serde_json::Value::Bool(*b),
        H::Number(n) => super::convert::number_from_hcl(n).to_json(),
        H::String(s) => serde_json::Value::String(s.clone()),
        H::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        H::Object(map) => {
            let mut entries: Vec<(&String, &H)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), to_json(v)))
                    .collect(),
            )
        }
    }
}

/// JSON as an hcl value.
pub(crate) fn from_json(value: &serde_json::Value) -> H {
    match value {
        serde_json::Value::Null => H::Null,
        serde_json::Value::Bool(b) => H::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => H::from(i),
            (None, Some(u), _) => H::from(u),
            (_, _, Some(f)) => num(f),
            _ => H::Null,
        },
        serde_json::Value::String(s) => H::String(s.clone()),
        serde_json::Value::Array(items) => H::Array(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            H::Object(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_arities_are_consistent() {
        let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            names, sorted,
            "FUNCTIONS must be sorted, without duplicates"
        );
        for f in FUNCTIONS {
            assert!(f.max_args.is_none_or(|m| m >= f.min_args), "{}", f.name);
            assert!(
                f.signature.starts_with(&format!("{}(", f.name)),
                "{}",
                f.name
            );
            assert!(
                !f.description.is_empty() && f.description.ends_with('.'),
                "{}",
                f.name
            );
        }
        assert_eq!(defs().len(), FUNCTIONS.len());
    }

    #[test]
    fn the_functions_the_issue_asks_for_exist() {
        for name in [
            "try",
            "can",
            "file",
            "templatefile",
            "fileexists",
            "fileset",
            "jsondecode",
            "yamlencode",
            "yamldecode",
            "base64encode",
            "base64decode",
            "base64sha256",
            "sha256",
            "sha1",
            "md5",
            "uuidv5",
            "cidrsubnets",
            "cidrnetmask",
            "regex",
            "regexall",
            "replace",
            "trim",
            "trimprefix",
            "trimsuffix",
            "startswith",
            "endswith",
            "strcontains",
            "title",
            "formatlist",
            "indent",
            "chomp",
            "sort",
            "reverse",
            "slice",
            "compact",
            "one",
            "alltrue",
            "anytrue",
            "sum",
            "setunion",
            "setintersection",
            "setsubtract",
            "setproduct",
            "chunklist",
            "coalescelist",
            "transpose",
            "matchkeys",
            "tolist",
            "toset",
            "tomap",
            "tobool",
            "sensitive",
            "nonsensitive",
            "abs",
            "ceil",
            "floor",
            "log",
            "pow",
            "signum",
            "parseint",
            "timestamp",
            "formatdate",
            "timeadd",
            "timecmp",
            "urlencode",
            "csvdecode",
        ] {
            assert!(function_info(name).is_some(), "{name}");
        }
    }

    /// Bad arguments: the message names the function and the argument, the
    /// hint shows how it is called.
    #[test]
    fn bad_argument_errors() {
        let calls = [
            r#"upper(["a"])"#,
            r#"cidrsubnet("10.0.0.0/16", "x", 1)"#,
            r#"cidrsubnet("10.0.0.0/30", 8, 0)"#,
            r#"cidrhost("10.0.0.0/33", 1)"#,
            r#"cidrnetmask("fd00::/64")"#,
            r#"cidrsubnets("10.0.0.0/8", 1, 0)"#,
            r#"element([], 0)"#,
            r#"slice(["a"], 1, 0)"#,
            r#"one(["a", "b"])"#,
            r#"sum([])"#,
            r#"tobool("yes")"#,
            r#"tomap({a = "b", c = ["d"]})"#,
            r#"regex("[", "x")"#,
            r#"regex("a+", "bbb")"#,
            r#"jsondecode("{")"#,
            r#"yamldecode("a: [")"#,
            r#"csvdecode("a,b\n1")"#,
            r#"base64decode("dfg")"#,
            r#"format("%d", "x")"#,
            r#"formatlist("%s %s", ["a"], ["b", "c"])"#,
            r#"parseint("FF", 10)"#,
            r#"pow(-2, 0.5)"#,
            r#"timeadd("2017-11-22T00:00:00Z", "1y")"#,
            r#"formatdate("x", "2018-01-02T23:12:01Z")"#,
            r#"timecmp("2017-11-22 00:00:00Z", "2017-11-22T00:00:00Z")"#,
            r#"uuidv5("tada", "x")"#,
            r#"file("x.txt")"#,
            r#"try(tonumber("x"), sum([]))"#,
            r#"lookup({a = 1}, "b")"#,
            r#"setproduct(["a"])"#,
        ];
        let mut out = String::new();
        for src in calls {
            match testing::eval(src) {
                Ok(v) => out.push_str(&format!("{src}\n  = {v}\n")),
                Err(e) => {
                    out.push_str(&format!("{src}\n  error: {}\n", e.message));
                    if let Some(h) = e.hint {
                        out.push_str(&format!("  hint: {h}\n"));
                    }
                }
            }
        }
        insta::assert_snapshot!(out);
    }
}
