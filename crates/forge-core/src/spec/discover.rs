//! Finding stacks and their environments without loading them whole, for
//! commands that run over many (`forge drift specs/ --all-envs`).
//!
//! Both read the files as the loader does (YAML parsed, includes layered
//! underneath, the root enforced): an environment declared in an included
//! `_envcommon` file counts like one declared in the stack's own files.

use super::include::stack_files;
use super::loader::{Loader, read_document};
use super::model::LoadOptions;
use super::root::Confinement;
use super::yaml::{Expect, Sources, node_kind};
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::SchemaRegistry;
use marked_yaml::types::Node;
use std::path::Path;

/// The top-level keys that make a file the root of a stack (an included
/// file holds only what it shares, typically `vars`, `tags` or
/// `environments`). A stack made only of module calls (a unit whose
/// `stack:` comes from an include) counts.
pub(crate) const STACK_KEYS: &[&str] = &["stack", "resources", "modules"];

/// The key only a module's files have (a stack has `vars`): a folder that
/// declares it, and no `stack`, is a module.
const MODULE_KEY: &str = "inputs";

/// Whether `path` is a stack: a `*.yaml`/`*.yml` file, or a folder with a
/// top-level YAML file that declares `stack`, `resources` or `modules` (and is not a
/// module's folder: one that declares `inputs` and no `stack`).
///
/// A file that does not parse counts as a stack's, so a stack with a
/// syntax error is checked (and its errors reported) rather than skipped.
pub fn is_stack(path: &Path) -> bool {
    if path.is_file() {
        return matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
    }
    if !path.is_dir() {
        return false;
    }
    let mut diags = Diagnostics::default();
    let (mut stackish, mut module, mut named) = (false, false, false);
    for file in stack_files(path, &mut diags) {
        // Any mapping: whether it is a spec is the load's question.
        match Sources::default().parse_file(&file, Expect::Vars, &mut Diagnostics::default()) {
            Some(map) => {
                stackish |= map.keys().any(|k| STACK_KEYS.contains(&k.as_str()));
                named |= map.keys().any(|k| k.as_str() == "stack");
                module |= map.keys().any(|k| k.as_str() == MODULE_KEY);
            }
            None => stackish = true,
        }
    }
    // A module folder (`modules/network`) declares `inputs` and has
    // resources, but it is used by stacks, never run on its own.
    stackish && (named || !module)
}

/// The names of the environments the stack at `path` declares under
/// `environments`, in its own files or in the files they include, sorted.
/// Empty when it declares none.
///
/// Only `opts.allow_outside_root` is used: the files are read and merged
/// as [`super::load_stack`] reads them, but no environment is chosen and
/// nothing is evaluated. Errors are the reading's (a missing or unreadable
/// file, a syntax error, an include outside the root, a key set twice) and
/// an `environments` that is not a map.
pub fn stack_environments(path: &Path, opts: &LoadOptions) -> Result<Vec<String>, Diagnostics> {
    read_section(path, opts, "environments", |l, node| {
        let mut names = Vec::new();
        match node {
            None => {}
            Some(Node::Mapping(envs)) => {
                names.extend(envs.keys().map(|k| k.as_str().to_string()));
            }
            Some(other) => {
                l.error(
                    other.span(),
                    format!("`environments` must be a map, got {}", node_kind(other)),
                );
            }
        }
        names.sort();
        names
    })
}

/// Reads the stack at `path` as the loader does (files merged, includes
/// layered, the root enforced, nothing evaluated) and hands its top-level
/// `section` to `read`. The reading's errors and those `read` reports are
/// returned together, sorted.
pub(crate) fn read_section<T>(
    path: &Path,
    opts: &LoadOptions,
    section: &str,
    read: impl FnOnce(&mut Loader<'_>, Option<&Node>) -> T,
) -> Result<T, Diagnostics> {
    let schemas = SchemaRegistry::new();
    let mut l = Loader::new(&schemas);
    let confinement = Confinement::for_stack(path, opts.allow_outside_root);
    let document = read_document(&mut l, path, &confinement);
    let out = read(&mut l, document.as_ref().and_then(|d| d.get_node(section)));
    if document.is_none() && l.diags.is_empty() {
        l.diags
            .push(Diagnostic::general("the stack could not be read"));
    }
    if !l.diags.is_empty() {
        let mut diags = l.diags;
        diags.sort();
        return Err(diags);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn environments_come_from_the_top_level_mapping() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "main.yaml",
            "stack: s\nvars:\n  dev: 1\nenvironments:\n  # the usual four\n  dev:\n    vars:\n      x: 1\n  \"prod\":\n    vars: {}\nresources: {}\n",
        );
        let opts = LoadOptions::default();
        assert_eq!(
            stack_environments(dir.path(), &opts).unwrap(),
            ["dev", "prod"]
        );
        let single = dir.path().join("single.yml");
        std::fs::write(&single, "stack: s\nresources: {}\n").unwrap();
        assert!(stack_environments(&single, &opts).unwrap().is_empty());
    }

    #[test]
    fn stacks_are_folders_with_a_stack_or_resources_key() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a/main.yaml", "stack: a\n");
        write(root, "b/main.yml", "resources: {}\n");
        write(root, "c/main.yaml", "stack: [unclosed\n");
        write(root, "docs/notes.yaml", "title: not a stack\n");
        write(root, "empty/readme.txt", "stack: not yaml\n");
        write(
            root,
            "modules/net/main.yaml",
            "inputs: {cidr: {type: string}}\n",
        );
        write(root, "modules/net/vpc.yaml", "resources: {}\n");
        write(root, "d/main.yaml", "stack: d\ninputs: {}\nresources: {}\n");
        write(root, "e/main.yaml", "include: [../l.yaml]\nmodules: {}\n");
        for yes in ["a", "b", "c", "a/main.yaml", "d", "e"] {
            assert!(is_stack(&root.join(yes)), "{yes}");
        }
        for no in [
            "docs",
            "empty",
            "missing",
            "empty/readme.txt",
            "modules/net",
        ] {
            assert!(!is_stack(&root.join(no)), "{no}");
        }
    }
}
