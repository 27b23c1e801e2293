//! Reading a stack's files: the folder's top-level `*.yaml`/`*.yml` files
//! (or the one file given), each with its `include:` chain layered
//! underneath it (Terragrunt's `_envcommon` idea).
//!
//! Layering: the included files are merged first, in order, then the
//! including file on top; maps merge deeply, anything else is replaced by
//! the later value. Includes are relative to the file that names them and
//! may themselves include.
//!
//! Every file read (the stack's own files and every include) must be
//! inside the stack's root (see `root.rs`), and an included file must be a
//! forge spec: anything else is reported by path and position only.

use super::loader::TOP_LEVEL_KEYS;
use super::root::Confinement;
use super::yaml::{Expect, Sources};
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, Node};
use std::path::{Path, PathBuf};

/// The spec files of a stack path, sorted by name.
pub(crate) fn stack_files(path: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let at_start = || SourcePos {
        file: path.to_path_buf(),
        line: 1,
        column: 1,
    };
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::at(
                at_start(),
                format!("cannot read stack {}: {e}", path.display()),
            ));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                && !is_var_file(p)
        })
        .collect();
    files.sort();
    if files.is_empty() {
        diags.push(
            Diagnostic::at(
                at_start(),
                format!("no *.yaml or *.yml files in {}", path.display()),
            )
            .with_hint("a stack is a folder of YAML files, or one YAML file"),
        );
    }
    files
}

/// Whether `path` is a var file by its name (`*.vars.yaml`, `*.vars.yml`):
/// never a spec file of the stack.
fn is_var_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".vars.yaml") || n.ends_with(".vars.yml"))
}

/// The var files the stack at `path` reads by convention, in the order
/// they apply (later wins): `forge.vars.yaml` for every environment, then
/// `<env>.vars.yaml` for environment `env`, both in the stack's folder
/// (next to the file for a one-file stack; `.yml` works too). Only those
/// that exist.
pub fn convention_var_files(path: &Path, env: Option<&str>) -> Vec<PathBuf> {
    let dir = if path.is_file() {
        path.parent().unwrap_or(Path::new("."))
    } else {
        path
    };
    let mut stems = vec!["forge".to_string()];
    stems.extend(env.map(str::to_string));
    stems
        .iter()
        .filter_map(|stem| {
            ["yaml", "yml"]
                .iter()
                .map(|ext| dir.join(format!("{stem}.vars.{ext}")))
                .find(|p| p.is_file())
        })
        .collect()
}

/// Loads one file with its includes merged underneath it.
pub(crate) fn load_layered(
    path: &Path,
    sources: &mut Sources,
    confinement: &Confinement,
    chain: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) -> Option<MarkedMappingNode> {
    let mut own = sources.parse_file(path, Expect::Spec(TOP_LEVEL_KEYS), diags)?;
    let Some(include) = own.remove("include") else {
        return Some(own);
    };
    chain.push(canonical(path));
    let mut base: Option<MarkedMappingNode> = None;
    let items: Vec<Node> = match include {
        Node::Sequence(seq) => seq.to_vec(),
        Node::Scalar(s) => vec![Node::Scalar(s)],
        Node::Mapping(m) => {
            diags.push(
                sources
                    .diag(m.span(), "`include` must be a list of file paths")
                    .with_hint("include: [../_envcommon/network.yaml]"),
            );
            Vec::new()
        }
    };
    for item in items {
        let Node::Scalar(rel) = &item else {
            diags.push(sources.diag(item.span(), "`include` entries must be file paths"));
            continue;
        };
        let Some(target) = resolve(path, rel, sources, confinement, chain, diags) else {
            continue;
        };
        if let Some(layer) = load_layered(&target, sources, confinement, chain, diags) {
            base = Some(match base {
                Some(b) => merge_mappings(b, layer),
                None => layer,
            });
        }
    }
    chain.pop();
    Some(match base {
        Some(b) => merge_mappings(b, own),
        None => own,
    })
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn resolve(
    from: &Path,
    rel: &MarkedScalarNode,
    sources: &Sources,
    confinement: &Confinement,
    chain: &[PathBuf],
    diags: &mut Diagnostics,
) -> Option<PathBuf> {
    let target = from.parent().unwrap_or(Path::new(".")).join(rel.as_str());
    // Before looking at the file at all: whether a file outside the root
    // exists is not the spec's business either.
    if let Err(outside) = confinement.check(&target) {
        diags.push(
            sources
                .diag(
                    rel.span(),
                    format!(
                        "include `{}` is outside the stack's root (it leads to {})",
                        rel.as_str(),
                        outside.resolved.display()
                    ),
                )
                .with_hint(outside.hint()),
        );
        return None;
    }
    if !target.is_file() {
        diags.push(
            sources
                .diag(rel.span(), format!("include not found: `{}`", rel.as_str()))
                .with_hint(format!(
                    "paths are relative to the including file; looked for {}",
                    target.display()
                )),
        );
        return None;
    }
    let canon = canonical(&target);
    if let Some(start) = chain.iter().position(|p| *p == canon) {
        let names: Vec<String> = chain[start..]
            .iter()
            .chain(std::iter::once(&canon))
            .map(|p| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let message = if chain.len() - start == 1 {
            format!("`{}` includes itself", rel.as_str())
        } else {
            format!("include cycle: {}", names.join(" -> "))
        };
        diags.push(
            sources
                .diag(rel.span(), message)
                .with_hint("remove one of the includes in the cycle"),
        );
        return None;
    }
    Some(target)
}

/// `top` layered over `base`: maps merge key by key, recursively; any
/// other value in `top` replaces the one in `base`.
pub(crate) fn merge_mappings(
    mut base: MarkedMappingNode,
    top: MarkedMappingNode,
) -> MarkedMappingNode {
    let span = *top.span();
    for (k, v) in top.iter() {
        let merged = match (base.remove(k.as_str()), v) {
            (Some(Node::Mapping(b)), Node::Mapping(t)) => {
                Node::Mapping(merge_mappings(b, t.clone()))
            }
            (_, v) => v.clone(),
        };
        base.insert(k.clone(), merged);
    }
    *base.span_mut() = span;
    base
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::yaml::node_value;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        p
    }

    #[test]
    fn includes_layer_deeply_and_in_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(
            dir.path(),
            "common/a.yaml",
            "tags: {a: '1', b: '1'}\nregion: r1\n",
        );
        write(
            dir.path(),
            "common/b.yaml",
            "include: [a.yaml]\ntags: {b: '2', c: '2'}\n",
        );
        let main = write(
            dir.path(),
            "main.yaml",
            "include: [common/b.yaml]\ntags: {c: '3'}\nstack: s\n",
        );
        let mut sources = Sources::default();
        let mut diags = Diagnostics::default();
        let confinement = Confinement::for_stack(dir.path(), false);
        let node = load_layered(
            &main,
            &mut sources,
            &confinement,
            &mut Vec::new(),
            &mut diags,
        );
        assert!(diags.is_empty(), "{diags}");
        let v = node
            .map(|m| node_value(&Node::Mapping(m)))
            .unwrap_or_default();
        assert_eq!(
            v.to_json(),
            serde_json::json!({"tags": {"a": "1", "b": "2", "c": "3"}, "region": "r1", "stack": "s"})
        );
    }

    #[test]
    fn include_cycles_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(dir.path(), "a.yaml", "include: [b.yaml]\n");
        write(dir.path(), "b.yaml", "include: [a.yaml, missing.yaml]\n");
        let mut sources = Sources::default();
        let mut diags = Diagnostics::default();
        load_layered(
            &dir.path().join("a.yaml"),
            &mut sources,
            &Confinement::for_stack(dir.path(), false),
            &mut Vec::new(),
            &mut diags,
        );
        let messages: Vec<&str> = diags.0.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "include cycle: a.yaml -> b.yaml -> a.yaml",
                "include not found: `missing.yaml`"
            ]
        );
    }
}
