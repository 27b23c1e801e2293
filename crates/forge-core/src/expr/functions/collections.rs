//! Collection functions: lists, maps and sets.
//!
//! HCL values have no set type, so a set is a list of distinct elements in
//! a canonical order (strings lexically, numbers by value): `toset`,
//! `setunion` and friends return such lists, which compare equal however
//! their inputs were ordered.

use super::{integer, list, map, num, number, string, to_number, to_string, type_of};
use crate::expr::budget;
use crate::limits::MAX_RANGE;
use hcl::Value as H;
use hcl::eval::FuncArgs;
use std::cmp::Ordering;

/// The canonical order of set elements.
pub(super) fn set_order(a: &H, b: &H) -> Ordering {
    match (a, b) {
        (H::String(x), H::String(y)) => x.cmp(y),
        (H::Number(_), H::Number(_)) => to_number(a)
            .partial_cmp(&to_number(b))
            .unwrap_or(Ordering::Equal),
        (H::Bool(x), H::Bool(y)) => x.cmp(y),
        _ => super::to_json(a)
            .to_string()
            .cmp(&super::to_json(b).to_string()),
    }
}

/// A list as a set: distinct elements in the canonical order.
pub(super) fn as_set(items: &[H]) -> Vec<H> {
    let mut out: Vec<H> = Vec::with_capacity(items.len());
    for v in items {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out.sort_by(set_order);
    out
}

pub(super) fn alltrue(a: FuncArgs) -> Result<H, String> {
    let items = list(&a, 0)?;
    let mut all = true;
    for (i, v) in items.iter().enumerate() {
        match bool_element(v, i)? {
            Some(true) => {}
            _ => all = false,
        }
    }
    Ok(H::Bool(all))
}

pub(super) fn anytrue(a: FuncArgs) -> Result<H, String> {
    let items = list(&a, 0)?;
    let mut any = false;
    for (i, v) in items.iter().enumerate() {
        any |= bool_element(v, i)? == Some(true);
    }
    Ok(H::Bool(any))
}

fn bool_element(v: &H, i: usize) -> Result<Option<bool>, String> {
    match v {
        H::Null => Ok(None),
        H::Bool(b) => Ok(Some(*b)),
        H::String(s) if s == "true" => Ok(Some(true)),
        H::String(s) if s == "false" => Ok(Some(false)),
        other => Err(format!(
            "element {i} must be a bool, got {}",
            super::describe(other)
        )),
    }
}

pub(super) fn chunklist(a: FuncArgs) -> Result<H, String> {
    let items = list(&a, 0)?;
    let size = integer(&a, 1)?;
    if size < 0 {
        return Err("argument 2 (size) must not be negative".into());
    }
    if size == 0 {
        return Ok(H::Array(vec![H::Array(items.clone())]));
    }
    Ok(H::Array(
        items
            .chunks(size as usize)
            .map(|c| H::Array(c.to_vec()))
            .collect(),
    ))
}

pub(super) fn coalesce(a: FuncArgs) -> Result<H, String> {
    // The arguments first get one type, as in Terraform: `coalesce(null,
    // false, "x")` is the string "false".
    let all = super::conversion::unify(a.iter())?;
    all.into_iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .ok_or_else(|| "no non-null, non-empty-string arguments".to_string())
}

/// Equality after Terraform's conversion to a common type: `1` and `"1"`
/// are equal.
fn loosely_equal(x: &H, y: &H) -> bool {
    x == y
        || (matches!(x, H::String(_) | H::Number(_) | H::Bool(_))
            && matches!(y, H::String(_) | H::Number(_) | H::Bool(_))
            && to_string(x) == to_string(y))
}

pub(super) fn coalescelist(a: FuncArgs) -> Result<H, String> {
    for (i, v) in a.iter().enumerate() {
        match v {
            H::Null => {}
            H::Array(items) if items.is_empty() => {}
            H::Array(_) => return Ok(v.clone()),
            other => {
                return Err(format!(
                    "argument {} must be a list, got a {}",
                    i + 1,
                    type_of(other)
                ));
            }
        }
    }
    Err("no non-null, non-empty list arguments".into())
}

pub(super) fn compact(a: FuncArgs) -> Result<H, String> {
    let mut out = Vec::new();
    for (i, v) in list(&a, 0)?.iter().enumerate() {
        match v {
            H::Null => {}
            other => match to_string(other) {
                Some(s) if s.is_empty() => {}
                Some(s) => out.push(H::from(s)),
                None => {
                    return Err(format!(
                        "element {i} must be a string, got a {}",
                        type_of(other)
                    ));
                }
            },
        }
    }
    Ok(H::Array(out))
}

pub(super) fn concat(a: FuncArgs) -> Result<H, String> {
    let mut out = Vec::new();
    for i in 0..a.len() {
        out.extend(list(&a, i)?.iter().cloned());
    }
    Ok(H::Array(out))
}

pub(super) fn contains(a: FuncArgs) -> Result<H, String> {
    let needle = super::arg(&a, 1);
    Ok(H::Bool(
        list(&a, 0)?.iter().any(|v| loosely_equal(v, needle)),
    ))
}

pub(super) fn distinct(a: FuncArgs) -> Result<H, String> {
    let mut out: Vec<H> = Vec::new();
    for v in list(&a, 0)? {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(H::Array(out))
}

pub(super) fn element(a: FuncArgs) -> Result<H, String> {
    let items = list(&a, 0)?;
    let index = integer(&a, 1)?;
    if items.is_empty() {
        return Err("cannot use element() on an empty list".into());
    }
    if index < 0 {
        return Err(format!(
            "argument 2 (index) must not be negative, got {index}"
        ));
    }
    Ok(items[(index as usize) % items.len()].clone())
}

fn flatten_into(value: &H, out: &mut Vec<H>) {
    match value {
        H::Array(items) => items.iter().for_each(|i| flatten_into(i, out)),
        other => out.push(other.clone()),
    }
}

pub(super) fn flatten(a: FuncArgs) -> Result<H, String> {
    let mut out = Vec::new();
    for v in list(&a, 0)? {
        flatten_into(v, &mut out);
    }
    Ok(H::Array(out))
}

pub(super) fn index(a: FuncArgs) -> Result<H, String> {
    let needle = super::arg(&a, 1);
    list(&a, 0)?
        .iter()
        .position(|v| loosely_equal(v, needle))
        .map(|i| H::from(i as u64))
        .ok_or_else(|| format!("{} is not in the list", super::describe(needle)))
}

pub(super) fn keys(a: FuncArgs) -> Result<H, String> {
    let mut keys: Vec<&String> = map(&a, 0)?.keys().collect();
    keys.sort();
    Ok(H::Array(
        keys.into_iter().map(|k| H::from(k.as_str())).collect(),
    ))
}

pub(super) fn values(a: FuncArgs) -> Result<H, String> {
    let mut entries: Vec<(&String, &H)> = map(&a, 0)?.iter().collect();
    entries.sort_by(|x, y| x.0.cmp(y.0));
    Ok(H::Array(
        entries.into_iter().map(|(_, v)| v.clone()).collect(),
    ))
}

pub(super) fn length(a: FuncArgs) -> Result<H, String> {
    let n = match super::arg(&a, 0) {
        H::Array(items) => items.len(),
        H::Object(o) => o.len(),
        H::String(s) => super::strings::graphemes(s).len(),
        H::Null => return Err("argument 1 must not be null".into()),
        other => {
            return Err(format!(
                "argument 1 must be a list, map or string, got a {}",
                type_of(other)
            ));
        }
    };
    Ok(H::from(n as u64))
}

pub(super) fn lookup(a: FuncArgs) -> Result<H, String> {
    let m = map(&a, 0)?;
    let key = string(&a, 1)?;
    if a.len() > 3 {
        return Err(format!("expected 2 or 3 arguments, got {}", a.len()));
    }
    match (m.get(&key), a.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(format!(
            "the map has no key {key:?} and no default was given"
        )),
    }
}

pub(super) fn matchkeys(a: FuncArgs) -> Result<H, String> {
    let (vals, keys, search) = (list(&a, 0)?, list(&a, 1)?, list(&a, 2)?);
    if vals.len() != keys.len() {
        return Err(format!(
            "the values list ({}) and the keys list ({}) must have the same length",
            vals.len(),
            keys.len()
        ));
    }
    Ok(H::Array(
        vals.iter()
            .zip(keys)
            .filter(|(_, k)| search.iter().any(|s| loosely_equal(k, s)))
            .map(|(v, _)| v.clone())
            .collect(),
    ))
}

pub(super) fn merge(a: FuncArgs) -> Result<H, String> {
    let mut out = hcl::Map::new();
    for (i, v) in a.iter().enumerate() {
        match v {
            H::Null => {}
            H::Object(m) => {
                for (k, v) in m {
                    out.insert(k.clone(), v.clone());
                }
            }
            other => {
                return Err(format!(
                    "argument {} must be a map, got a {}",
                    i + 1,
                    type_of(other)
                ));
            }
        }
    }
    Ok(H::Object(out))
}

pub(super) fn one(a: FuncArgs) -> Result<H, String> {
    let items = list(&a, 0)?;
    match items.as_slice() {
        [] => Ok(H::Null),
        [only] => Ok(only.clone()),
        more => Err(format!(
            "the list must have no more than one element, got {}",
            more.len()
        )),
    }
}

pub(super) fn range(a: FuncArgs) -> Result<H, String> {
    let n = (0..a.len())
        .map(|i| number(&a, i))
        .collect::<Result<Vec<_>, _>>()?;
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
        return Err(if step > 0.0 {
            "a positive step needs a limit greater than the start".into()
        } else {
            "a negative step needs a limit less than the start".into()
        });
    }
    let count = ((limit - start) / step).ceil();
    if count.is_nan() || count > MAX_RANGE as f64 {
        return Err(format!("range would have more than {MAX_RANGE} elements"));
    }
    budget::charge(count as u64)?;
    Ok(H::Array(
        (0..count as usize)
            .map(|i| num(start + step * i as f64))
            .collect(),
    ))
}

pub(super) fn reverse(a: FuncArgs) -> Result<H, String> {
    Ok(H::Array(list(&a, 0)?.iter().rev().cloned().collect()))
}

fn sets(a: &FuncArgs) -> Result<Vec<Vec<H>>, String> {
    (0..a.len())
        .map(|i| list(a, i).map(|l| as_set(l)))
        .collect()
}

pub(super) fn setunion(a: FuncArgs) -> Result<H, String> {
    let all: Vec<H> = sets(&a)?.into_iter().flatten().collect();
    Ok(H::Array(as_set(&all)))
}

pub(super) fn setintersection(a: FuncArgs) -> Result<H, String> {
    let sets = sets(&a)?;
    let Some((first, rest)) = sets.split_first() else {
        return Ok(H::Array(Vec::new()));
    };
    Ok(H::Array(
        first
            .iter()
            .filter(|v| rest.iter().all(|s| s.contains(v)))
            .cloned()
            .collect(),
    ))
}

pub(super) fn setsubtract(a: FuncArgs) -> Result<H, String> {
    let (x, y) = (as_set(list(&a, 0)?), as_set(list(&a, 1)?));
    Ok(H::Array(x.into_iter().filter(|v| !y.contains(v)).collect()))
}

pub(super) fn setproduct(a: FuncArgs) -> Result<H, String> {
    let lists = (0..a.len())
        .map(|i| list(&a, i).cloned())
        .collect::<Result<Vec<_>, _>>()?;
    if lists.len() < 2 {
        return Err("at least two arguments are required".into());
    }
    let total = lists
        .iter()
        .try_fold(1u64, |acc, l| acc.checked_mul(l.len() as u64))
        .unwrap_or(u64::MAX);
    if total > MAX_RANGE as u64 {
        return Err(format!(
            "the product would have more than {MAX_RANGE} elements"
        ));
    }
    budget::charge(total)?;
    let mut out: Vec<Vec<H>> = vec![Vec::new()];
    for l in &lists {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                l.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(H::Array(out.into_iter().map(H::Array).collect()))
}

pub(super) fn slice(a: FuncArgs) -> Result<H, String> {
    let items = list(&a, 0)?;
    let (start, end) = (integer(&a, 1)?, integer(&a, 2)?);
    if start < 0 {
        return Err("argument 2 (start) must not be negative".into());
    }
    if end > items.len() as i64 {
        return Err(format!(
            "argument 3 (end) must not be greater than the list's length {}",
            items.len()
        ));
    }
    if start > end {
        return Err("argument 2 (start) must not be greater than argument 3 (end)".into());
    }
    Ok(H::Array(items[start as usize..end as usize].to_vec()))
}

pub(super) fn sort(a: FuncArgs) -> Result<H, String> {
    let mut out = Vec::new();
    for (i, v) in list(&a, 0)?.iter().enumerate() {
        match to_string(v) {
            Some(s) => out.push(s),
            None => {
                return Err(format!(
                    "element {i} must be a string, got {}",
                    if v.is_null() {
                        "null".into()
                    } else {
                        format!("a {}", type_of(v))
                    }
                ));
            }
        }
    }
    out.sort();
    Ok(H::Array(out.into_iter().map(H::from).collect()))
}

pub(super) fn sum(a: FuncArgs) -> Result<H, String> {
    let items = list(&a, 0)?;
    if items.is_empty() {
        return Err("cannot sum an empty list".into());
    }
    let mut total = 0.0;
    for (i, v) in items.iter().enumerate() {
        total += to_number(v)
            .ok_or_else(|| format!("element {i} must be a number, got {}", super::describe(v)))?;
    }
    Ok(num(total))
}

pub(super) fn transpose(a: FuncArgs) -> Result<H, String> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (k, v) in map(&a, 0)? {
        let H::Array(items) = v else {
            return Err(format!(
                "the value at {k:?} must be a list of strings, got a {}",
                type_of(v)
            ));
        };
        for item in items {
            let s = to_string(item).ok_or_else(|| {
                format!(
                    "the list at {k:?} must hold strings, got a {}",
                    type_of(item)
                )
            })?;
            out.entry(s).or_default().push(k.clone());
        }
    }
    Ok(H::Object(
        out.into_iter()
            .map(|(k, v)| (k, H::Array(v.into_iter().map(H::from).collect())))
            .collect(),
    ))
}

pub(super) fn zipmap(a: FuncArgs) -> Result<H, String> {
    let (keys, vals) = (list(&a, 0)?, list(&a, 1)?);
    if keys.len() != vals.len() {
        return Err(format!(
            "the keys list has {} elements but the values list has {}",
            keys.len(),
            vals.len()
        ));
    }
    let mut out = hcl::Map::new();
    for (i, (k, v)) in keys.iter().zip(vals).enumerate() {
        let k = to_string(k)
            .ok_or_else(|| format!("key {i} must be a string, got a {}", type_of(k)))?;
        out.insert(k, v.clone());
    }
    Ok(H::Object(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's function tests
    // (internal/lang/funcs/collection_test.go) and cty's collection and
    // set function tests.

    #[test]
    fn boolean_lists() {
        check(&[
            ("alltrue([])", "true"),
            ("alltrue([true])", "true"),
            ("alltrue([false])", "false"),
            ("alltrue([true, false])", "false"),
            ("alltrue([true, true])", "true"),
            (r#"alltrue(["true", "true"])"#, "true"),
            ("alltrue([true, null])", "false"),
            ("anytrue([])", "false"),
            ("anytrue([true])", "true"),
            ("anytrue([false])", "false"),
            ("anytrue([true, false])", "true"),
            ("anytrue([false, false])", "false"),
            ("anytrue([null, true])", "true"),
            ("anytrue([1])", "ERR"),
        ]);
    }

    #[test]
    fn lists() {
        check(&[
            (r#"chunklist(["a", "b", "c"], 1)"#, r#"[["a"],["b"],["c"]]"#),
            (r#"chunklist(["a", "b", "c"], 2)"#, r#"[["a","b"],["c"]]"#),
            (r#"chunklist(["a", "b", "c"], 0)"#, r#"[["a","b","c"]]"#),
            (r#"chunklist([], 2)"#, "[]"),
            (r#"chunklist(["a"], -1)"#, "ERR"),
            (
                r#"coalescelist(["first", "second"], ["third", "fourth"])"#,
                r#"["first","second"]"#,
            ),
            (
                r#"coalescelist([], ["third", "fourth"])"#,
                r#"["third","fourth"]"#,
            ),
            (r#"coalescelist([], [])"#, "ERR"),
            (r#"coalescelist("a")"#, "ERR"),
            (r#"compact(["test", "", "test"])"#, r#"["test","test"]"#),
            (r#"compact(["", "", ""])"#, "[]"),
            (r#"compact([])"#, "[]"),
            (r#"compact(["test", "test", ""])"#, r#"["test","test"]"#),
            (r#"compact(["test", null])"#, r#"["test"]"#),
            (r#"concat([1], [2, 3], [])"#, "[1,2,3]"),
            (r#"concat(["a"], "b")"#, "ERR"),
            (r#"contains(["a", "b"], "a")"#, "true"),
            (r#"contains(["a", "b"], "c")"#, "false"),
            (r#"contains([1, 2], 2)"#, "true"),
            (r#"distinct(["a", "b", "a", "c"])"#, r#"["a","b","c"]"#),
            (r#"distinct([1, 2, 1])"#, "[1,2]"),
            (r#"element(["a", "b"], 3)"#, r#""b""#),
            (r#"element(["a", "b", "c"], 1)"#, r#""b""#),
            ("element([], 0)", "ERR"),
            (r#"element(["a"], -1)"#, "ERR"),
            ("flatten([[1, [2]], 3])", "[1,2,3]"),
            (r#"flatten([["a", "b"], [], ["c"]])"#, r#"["a","b","c"]"#),
            (r#"index(["a", "b", "c"], "b")"#, "1"),
            (r#"index(["a"], "z")"#, "ERR"),
            (r#"index(["a", "b", "a"], "a")"#, "0"),
            (r#"index(["1", "2", "3"], 1)"#, "0"),
            ("index([1, 2, 3], 2)", "1"),
            ("index([1, 2, 3], 4)", "ERR"),
            (r#"index([1, 2, 3], "1")"#, "0"),
            (r#"contains(["1", "2"], 2)"#, "true"),
            (r#"coalesce("first", "second", "third")"#, r#""first""#),
            (r#"coalesce("", "second", "third")"#, r#""second""#),
            (r#"coalesce("", "")"#, "ERR"),
            ("coalesce(true)", "true"),
            ("coalesce(null, true)", "true"),
            ("coalesce(null, false)", "false"),
            (r#"coalesce(null, false, "hello")"#, r#""false""#),
            ("one([1])", "1"),
            ("one(null)", "ERR"),
            ("sum([1476, 2093, 2092495, 64589234, 234])", "66685532"),
            ("sum([10, -19, 5])", "-4"),
            ("sum([10.2, 19.4, 5.7])", "35.3"),
            ("sum([-10.2, -19.4, -5.7])", "-35.3"),
            ("sum([null])", "ERR"),
            ("sum([5, null])", "ERR"),
            (r#"sum([12, "a", 38])"#, "ERR"),
            ("sum({hello = true})", "ERR"),
            ("length([])", "0"),
            (r#"length(["hello"])"#, "1"),
            (r#"length("hello")"#, "5"),
            (r#"length("")"#, "0"),
            (r#"length("héllo")"#, "5"),
            (r#"length("1")"#, "1"),
            (r#"length("Живой Журнал")"#, "12"),
            ("length(\"noe\u{308}l\")", "4"),
            (
                "length(\"we\u{301}\u{301}\u{301}e\u{301}\u{301}\u{301}e\u{301}\u{301}\u{301}!\")",
                "5",
            ),
            (r#"length("baﬄe")"#, "4"),
            (r#"length("😸😾")"#, "2"),
            ("length(\"\u{1f937}\u{200d}\u{2642}\")", "1"),
            (r#"length({"true" = true})"#, "1"),
            (r#"length({a = 1, b = 2})"#, "2"),
            ("length(5)", "ERR"),
            (r#"one([])"#, "null"),
            (r#"one(["hello"])"#, r#""hello""#),
            (r#"one([["hello"]])"#, r#"["hello"]"#),
            (r#"one(["hello", "goodbye"])"#, "ERR"),
            (r#"reverse([])"#, "[]"),
            (r#"reverse(["a"])"#, r#"["a"]"#),
            (r#"reverse(["a", "b"])"#, r#"["b","a"]"#),
            (r#"reverse(["a", "b", "c"])"#, r#"["c","b","a"]"#),
            (r#"slice(["a", "b", "c", "d"], 1, 3)"#, r#"["b","c"]"#),
            (r#"slice(["a", "b"], 0, 0)"#, "[]"),
            (r#"slice(["a", "b"], 0, 2)"#, r#"["a","b"]"#),
            (r#"slice(["a", "b"], 1, 0)"#, "ERR"),
            (r#"slice(["a", "b"], -1, 1)"#, "ERR"),
            (r#"slice(["a", "b"], 0, 3)"#, "ERR"),
            (
                r#"sort(["banana", "apple", "cherry"])"#,
                r#"["apple","banana","cherry"]"#,
            ),
            (r#"sort(["b", "a", "A"])"#, r#"["A","a","b"]"#),
            (r#"sort([10, 9, 1])"#, r#"["1","10","9"]"#),
            ("sort([])", "[]"),
            (r#"sort(["a", null])"#, "ERR"),
            ("sum([1, 2, 3])", "6"),
            ("sum([1.5, 2.5])", "4"),
            ("sum([-1, 1])", "0"),
            (r#"sum(["1", 2])"#, "3"),
            ("sum([])", "ERR"),
            (r#"sum(["a"])"#, "ERR"),
            ("range(3)", "[0,1,2]"),
            ("range(1, 4)", "[1,2,3]"),
            ("range(1, 8, 2)", "[1,3,5,7]"),
            ("range(1, 4, 0.5)", "[1,1.5,2,2.5,3,3.5]"),
            ("range(4, 1)", "[4,3,2]"),
            ("range(10, 5, -2)", "[10,8,6]"),
            ("range(0)", "[]"),
            ("range(1, 0, 1)", "ERR"),
            ("range(0, 1, -1)", "ERR"),
            ("range(1, 2, 0)", "ERR"),
        ]);
    }

    #[test]
    fn maps() {
        check(&[
            (
                r#"keys({hello = 1, goodbye = "a"})"#,
                r#"["goodbye","hello"]"#,
            ),
            (r#"keys({})"#, "[]"),
            (
                r#"values({hello = "world", what = "thing"})"#,
                r#"["world","thing"]"#,
            ),
            (r#"values({b = 1, a = 2})"#, "[2,1]"),
            (r#"lookup({a = "b"}, "a")"#, r#""b""#),
            (r#"lookup({a = "b"}, "c", "d")"#, r#""d""#),
            (r#"lookup({a = 1}, "b")"#, "ERR"),
            (r#"lookup({foo = "bar"}, "foo")"#, r#""bar""#),
            (r#"lookup({foo = 42}, "foo")"#, "42"),
            (
                r#"lookup({foo = ["bar", "baz"]}, "foo")"#,
                r#"["bar","baz"]"#,
            ),
            (
                r#"lookup({foo = {a = "bar"}, baz = {b = "bat"}}, "foo")"#,
                r#"{"a":"bar"}"#,
            ),
            (r#"lookup({foo = "bar"}, "bar")"#, "ERR"),
            (r#"lookup({foo = "bar"}, "foo", "")"#, r#""bar""#),
            (r#"lookup({foo = "bar"}, "baz", "")"#, r#""""#),
            (r#"lookup({foo = "bar"}, "bar", "xyz")"#, r#""xyz""#),
            (r#"lookup({boop = "beep"}, "frob", "nope")"#, r#""nope""#),
            (r#"transpose({key1 = []})"#, "{}"),
            (r#"transpose({})"#, "{}"),
            (r#"merge({a = "b"}, {c = "d"})"#, r#"{"a":"b","c":"d"}"#),
            (r#"merge({a = "b"}, {a = "c"})"#, r#"{"a":"c"}"#),
            (r#"merge({a = "b"}, null)"#, r#"{"a":"b"}"#),
            (r#"merge()"#, "{}"),
            (r#"merge({a = "b"}, "x")"#, "ERR"),
            (
                r#"matchkeys(["a", "b", "c"], ["ref1", "ref2", "ref3"], ["ref1"])"#,
                r#"["a"]"#,
            ),
            (
                r#"matchkeys(["a", "b", "c"], ["ref1", "ref2", "ref3"], ["ref2", "ref1"])"#,
                r#"["a","b"]"#,
            ),
            (
                r#"matchkeys(["a", "b", "c"], ["ref1", "ref2", "ref3"], ["ref4"])"#,
                "[]",
            ),
            (
                r#"matchkeys(["a", "b", "c"], ["ref1", "ref2", "ref3"], [])"#,
                "[]",
            ),
            (
                r#"matchkeys(["a", "b", "c"], ["ref1", "ref2", "ref1"], ["ref1"])"#,
                r#"["a","c"]"#,
            ),
            (
                r#"matchkeys(["a", "b", "c"], [1, 2, 3], [1, 3])"#,
                r#"["a","c"]"#,
            ),
            (
                r#"matchkeys(["a", "b", "c"], ["ref1", "ref2"], ["ref1"])"#,
                "ERR",
            ),
            (
                r#"transpose({key1 = ["a", "b"], key2 = ["a", "b", "c"], key3 = ["c"], key4 = []})"#,
                r#"{"a":["key1","key2"],"b":["key1","key2"],"c":["key2","key3"]}"#,
            ),
            (r#"transpose({key1 = "a"})"#, "ERR"),
            (
                r#"zipmap(["hello", "world"], ["foo", "bar"])"#,
                r#"{"hello":"foo","world":"bar"}"#,
            ),
            (r#"zipmap(["a"], [1, 2])"#, "ERR"),
        ]);
    }

    #[test]
    fn sets() {
        check(&[
            (
                r#"setunion(["a", "b"], ["b", "c"], ["d"])"#,
                r#"["a","b","c","d"]"#,
            ),
            (r#"setunion(["a", "b"], [])"#, r#"["a","b"]"#),
            (r#"setunion([], [])"#, "[]"),
            // cty's set function tests.
            ("setunion([true], [true], [false])", "[false,true]"),
            (r#"setunion(["a"], ["b"], ["b", "c"])"#, r#"["a","b","c"]"#),
            (r#"setunion(["5"])"#, r#"["5"]"#),
            ("setintersection([true], [true, false])", "[true]"),
            (
                r#"setintersection(["a", "b"], ["b"], ["b", "c"])"#,
                r#"["b"]"#,
            ),
            (r#"setintersection(["5"])"#, r#"["5"]"#),
            ("setsubtract([true], [false])", "[true]"),
            (r#"setsubtract(["a"], [])"#, r#"["a"]"#),
            (
                r#"setintersection(["a", "b"], ["b", "c"], ["b", "d"])"#,
                r#"["b"]"#,
            ),
            (
                r#"setintersection(["a", "b"], ["a", "b", "c"])"#,
                r#"["a","b"]"#,
            ),
            (r#"setintersection(["a", "b"], [])"#, "[]"),
            (r#"setsubtract(["a", "b", "c"], ["a", "c"])"#, r#"["b"]"#),
            (r#"setsubtract(["a", "b", "c"], [])"#, r#"["a","b","c"]"#),
            (r#"setsubtract([], ["a"])"#, "[]"),
            (
                r#"setproduct(["development", "staging"], ["app1", "app2"])"#,
                r#"[["development","app1"],["development","app2"],["staging","app1"],["staging","app2"]]"#,
            ),
            (r#"setproduct(["a"], [])"#, "[]"),
            (
                r#"setproduct(["a", "b"], [1], [true])"#,
                r#"[["a",1,true],["b",1,true]]"#,
            ),
            (r#"setproduct(["a"])"#, "ERR"),
        ]);
    }
}
