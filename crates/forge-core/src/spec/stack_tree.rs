//! A tree of stacks and the order to run them in: the stacks under a
//! folder, the environments and `dependencies:` each declares, and the
//! dependency levels (waves) — level 0 depends on nothing in the tree,
//! level N only on lower levels. `forge stacks` prints it; run-all
//! (`forge plan|apply|destroy DIR --all`) follows it.
//!
//! Everything is read without evaluating a stack (as
//! [`super::stack_environments`] does), so the tree is known before any
//! stack's dependencies are applied.

use super::dependencies::{DeclaredDependency, stack_dependencies};
use super::discover::{STACK_KEYS, is_stack, stack_environments};
use super::include::stack_files;
use super::model::LoadOptions;
use crate::diag::{Diagnostic, Diagnostics};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One stack of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeStack {
    /// Its folder (or file), as found under the tree's folder.
    pub path: PathBuf,
    /// The environments it declares (sorted; empty when none).
    pub environments: Vec<String>,
    /// What it declares under `dependencies:`.
    pub dependencies: Vec<DeclaredDependency>,
    /// Indexes (into [`StackTree::stacks`]) of the stacks of the tree it
    /// depends on; dependencies outside the tree are read, never run.
    pub depends_on: Vec<usize>,
    /// Its dependency level: 0 depends on no stack of the tree.
    pub level: usize,
}

/// The stacks under a folder, in run order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTree {
    /// Sorted by level, then path.
    pub stacks: Vec<TreeStack>,
}

impl StackTree {
    /// The stacks of each level, by index.
    pub fn levels(&self) -> Vec<Vec<usize>> {
        let mut levels: Vec<Vec<usize>> = Vec::new();
        for (i, s) in self.stacks.iter().enumerate() {
            if levels.len() <= s.level {
                levels.resize(s.level + 1, Vec::new());
            }
            levels[s.level].push(i);
        }
        levels
    }

    /// The stack at `path`, compared the way dependencies are matched.
    pub fn find(&self, path: &Path) -> Option<usize> {
        let key = identity(path);
        self.stacks.iter().position(|s| identity(&s.path) == key)
    }

    /// `selected` and every stack that depends on one of them, directly or
    /// not (what `--changed-since` runs: a change to a stack can change the
    /// outputs the stacks after it read).
    pub fn with_dependents(&self, selected: &[usize]) -> Vec<usize> {
        let mut on = vec![false; self.stacks.len()];
        for &i in selected {
            if i < on.len() {
                on[i] = true;
            }
        }
        // Sorted by level, so one pass sees every dependency first.
        for i in 0..self.stacks.len() {
            if self.stacks[i].depends_on.iter().any(|&d| on[d]) {
                on[i] = true;
            }
        }
        (0..self.stacks.len()).filter(|&i| on[i]).collect()
    }
}

/// The stacks under `dir`: `dir` itself if it is a stack, else every
/// folder below it that is one (not descending into a stack, nor into
/// `_`- or `.`-prefixed folders, which hold includes and state).
pub fn find_stacks(dir: &Path) -> Vec<PathBuf> {
    if is_stack(dir) {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        let Ok(subs) = subfolders(&folder) else {
            continue;
        };
        for sub in subs {
            if is_stack(&sub) && names_a_stack(&sub) {
                out.push(sub);
            } else {
                todo.push(sub);
            }
        }
    }
    out.sort();
    out
}

/// The folders in `folder` that may hold stacks, sorted: not `_`- or
/// `.`-prefixed ones, which hold includes and state.
pub fn subfolders(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut subs: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('_') && !n.starts_with('.'))
        })
        .collect();
    subs.sort();
    Ok(subs)
}

/// Whether one of the folder's YAML files has a top-level `stack:`,
/// `resources:` or `modules:` line (the keys of `discover::STACK_KEYS`). [`is_stack`] counts a folder whose YAML does not
/// parse as a stack (so a broken spec is reported, not skipped); walking a
/// whole tree, that would take in every folder of other tools' multi-document
/// YAML (Kubernetes manifests), so a broken file must at least name a
/// stack's key to count.
fn names_a_stack(dir: &Path) -> bool {
    let mut diags = Diagnostics::default();
    stack_files(dir, &mut diags).iter().any(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| {
            text.lines().any(|l| {
                STACK_KEYS
                    .iter()
                    .any(|k| l.strip_prefix(k).is_some_and(|rest| rest.starts_with(':')))
            })
        })
    })
}

/// How two spellings of one stack's path are matched: the canonical path
/// when it exists.
fn identity(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Reads the tree under `dir`: every stack's environments and
/// dependencies, ordered. Errors: stacks that cannot be read, and a cycle
/// of dependencies (named stack by stack).
pub fn stack_tree(dir: &Path, opts: &LoadOptions) -> Result<StackTree, Diagnostics> {
    let paths = find_stacks(dir);
    let mut diags = Diagnostics::default();
    if paths.is_empty() {
        diags.push(
            Diagnostic::general(format!("no stacks in {}", dir.display()))
                .with_hint("a stack is a folder with a YAML file holding `stack:` or `resources:`"),
        );
        return Err(diags);
    }
    let mut stacks = Vec::new();
    for path in paths {
        let environments = stack_environments(&path, opts);
        let dependencies = stack_dependencies(&path, opts);
        match (environments, dependencies) {
            (Ok(environments), Ok(dependencies)) => stacks.push(TreeStack {
                path,
                environments,
                dependencies,
                depends_on: Vec::new(),
                level: 0,
            }),
            (e, d) => {
                for bad in [e.err(), d.err()].into_iter().flatten() {
                    diags.0.extend(bad.0);
                }
            }
        }
    }
    if !diags.is_empty() {
        diags.0.dedup();
        return Err(diags);
    }
    let index: BTreeMap<PathBuf, usize> = stacks
        .iter()
        .enumerate()
        .map(|(i, s)| (identity(&s.path), i))
        .collect();
    let edges: Vec<Vec<usize>> = stacks
        .iter()
        .map(|s| {
            let mut on: Vec<usize> = s
                .dependencies
                .iter()
                .filter_map(|d| index.get(&identity(&d.path)).copied())
                .collect();
            on.sort_unstable();
            on.dedup();
            on
        })
        .collect();
    let levels = order(&edges).map_err(|cycle| {
        let names: Vec<String> = cycle
            .iter()
            .map(|&i| stacks[i].path.display().to_string())
            .collect();
        Diagnostics(vec![
            Diagnostic::general(format!(
                "the stacks depend on each other in a cycle: {}",
                names.join(" → ")
            ))
            .with_hint("a stack cannot read the outputs of a stack that reads its own; move the shared part to a stack both depend on"),
        ])
    })?;
    for (i, s) in stacks.iter_mut().enumerate() {
        s.level = levels[i];
    }
    // Sorted by level then path; indexes in `depends_on` follow.
    let mut sorted: Vec<usize> = (0..stacks.len()).collect();
    sorted.sort_by(|&a, &b| {
        (stacks[a].level, &stacks[a].path).cmp(&(stacks[b].level, &stacks[b].path))
    });
    let mut new_index = vec![0; stacks.len()];
    for (new, &old) in sorted.iter().enumerate() {
        new_index[old] = new;
    }
    let mut out: Vec<Option<TreeStack>> = stacks.into_iter().map(Some).collect();
    let stacks = sorted
        .iter()
        .filter_map(|&old| {
            let mut s = out[old].take()?;
            s.depends_on = edges[old].iter().map(|&d| new_index[d]).collect();
            s.depends_on.sort_unstable();
            Some(s)
        })
        .collect();
    Ok(StackTree { stacks })
}

/// The dependency level of each node (`edges[i]`: the nodes `i` depends
/// on), or the nodes of one cycle, in order, first node repeated last.
pub fn order(edges: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    let mut level = vec![0usize; edges.len()];
    // Depth-first with an explicit stack: (node, next edge to follow).
    for start in 0..edges.len() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if let Some(&dep) = edges[node].get(*next) {
                *next += 1;
                match marks.get(dep).copied() {
                    Some(Mark::New) => {
                        marks[dep] = Mark::Open;
                        path.push((dep, 0));
                    }
                    Some(Mark::Open) => {
                        let from = path.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        let mut cycle: Vec<usize> = path[from..].iter().map(|&(n, _)| n).collect();
                        cycle.push(dep);
                        return Err(cycle);
                    }
                    Some(Mark::Done) | None => {}
                }
            } else {
                level[node] = edges[node]
                    .iter()
                    .filter(|&&d| d < edges.len())
                    .map(|&d| level[d] + 1)
                    .max()
                    .unwrap_or(0);
                marks[node] = Mark::Done;
                path.pop();
            }
        }
    }
    Ok(level)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_longest_chain_of_dependencies() {
        // 0 network, 1 data -> 0, 2 app -> 0 and 1, 3 standalone.
        let edges = vec![vec![], vec![0], vec![0, 1], vec![]];
        assert_eq!(order(&edges), Ok(vec![0, 1, 2, 0]));
        // A dependency listed before its own dependency is still ordered.
        let edges = vec![vec![1], vec![2], vec![]];
        assert_eq!(order(&edges), Ok(vec![2, 1, 0]));
    }

    #[test]
    fn a_cycle_is_returned_in_order() {
        let edges = vec![vec![1], vec![2], vec![0], vec![]];
        assert_eq!(order(&edges), Err(vec![0, 1, 2, 0]));
        assert_eq!(order(&[vec![0]]), Err(vec![0, 0]));
        // Reached from a node outside the cycle.
        let edges = vec![vec![1], vec![2], vec![1]];
        assert_eq!(order(&edges), Err(vec![1, 2, 1]));
    }

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn module_folders_are_not_stacks_and_module_only_units_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "_layers/root.yaml", "stack: s\nregion: us-east-1\n");
        write(
            root,
            "modules/net/main.yaml",
            "inputs:\n  cidr: {type: string}\nresources: {}\n",
        );
        write(
            root,
            "net/main.yaml",
            "include: [../_layers/root.yaml]\nmodules:\n  n: {source: ../modules/net}\n",
        );
        write(root, "app/main.yaml", "stack: app\nresources: {}\n");
        let found: Vec<PathBuf> = find_stacks(root)
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        assert_eq!(found, [PathBuf::from("app"), PathBuf::from("net")]);
    }

    fn dep(name: &str) -> String {
        format!("dependencies:\n  {name}:\n    path: ../{name}\n")
    }

    #[test]
    fn a_tree_is_read_and_ordered_with_dependents_selected() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "network/main.yaml",
            "stack: network\nenvironments: {dev: {}, prod: {}}\n",
        );
        write(
            root,
            "data/main.yaml",
            &format!("stack: data\n{}", dep("network")),
        );
        write(
            root,
            "app/main.yaml",
            &format!("stack: app\n{}  data:\n    path: ../data\n", dep("network")),
        );
        write(root, "tools/main.yaml", "stack: tools\n");
        write(root, "_envcommon/common.yaml", "stack: not-a-unit\n");
        // Other tools' YAML (multi-document, so it does not parse as a
        // spec) is not a stack; a broken spec still is (and fails).
        write(
            root,
            "k8s/cronjob.yaml",
            "apiVersion: v1\nkind: A\n---\nkind: B\n",
        );
        let tree = stack_tree(root, &LoadOptions::default()).unwrap();
        let order: Vec<(String, usize)> = tree
            .stacks
            .iter()
            .map(|s| {
                (
                    s.path.file_name().unwrap().to_string_lossy().into_owned(),
                    s.level,
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                ("network".to_string(), 0),
                ("tools".to_string(), 0),
                ("data".to_string(), 1),
                ("app".to_string(), 2)
            ]
        );
        assert_eq!(tree.levels(), [vec![0, 1], vec![2], vec![3]]);
        assert_eq!(tree.stacks[0].environments, ["dev", "prod"]);
        assert_eq!(tree.stacks[3].depends_on, [0, 2]);
        let data = tree.find(&root.join("data")).unwrap();
        assert_eq!(tree.with_dependents(&[data]), [2, 3]);
        assert_eq!(tree.with_dependents(&[1]), [1]);
    }

    #[test]
    fn a_cycle_between_stacks_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a/main.yaml", &format!("stack: a\n{}", dep("b")));
        write(root, "b/main.yaml", &format!("stack: b\n{}", dep("a")));
        assert_eq!(find_stacks(root), [root.join("a"), root.join("b")]);
        write(root, "c/main.yaml", "stack: c\nresources: [unclosed\n");
        assert_eq!(find_stacks(root).len(), 3);
        std::fs::remove_dir_all(root.join("c")).unwrap();
        let err = stack_tree(root, &LoadOptions::default()).unwrap_err();
        let text = err.to_string().replace(&format!("{}/", root.display()), "");
        assert!(
            text.contains("the stacks depend on each other in a cycle: a → b → a"),
            "{text}"
        );
        assert!(text.contains("move the shared part"), "{text}");
    }
}
