//! Checking values against field and variable types.

use crate::schema::FieldType;
use crate::value::Value;

/// Checks `value` against `ty`, converting numbers and bools written where
/// a string is expected (YAML `Version: 2` in tags) the way Terraform does.
/// Unknown values pass: they are checked when known. Returns the message
/// of the first mismatch, with the path inside the value.
pub(crate) fn check_value(value: &mut Value, ty: &FieldType) -> Result<(), String> {
    check_at(value, ty, &mut String::new())
}

fn mismatch(path: &str, ty: &FieldType, value: &Value) -> String {
    let at = if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    };
    format!(
        "expected {}{at}, got {}",
        ty.describe(),
        describe_value(value)
    )
}

/// A value's type and, for scalars, the value itself (never secrets).
pub(crate) fn describe_value(value: &Value) -> String {
    match value {
        Value::Sensitive(inner) => inner.type_name().to_string(),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            format!("{} {value}", value.type_name())
        }
        other => other.type_name().to_string(),
    }
}

fn check_at(value: &mut Value, ty: &FieldType, path: &mut String) -> Result<(), String> {
    match (ty, &mut *value) {
        (_, Value::Unknown) | (FieldType::Any, _) | (_, Value::Null) => Ok(()),
        (_, Value::Sensitive(inner)) => check_at(inner, ty, path),
        (FieldType::String, Value::String(_)) => Ok(()),
        (FieldType::String, Value::Number(n)) => {
            *value = Value::String(n.to_string());
            Ok(())
        }
        (FieldType::String, Value::Bool(b)) => {
            *value = Value::String(b.to_string());
            Ok(())
        }
        (FieldType::Number, Value::Number(_)) | (FieldType::Bool, Value::Bool(_)) => Ok(()),
        (FieldType::List(item), Value::List(items)) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_at(v, item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (FieldType::Map(item), Value::Map(map)) => {
            for (k, v) in map.iter_mut() {
                let len = path.len();
                path.push_str(&if path.is_empty() {
                    k.clone()
                } else {
                    format!(".{k}")
                });
                check_at(v, item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (FieldType::Object(fields), Value::Map(map)) => {
            for (k, v) in map.iter_mut() {
                let Some(field) = fields.get(k) else {
                    return Err(format!("unknown key `{k}`"));
                };
                let len = path.len();
                path.push_str(&if path.is_empty() {
                    k.clone()
                } else {
                    format!(".{k}")
                });
                check_at(v, &field.ty, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Err(mismatch(path, ty, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_coerces() {
        let mut v = Value::Map([("a".to_string(), Value::int(2))].into());
        assert_eq!(
            check_value(&mut v, &FieldType::map(FieldType::String)),
            Ok(())
        );
        assert_eq!(v.get("a"), Some(&Value::from("2")));
        let mut v = Value::List(vec![Value::int(1), Value::from("x")]);
        assert_eq!(
            check_value(&mut v, &FieldType::list(FieldType::Number)),
            Err("expected number at `[1]`, got string \"x\"".to_string())
        );
        assert_eq!(check_value(&mut Value::Unknown, &FieldType::Number), Ok(()));
    }
}
