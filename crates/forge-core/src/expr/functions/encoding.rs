//! Encoding functions: Base64, URL query escaping, JSON, YAML and CSV.

use super::{arg, from_json, string, to_json, type_of};
use base64::Engine as _;
use hcl::Value as H;
use hcl::eval::FuncArgs;

pub(super) fn base64encode(a: FuncArgs) -> Result<H, String> {
    Ok(H::from(
        base64::engine::general_purpose::STANDARD.encode(string(&a, 0)?.as_bytes()),
    ))
}

pub(super) fn base64decode(a: FuncArgs) -> Result<H, String> {
    let s = string(&a, 0)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|_| {
            "argument 1 is not valid Base64 (standard alphabet, with padding)".to_string()
        })?;
    String::from_utf8(bytes)
        .map(H::from)
        .map_err(|_| "the decoded bytes are not valid UTF-8 text".to_string())
}

/// Escapes a string as Go's `url.QueryEscape` does: unreserved bytes
/// stay, a space becomes `+`, everything else `%XX`.
pub(super) fn urlencode(a: FuncArgs) -> Result<H, String> {
    let s = string(&a, 0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    Ok(H::from(out))
}

/// JSON text as Terraform writes it: compact, with `<`, `>` and `&`
/// escaped (as Go's encoder does).
pub(crate) fn json_text(value: &H) -> String {
    to_json(value)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub(super) fn jsonencode(a: FuncArgs) -> Result<H, String> {
    Ok(H::from(json_text(arg(&a, 0))))
}

pub(super) fn jsondecode(a: FuncArgs) -> Result<H, String> {
    let s = string(&a, 0)?;
    serde_json::from_str::<serde_json::Value>(&s)
        .map(|v| from_json(&v))
        .map_err(|e| format!("argument 1 is not valid JSON: {e}"))
}

pub(super) fn yamldecode(a: FuncArgs) -> Result<H, String> {
    let s = string(&a, 0)?;
    let v: serde_yaml::Value =
        serde_yaml::from_str(&s).map_err(|e| format!("argument 1 is not valid YAML: {e}"))?;
    yaml_to_hcl(&v)
}

fn yaml_to_hcl(v: &serde_yaml::Value) -> Result<H, String> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => H::Null,
        Y::Bool(b) => H::Bool(*b),
        Y::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => H::from(i),
            (None, Some(u), _) => H::from(u),
            (_, _, Some(f)) if f.is_finite() => super::num(f),
            _ => return Err(format!("the YAML number {n} cannot be represented")),
        },
        Y::String(s) => H::String(s.clone()),
        Y::Sequence(items) => H::Array(items.iter().map(yaml_to_hcl).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = hcl::Map::new();
            for (k, v) in m {
                let key = match yaml_to_hcl(k)? {
                    H::String(s) => s,
                    other @ (H::Number(_) | H::Bool(_)) => {
                        super::to_string(&other).unwrap_or_default()
                    }
                    H::Null => "null".into(),
                    other => {
                        return Err(format!(
                            "a YAML map key must be a string, got a {}",
                            type_of(&other)
                        ));
                    }
                };
                out.insert(key, yaml_to_hcl(v)?);
            }
            H::Object(out)
        }
        Y::Tagged(t) => yaml_to_hcl(&t.value)?,
    })
}

/// A string scalar in YAML: double-quoted with JSON escapes, or a literal
/// block when it spans lines.
fn yaml_string(s: &str, indent: usize, out: &mut String) {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') && !s.starts_with(' ') {
        let chomp = if s.ends_with('\n') {
            if s.ends_with("\n\n") { "+" } else { "" }
        } else {
            "-"
        };
        out.push('|');
        out.push_str(chomp);
        let pad = " ".repeat(indent.max(1) * 2);
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
    } else {
        out.push_str(&serde_json::Value::String(s.to_string()).to_string());
    }
}

fn yaml_scalar(v: &H, indent: usize, out: &mut String) {
    match v {
        H::Null => out.push_str("null"),
        H::Bool(b) => out.push_str(&b.to_string()),
        H::Number(n) => out.push_str(&super::number_text(n)),
        H::String(s) => yaml_string(s, indent, out),
        H::Array(_) => out.push_str("[]"),
        H::Object(_) => out.push_str("{}"),
    }
}

fn is_block(v: &H) -> bool {
    matches!(v, H::Array(a) if !a.is_empty()) || matches!(v, H::Object(o) if !o.is_empty())
}

/// Writes `v` in block style at `indent` levels (two spaces each).
fn yaml_block(v: &H, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        H::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&pad);
                }
                out.push_str("- ");
                if is_block(item) {
                    yaml_block(item, indent + 1, out);
                } else {
                    yaml_scalar(item, indent + 1, out);
                    out.push('\n');
                }
            }
        }
        H::Object(map) if !map.is_empty() => {
            let mut entries: Vec<(&String, &H)> = map.iter().collect();
            entries.sort_by(|x, y| x.0.cmp(y.0));
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(&pad);
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                match item {
                    H::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        out.push_str(&pad);
                        yaml_block(item, indent, out);
                    }
                    H::Object(o) if !o.is_empty() => {
                        out.push('\n');
                        out.push_str(&"  ".repeat(indent + 1));
                        yaml_block(item, indent + 1, out);
                    }
                    _ => {
                        out.push(' ');
                        yaml_scalar(item, indent + 1, out);
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            yaml_scalar(other, indent, out);
            out.push('\n');
        }
    }
}

pub(super) fn yamlencode(a: FuncArgs) -> Result<H, String> {
    let mut out = String::new();
    yaml_block(arg(&a, 0), 0, &mut out);
    Ok(H::from(out))
}

/// Parses CSV as Go's `encoding/csv` does by default: `,` separated,
/// `"` quoted (`""` for a quote inside), `\n` or `\r\n` line ends, blank
/// lines skipped, and every record with the same number of fields.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    while chars.peek().is_some() {
        // Blank lines are skipped.
        if chars.next_if_eq(&'\n').is_some() {
            line += 1;
            continue;
        }
        if chars.peek() == Some(&'\r') {
            let mut probe = chars.clone();
            probe.next();
            if probe.peek() == Some(&'\n') {
                chars.next();
                chars.next();
                line += 1;
                continue;
            }
        }
        let start_line = line;
        let mut record = Vec::new();
        loop {
            let mut field = String::new();
            if chars.next_if_eq(&'"').is_some() {
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!("line {start_line}: a quoted field is not closed"));
                        }
                        Some('"') => {
                            if chars.next_if_eq(&'"').is_some() {
                                field.push('"');
                            } else {
                                break;
                            }
                        }
                        Some('\r') if chars.peek() == Some(&'\n') => {}
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                match chars.peek() {
                    None | Some(',') | Some('\n') | Some('\r') => {}
                    Some(_) => {
                        return Err(format!(
                            "line {line}: extraneous or missing \" in a quoted field"
                        ));
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ','
                        || c == '\n'
                        || (c == '\r' && {
                            let mut p = chars.clone();
                            p.next();
                            matches!(p.peek(), Some('\n') | None)
                        })
                    {
                        break;
                    }
                    if c == '"' {
                        return Err(format!(
                            "line {line}: a bare \" in a field that is not quoted"
                        ));
                    }
                    field.push(c);
                    chars.next();
                }
            }
            record.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    chars.next_if_eq(&'\n');
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        if let Some(first) = records.first()
            && first.len() != record.len()
        {
            return Err(format!(
                "line {start_line}: wrong number of fields (the header has {}, this line {})",
                first.len(),
                record.len()
            ));
        }
        records.push(record);
    }
    Ok(records)
}

pub(super) fn csvdecode(a: FuncArgs) -> Result<H, String> {
    let text = string(&a, 0)?;
    let records = parse_csv(&text)?;
    let Some((header, rows)) = records.split_first() else {
        return Err("missing the header line".into());
    };
    crate::expr::budget::charge(rows.len() as u64 * header.len() as u64)?;
    Ok(H::Array(
        rows.iter()
            .map(|row| {
                H::Object(
                    header
                        .iter()
                        .cloned()
                        .zip(row.iter().map(|f| H::from(f.as_str())))
                        .collect(),
                )
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's encoding function tests
    // (internal/lang/funcs/encoding_test.go) and cty's JSON and CSV
    // function tests.

    #[test]
    fn base64_and_url() {
        check(&[
            (
                r#"base64decode("YWJjMTIzIT8kKiYoKSctPUB+")"#,
                r#""abc123!?$*&()'-=@~""#,
            ),
            (r#"base64decode("this-is-an-invalid-base64-data")"#, "ERR"),
            (r#"base64decode("dfg")"#, "ERR"),
            (r#"base64decode("wyg=")"#, "ERR"),
            (
                r#"base64encode("abc123!?$*&()'-=@~")"#,
                r#""YWJjMTIzIT8kKiYoKSctPUB+""#,
            ),
            (r#"base64encode("")"#, r#""""#),
            (r#"urlencode("abc123-_")"#, r#""abc123-_""#),
            (
                r#"urlencode("foo:bar@localhost?foo=bar&bar=baz")"#,
                r#""foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz""#,
            ),
            (
                r#"urlencode("mailto:email?subject=this+is+my+subject")"#,
                r#""mailto%3Aemail%3Fsubject%3Dthis%2Bis%2Bmy%2Bsubject""#,
            ),
            (r#"urlencode("foo/bar")"#, r#""foo%2Fbar""#),
            (r#"urlencode("a b")"#, r#""a+b""#),
        ]);
    }

    #[test]
    fn json() {
        check(&[
            (r#"jsonencode("hello")"#, r#""\"hello\"""#),
            ("jsonencode(true)", r#""true""#),
            ("jsonencode(15)", r#""15""#),
            ("jsonencode(null)", r#""null""#),
            (r#"jsonencode({a = [1, "x"]})"#, r#""{\"a\":[1,\"x\"]}""#),
            (r#"jsonencode("<b>&")"#, r#""\"\\u003cb\\u003e\\u0026\"""#),
            (r#"jsondecode("\"hello\"")"#, r#""hello""#),
            (r#"jsondecode("true")"#, "true"),
            (r#"jsondecode("1")"#, "1"),
            (r#"jsondecode("1.5")"#, "1.5"),
            (r#"jsondecode("null")"#, "null"),
            (r#"jsondecode("{\"a\":[1,\"x\"]}")"#, r#"{"a":[1,"x"]}"#),
            (r#"jsondecode("[]")"#, "[]"),
            // cty's JSON tests.
            ("jsonencode([true, false])", r#""[true,false]""#),
            (
                r#"jsonencode({"true" = true, "false" = false})"#,
                r#""{\"false\":false,\"true\":true}""#,
            ),
            ("jsonencode([])", r#""[]""#),
            (r#"jsondecode("15")"#, "15"),
            (r#"jsondecode("[true,false]")"#, "[true,false]"),
            (
                r#"jsondecode("{\"false\":false,\"true\":true}")"#,
                r#"{"false":false,"true":true}"#,
            ),
            (r#"jsondecode("aaaa")"#, "ERR"),
            (r#"jsondecode("nope")"#, "ERR"),
            (r#"jsondecode("")"#, "ERR"),
            (r#"jsondecode("{")"#, "ERR"),
            (r#"jsondecode("true false")"#, "ERR"),
        ]);
    }

    #[test]
    fn yaml() {
        check(&[
            (r#"yamlencode("hello")"#, r#""\"hello\"\n""#),
            ("yamlencode(true)", r#""true\n""#),
            ("yamlencode(1)", r#""1\n""#),
            ("yamlencode(null)", r#""null\n""#),
            ("yamlencode([])", r#""[]\n""#),
            ("yamlencode({})", r#""{}\n""#),
            (
                r#"yamlencode({a = "b", c = "d"})"#,
                r#""\"a\": \"b\"\n\"c\": \"d\"\n""#,
            ),
            (r#"yamlencode([1, 2])"#, r#""- 1\n- 2\n""#),
            (r#"yamlencode({a = [1, 2]})"#, r#""\"a\":\n- 1\n- 2\n""#),
            (r#"yamlencode({a = {b = 1}})"#, r#""\"a\":\n  \"b\": 1\n""#),
            (
                r#"yamlencode([{a = 1, b = 2}])"#,
                r#""- \"a\": 1\n  \"b\": 2\n""#,
            ),
            (r#"yamlencode({a = "x\ny"})"#, r#""\"a\": |-\n  x\n  y\n""#),
            (r#"yamldecode("hello")"#, r#""hello""#),
            (r#"yamldecode("true")"#, "true"),
            (r#"yamldecode("1")"#, "1"),
            (r#"yamldecode("~")"#, "null"),
            (r#"yamldecode("a: b\nc: [1, 2]")"#, r#"{"a":"b","c":[1,2]}"#),
            (r#"yamldecode("- a\n- b")"#, r#"["a","b"]"#),
            (r#"yamldecode("a: [")"#, "ERR"),
            (
                r#"yamldecode(yamlencode({a = [1, {b = "x\ny"}], c = null}))"#,
                r#"{"a":[1,{"b":"x\ny"}],"c":null}"#,
            ),
        ]);
    }

    #[test]
    fn csv() {
        check(&[
            (
                r#"csvdecode("a,b,c\n1,2,3\n4,5,6")"#,
                r#"[{"a":"1","b":"2","c":"3"},{"a":"4","b":"5","c":"6"}]"#,
            ),
            (
                r#"csvdecode("a,b,c\n1,2,3\n")"#,
                r#"[{"a":"1","b":"2","c":"3"}]"#,
            ),
            (r#"csvdecode("a,b,c")"#, "[]"),
            (
                r#"csvdecode("a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n")"#,
                r#"[{"a":"x,y","b":"say \"hi\""}]"#,
            ),
            (
                r#"csvdecode("a,b\n1,2\n\n3,4")"#,
                r#"[{"a":"1","b":"2"},{"a":"3","b":"4"}]"#,
            ),
            (r#"csvdecode("a,b,c\n1,2")"#, "ERR"),
            (r#"csvdecode("a,b\n1,\"2")"#, "ERR"),
            (r#"csvdecode("")"#, "ERR"),
            // cty's csvdecode tests.
            (
                r#"csvdecode("\"name\",\"size\",\"type\"\n\"foo\",\"100\",\"tiny\"\n\"bar\",\"\",\"huge\"\n\"baz\",\"50\",\"weedy\"\n")"#,
                r#"[{"name":"foo","size":"100","type":"tiny"},{"name":"bar","size":"","type":"huge"},{"name":"baz","size":"50","type":"weedy"}]"#,
            ),
            (r#"csvdecode("\"just\",\"header\",\"line\"")"#, "[]"),
            (r#"csvdecode("not csv at all")"#, "[]"),
            (r#"csvdecode("invalid"thing"")"#, "ERR"),
            ("csvdecode(null)", "ERR"),
        ]);
    }
}
