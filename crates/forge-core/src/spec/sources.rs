//! The files a stack is made of, for fingerprinting: a saved plan records a
//! digest of them so applying it can tell whether the spec changed since.

use super::include::{load_layered, stack_files};
use super::root::Confinement;
use super::yaml::Sources;
use crate::diag::Diagnostics;
use std::path::{Path, PathBuf};

/// Every spec file the stack at `path` reads, with its text: the folder's
/// `*.yaml`/`*.yml` files (or the one file given) and everything they
/// include, in load order, each once. Files that cannot be read are left
/// out (loading the stack reports them).
pub fn spec_sources(path: &Path) -> Vec<(PathBuf, String)> {
    let mut diags = Diagnostics::default();
    let mut sources = Sources::default();
    // Only hashed, never shown: the load itself enforces the root.
    let confinement = Confinement::for_stack(path, true);
    for file in stack_files(path, &mut diags) {
        load_layered(
            &file,
            &mut sources,
            &confinement,
            &mut Vec::new(),
            &mut diags,
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    sources
        .into_files()
        .into_iter()
        .filter(|(p, _)| seen.insert(p.clone()))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lists_stack_files_and_their_includes() {
        let dir = tempfile::tempdir().unwrap();
        let common = dir.path().join("common");
        std::fs::create_dir(&common).unwrap();
        std::fs::write(common.join("tags.yaml"), "tags: {team: a}\n").unwrap();
        let stack = dir.path().join("stack");
        std::fs::create_dir(&stack).unwrap();
        std::fs::write(
            stack.join("main.yaml"),
            "include: [../common/tags.yaml]\nstack: s\n",
        )
        .unwrap();
        std::fs::write(stack.join("more.yml"), "region: eu-west-1\n").unwrap();
        std::fs::write(stack.join("notes.txt"), "not a spec\n").unwrap();
        let files = spec_sources(&stack);
        let names: Vec<String> = files
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["main.yaml", "tags.yaml", "more.yml"]);
        assert_eq!(files[1].1, "tags: {team: a}\n");
    }
}
