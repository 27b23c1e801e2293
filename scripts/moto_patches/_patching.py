"""The one way a patch touches moto: `replace` and `add`, plus the registry
of patches the launcher applies in order.

Every patch is a function registered with `@patch`. Inside it, every change
to a moto class or module goes through `replace` (the attribute must exist:
moto renamed or dropped it otherwise, and the patch's premise is gone) or
`add` (an operation moto does not implement: the attribute must NOT exist,
since a moto that implements it needs the patch re-checked). Both fail at
start-up with an exception naming the patch, the owner and the attribute,
so a moto upgrade can never silently leave a patch dangling.
"""

PATCHES = []
"""Registered patch functions, in application order."""

_MISSING = object()
_current = None


class PatchError(RuntimeError):
    """A patch no longer fits the installed moto."""


def patch(fn):
    """Registers `fn` as a patch named by its function name."""
    if any(p.__name__ == fn.__name__ for p in PATCHES):
        raise PatchError(f"two patches are named {fn.__name__}")
    PATCHES.append(fn)
    return fn


def _where(owner, name):
    return f"{getattr(owner, '__module__', '')}.{getattr(owner, '__qualname__', getattr(owner, '__name__', owner))}.{name}".lstrip(".")


def replace(owner, name, new):
    """Replaces `owner.name` (a method, property or module attribute) with
    `new` and returns what it was. Fails when moto has no such attribute."""
    original = getattr(owner, name, _MISSING)
    if original is _MISSING:
        raise PatchError(
            f"{_current or 'patch'}: moto has no {_where(owner, name)} any more; "
            "re-check the patch against this moto version"
        )
    setattr(owner, name, new)
    return original


def add(owner, name, new):
    """Adds `owner.name` for an operation moto does not implement. Fails when
    moto has it already (the patch may no longer be needed)."""
    if getattr(owner, name, _MISSING) is not _MISSING:
        raise PatchError(
            f"{_current or 'patch'}: moto now implements {_where(owner, name)}; "
            "re-check whether the patch is still needed"
        )
    setattr(owner, name, new)


def names():
    return [p.__name__ for p in PATCHES]


def apply(skip=()):
    """Applies every registered patch not named in `skip`. An unknown name in
    `skip` is an error (a typo would otherwise prove nothing)."""
    global _current
    unknown = sorted(set(skip) - set(names()))
    if unknown:
        raise PatchError(
            f"--skip-patch: no patch named {', '.join(unknown)}; known: {', '.join(names())}"
        )
    for fn in PATCHES:
        if fn.__name__ in skip:
            continue
        _current = fn.__name__
        try:
            fn()
        finally:
            _current = None
