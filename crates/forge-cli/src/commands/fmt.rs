//! `forge fmt [PATHS...] [--check]`: spec files in the canonical layout
//! (forge-core's `spec::layout`), like `terraform fmt -recursive`.
//!
//! Folders are searched recursively for `*.yaml` / `*.yml` files that are
//! forge specs (a mapping with a spec's top-level key); hidden folders
//! (`.forge`, `.git`, virtualenvs) and `target` are skipped, and so are YAML
//! files that are not specs (CI workflows, var files). A file named on the
//! command line that is not a spec is reported and skipped.

use super::{EXIT_ERROR, EXIT_OK};
use anyhow::Context;
use forge_core::spec::TOP_LEVEL_KEYS;
use forge_core::spec::layout::{LayoutError, canonical_layout, is_spec_text};
use std::path::{Path, PathBuf};

/// Runs `forge fmt`: prints each file it changed (or, with `check`, would
/// change); exit 1 when `check` finds one or a spec cannot be read.
pub fn run(paths: &[PathBuf], check: bool) -> anyhow::Result<u8> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_dir() {
            find_yaml(root, &mut files)
                .with_context(|| format!("reading folder {}", root.display()))?;
        } else {
            files.push((root.clone(), true));
        }
    }
    let mut failed = false;
    for (file, named) in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        if !is_spec_text(&text, TOP_LEVEL_KEYS) {
            if named {
                match canonical_layout(&text) {
                    Err(e @ LayoutError::Syntax { .. }) => {
                        eprintln!("{}: {e}", file.display());
                        failed = true;
                    }
                    _ => eprintln!("{}: not a forge spec; skipped", file.display()),
                }
            }
            continue;
        }
        match canonical_layout(&text) {
            Ok(out) if out == text => {}
            Ok(out) => {
                println!("{}", file.display());
                if check {
                    failed = true;
                } else {
                    write_atomically(&file, &out)?;
                }
            }
            Err(e @ LayoutError::Unsupported { .. }) => {
                eprintln!("{}: {e}", file.display());
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                failed = true;
            }
        }
    }
    Ok(if failed { EXIT_ERROR } else { EXIT_OK })
}

/// The YAML files below `dir`, sorted, outside hidden folders and `target`.
fn find_yaml(dir: &Path, out: &mut Vec<(PathBuf, bool)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                find_yaml(&path, out)?;
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push((path, false));
        }
    }
    Ok(())
}

/// Replaces `path` with `text` through a temporary file in the same folder,
/// so an interrupted run never leaves half a spec.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.forge-fmt"));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
