//! Where Terraform states are read from: a local `terraform.tfstate`, an
//! S3 backend object (`s3://bucket/key`), a Terragrunt tree (every
//! folder with a `terragrunt.hcl` is a unit with its own state), or a
//! Terragrunt tree's remote states (`s3://bucket/prefix/`: every
//! `*.tfstate` under the prefix is a unit). Only
//! reads: nothing here writes to a Terraform state.

use crate::AwsClients;
use std::path::{Path, PathBuf};

/// One state to migrate.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The unit's path in a Terragrunt tree, relative to its root (empty
    /// for a single state).
    pub path: PathBuf,
    /// Where the state was read from (for messages and the stack header).
    pub source_name: String,
    /// The state's text.
    pub text: String,
}

/// Why a state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A local file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The S3 object does not exist.
    #[error(
        "s3://{bucket}/{key}: no such object\n  hint: the backend's `key` (with a workspace, `env:/<workspace>/<key>`; with Terragrunt, the unit's path and `terraform.tfstate`)"
    )]
    S3Missing {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// S3 said something else.
    #[error("s3://{bucket}/{key}: {message}")]
    S3 {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// What went wrong.
        message: String,
    },
    /// `s3://` without a bucket and key.
    #[error("`{0}` is not an S3 object address: expected s3://BUCKET/KEY")]
    BadS3Address(String),
    /// A tree with no unit that has a local state.
    #[error(
        "{0}: no Terraform state found (no terraform.tfstate, and no terragrunt.hcl unit with one)\n  hint: for a remote backend, pass its object, s3://BUCKET/KEY, or a prefix holding every unit's state, s3://BUCKET/PREFIX/"
    )]
    NoState(String),
}

/// Splits `s3://bucket/key` (a key ending in `/` is a prefix).
pub fn parse_s3(address: &str) -> Option<(String, String)> {
    let rest = address.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

/// Whether an S3 key is a Terraform state (Terragrunt's remote states are
/// `<unit path>/terraform.tfstate`; workspaces add `env:/<name>/`).
fn is_state_key(key: &str) -> bool {
    key.ends_with(".tfstate")
}

/// Reads `s3://bucket/key` in `region`, or with `s3://bucket/prefix/`
/// every state under the prefix, one unit each, named by its folder
/// below the prefix (a Terragrunt tree whose `remote_state` is S3).
pub async fn read_s3(
    clients: &AwsClients,
    region: &str,
    address: &str,
) -> Result<Vec<Unit>, SourceError> {
    let (bucket, key) =
        parse_s3(address).ok_or_else(|| SourceError::BadS3Address(address.to_string()))?;
    let fail = |key: &str, message: String| SourceError::S3 {
        bucket: bucket.clone(),
        key: key.to_string(),
        message,
    };
    let config = clients
        .config(region)
        .await
        .map_err(|e| fail(&key, e.to_string()))?;
    let client = crate::s3::client(&config);
    if !key.ends_with('/') {
        let text = get_text(&client, &bucket, &key).await?;
        return Ok(vec![Unit {
            path: PathBuf::new(),
            source_name: address.to_string(),
            text,
        }]);
    }
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&key)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| fail(&key, aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?;
        keys.extend(
            out.contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|k| is_state_key(k))
                .map(str::to_string),
        );
        match out.next_continuation_token() {
            Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    if keys.is_empty() {
        return Err(SourceError::NoState(address.to_string()));
    }
    keys.sort();
    let mut units = Vec::new();
    for k in keys {
        let text = get_text(&client, &bucket, &k).await?;
        let below = k.strip_prefix(key.as_str()).unwrap_or(&k);
        let path = Path::new(below)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        units.push(Unit {
            path,
            source_name: format!("s3://{bucket}/{k}"),
            text,
        });
    }
    Ok(units)
}

/// One object's text.
async fn get_text(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<String, SourceError> {
    let fail = |message: String| SourceError::S3 {
        bucket: bucket.to_string(),
        key: key.to_string(),
        message,
    };
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            let missing = e.as_service_error().is_some_and(|s| s.is_no_such_key());
            if missing {
                SourceError::S3Missing {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                }
            } else {
                fail(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
            }
        })?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| fail(e.to_string()))?
        .into_bytes();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn read_file(path: &Path) -> Result<String, SourceError> {
    std::fs::read_to_string(path).map_err(|source| SourceError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Reads a local state file, or every unit of a Terragrunt tree.
pub fn read_local(path: &Path) -> Result<Vec<Unit>, SourceError> {
    if !path.is_dir() {
        return Ok(vec![Unit {
            path: PathBuf::new(),
            source_name: path.display().to_string(),
            text: read_file(path)?,
        }]);
    }
    let mut units = Vec::new();
    collect_units(path, path, &mut units)?;
    if units.is_empty() {
        let single = path.join("terraform.tfstate");
        if single.is_file() {
            return Ok(vec![Unit {
                path: PathBuf::new(),
                source_name: single.display().to_string(),
                text: read_file(&single)?,
            }]);
        }
        return Err(SourceError::NoState(path.display().to_string()));
    }
    Ok(units)
}

/// The state of a Terragrunt unit: `terraform.tfstate` beside its
/// `terragrunt.hcl`, else the one Terragrunt's cache holds for it.
fn unit_state(dir: &Path) -> Option<PathBuf> {
    let here = dir.join("terraform.tfstate");
    if here.is_file() {
        return Some(here);
    }
    let mut found = Vec::new();
    find_named(
        &dir.join(".terragrunt-cache"),
        "terraform.tfstate",
        &mut found,
    );
    found.sort();
    found.into_iter().next()
}

fn find_named(dir: &Path, name: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            find_named(&p, name, out);
        } else if p.file_name().is_some_and(|n| n == name) {
            out.push(p);
        }
    }
}

fn collect_units(root: &Path, dir: &Path, units: &mut Vec<Unit>) -> Result<(), SourceError> {
    if dir.join("terragrunt.hcl").is_file()
        && dir != root
        && let Some(state) = unit_state(dir)
    {
        units.push(Unit {
            path: dir.strip_prefix(root).unwrap_or(dir).to_path_buf(),
            source_name: state.display().to_string(),
            text: read_file(&state)?,
        });
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    dirs.sort();
    for d in dirs {
        collect_units(root, &d, units)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_addresses_split() {
        assert_eq!(
            parse_s3("s3://b/env/prod/terraform.tfstate"),
            Some(("b".into(), "env/prod/terraform.tfstate".into()))
        );
        assert_eq!(parse_s3("s3://b"), None);
        assert_eq!(parse_s3("s3://b/live/"), Some(("b".into(), "live/".into())));
        assert!(is_state_key("live/prod/network/terraform.tfstate"));
        assert!(!is_state_key(
            "live/prod/network/terraform.tfstate.backup.json"
        ));
        assert_eq!(parse_s3("s3:///k"), None);
    }
}
