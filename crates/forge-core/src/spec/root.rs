//! The stack's root, and keeping every file the loader reads inside it.
//!
//! A spec names other files (`include:` today; module sources and file
//! functions later). In a pull-request pipeline the spec is written by the
//! pull request's author, so a path like `/etc/shadow` or
//! `../../../../home/runner/.aws/credentials` would make forge read the
//! runner's secrets (and, before diagnostics stopped quoting such files,
//! print them). Every such path must therefore stay under the stack's
//! root: the enclosing git work tree (the nearest ancestor with a `.git`
//! directory or file, as in a worktree or submodule), else the stack's own
//! folder. Paths are compared after resolving symlinks, so a link inside
//! the repository that points outside it is outside.
//!
//! `LoadOptions::allow_outside_root` (`--allow-outside-root`,
//! `FORGE_ALLOW_OUTSIDE_ROOT=1`) lifts the restriction.

use std::path::{Component, Path, PathBuf};

/// Where the files a stack reads must be.
#[derive(Debug, Clone)]
pub(crate) struct Confinement {
    /// The root, canonical.
    root: PathBuf,
    /// Whether the user allowed files outside it.
    allow_outside: bool,
}

/// A path that resolves outside the stack's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutsideRoot {
    /// Where the path leads (symlinks resolved when it exists).
    pub resolved: PathBuf,
    /// The root it must stay under.
    pub root: PathBuf,
}

impl OutsideRoot {
    /// The hint every "outside the root" diagnostic carries.
    pub(crate) fn hint(&self) -> String {
        format!(
            "files a stack reads must be inside its repository ({}: the enclosing git work tree, else the stack folder); \
             pass --allow-outside-root (or set FORGE_ALLOW_OUTSIDE_ROOT=1) if this file is meant to be read",
            self.root.display()
        )
    }
}

impl Confinement {
    /// The confinement of the stack at `stack` (a folder or a file).
    pub(crate) fn for_stack(stack: &Path, allow_outside: bool) -> Confinement {
        Confinement {
            root: repository_root(stack),
            allow_outside,
        }
    }

    /// Checks that `path` is inside the root (or that the user allowed
    /// anything). A path that does not exist is judged by its text (`..`
    /// resolved), so a probe outside the root is refused the same way
    /// whether or not the file exists.
    pub(crate) fn check(&self, path: &Path) -> Result<(), OutsideRoot> {
        if self.allow_outside {
            return Ok(());
        }
        let resolved = match path.canonicalize() {
            Ok(p) => p,
            Err(_) => lexical(&absolute(path)),
        };
        if resolved.starts_with(&self.root) {
            Ok(())
        } else {
            Err(OutsideRoot {
                resolved,
                root: self.root.clone(),
            })
        }
    }
}

/// The enclosing git work tree of `stack`, else its folder (canonical).
pub(crate) fn repository_root(stack: &Path) -> PathBuf {
    let canonical = stack
        .canonicalize()
        .unwrap_or_else(|_| lexical(&absolute(stack)));
    let folder = if canonical.is_file() {
        canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| canonical.clone())
    } else {
        canonical
    };
    folder
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(folder)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `path` with `.` and `..` resolved, for paths that do not exist: each
/// existing prefix is canonicalized as it is built, so symlinks in it still
/// count.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => {
                out.push(other.as_os_str());
                if let Ok(c) = out.canonicalize() {
                    out = c;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    fn canonical(p: &Path) -> PathBuf {
        p.canonicalize().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn root_is_the_enclosing_git_work_tree_else_the_stack_folder() {
        let dir = tmp();
        let stack = dir.path().join("stacks/app");
        std::fs::create_dir_all(&stack).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(repository_root(&stack), canonical(&stack));
        // A worktree or submodule has a `.git` file, not a directory.
        std::fs::write(dir.path().join(".git"), "gitdir: elsewhere\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(repository_root(&stack), canonical(dir.path()));
        let file = stack.join("main.yaml");
        std::fs::write(&file, "stack: s\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(repository_root(&file), canonical(dir.path()));
    }

    #[test]
    fn paths_outside_the_root_are_refused_unless_allowed() {
        let dir = tmp();
        let stack = dir.path().join("app");
        std::fs::create_dir_all(stack.join("common")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("secret.txt"), "x").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(stack.join("common/a.yaml"), "x").unwrap_or_else(|e| panic!("{e}"));
        let c = Confinement::for_stack(&stack, false);
        assert_eq!(c.check(&stack.join("common/a.yaml")), Ok(()));
        assert_eq!(
            c.check(&stack.join("common/../common/missing.yaml")),
            Ok(())
        );
        let outside = c.check(&stack.join("../secret.txt"));
        assert_eq!(
            outside.map_err(|e| e.resolved),
            Err(canonical(&dir.path().join("secret.txt")))
        );
        // Refused the same way when the file does not exist.
        assert!(c.check(&stack.join("../../../../nope/passwd")).is_err());
        assert!(c.check(Path::new("/etc/passwd")).is_err());
        assert_eq!(
            Confinement::for_stack(&stack, true).check(Path::new("/etc/passwd")),
            Ok(())
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_resolved_before_the_check() {
        let dir = tmp();
        let stack = dir.path().join("app");
        std::fs::create_dir_all(&stack).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("secret.yaml"), "x").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(dir.path().join("secret.yaml"), stack.join("link.yaml"))
            .unwrap_or_else(|e| panic!("{e}"));
        let c = Confinement::for_stack(&stack, false);
        assert!(c.check(&stack.join("link.yaml")).is_err());
    }
}
