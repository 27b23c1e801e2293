#!/usr/bin/env python3
"""Starts moto's server for forge's tests, with moto's known gaps patched.

The patches live in scripts/moto_patches/ (one module per service; the list
with the AWS reference each follows is in docs/testing.md). They make the
emulator behave as AWS documents, never as forge expects, and are fixed in
the harness, never by weakening forge.

Usage: moto_launcher.py [--host 127.0.0.1] [--port 0] [--skip-patch NAME]...
                        [--time-scale S] [--rate-limits auto|on|off]
Once listening it prints `FORGE_EMULATOR_LISTENING <port>` on stdout (port 0
means "pick a free one", so parallel tests never race for a port). It exits
when its stdin reaches EOF (the test process that started it died) unless
started with --no-stdin-watch. It refuses to start when the installed moto
is not the version scripts/emulator-venv pins (the patches are written
against that version) or when a patch no longer fits it.

`--time-scale S` (or FORGE_EMULATOR_TIME_SCALE=S) runs the emulator in real
time, scaled: slow objects pass through their AWS lifecycle states for the
durations of scripts/moto_patches/durations.py times S (0.01: a 90 s NAT
gateway is `pending` for 0.9 s), and calls AWS refuses meanwhile are
refused (scripts/moto_patches/realtime.py). 0, the default, keeps
everything ready at once. `--rate-limits` (FORGE_EMULATOR_RATE_LIMITS)
enforces AWS's API rate limits; `auto` means on when a time scale is set.
Every request is counted: GET /forge-harness/counters
(scripts/moto_patches/harness_app.py).
"""

import argparse
import logging
import os
import re
import sys
import threading
from importlib import metadata
from pathlib import Path

# Must be set before moto's IAM backend is imported: AWS-managed policy ARNs
# (arn:aws:iam::aws:policy/...) only exist when this is on.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))


def pinned_moto_version():
    """The moto version scripts/emulator-venv installs (MOTO_VERSION=...)."""
    text = (SCRIPTS / "emulator-venv").read_text()
    found = re.search(r'^MOTO_VERSION="([^"]+)"', text, re.MULTILINE)
    if not found:
        raise SystemExit("moto_launcher: no MOTO_VERSION in scripts/emulator-venv")
    return found.group(1)


def check_moto_version():
    want = pinned_moto_version()
    try:
        have = metadata.version("moto")
    except metadata.PackageNotFoundError:
        have = None
    if have != want:
        sys.stderr.write(
            f"moto_launcher: moto {have or '(not installed)'} is installed, but the "
            f"patches in scripts/moto_patches are written for moto {want} (pinned in "
            "scripts/emulator-venv). Run this launcher with the venv's python "
            "(scripts/emulator-venv prints it), or re-check every patch before "
            "changing the pin.\n"
        )
        raise SystemExit(2)


def watch_stdin():
    """Exit when the parent closes our stdin (it died or dropped us)."""
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except OSError:
        pass
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-stdin-watch", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--skip-patch",
        action="append",
        default=[],
        metavar="NAME",
        help="leave a gap unpatched (to show a test catches it), e.g. "
        "patch_s3_conditional_writes_atomic; repeatable",
    )
    parser.add_argument(
        "--list-patches", action="store_true", help="print the patch names and exit"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=float(os.environ.get("FORGE_EMULATOR_TIME_SCALE") or 0),
        metavar="S",
        help="real AWS durations times S (default FORGE_EMULATOR_TIME_SCALE or 0: "
        "everything ready at once)",
    )
    parser.add_argument(
        "--rate-limits",
        choices=["auto", "on", "off"],
        default=os.environ.get("FORGE_EMULATOR_RATE_LIMITS") or "auto",
        help="enforce AWS API rate limits (auto: on with a time scale)",
    )
    args = parser.parse_args()
    if args.time_scale < 0:
        parser.error("--time-scale must be 0 or more")

    check_moto_version()
    import moto_patches

    if args.list_patches:
        print("\n".join(moto_patches.names()))
        return
    try:
        moto_patches.apply(set(args.skip_patch))
    except moto_patches.PatchError as e:
        sys.stderr.write(f"moto_launcher: {e}\n")
        raise SystemExit(3)
    sweep = None
    if args.time_scale > 0:
        from moto_patches import realtime

        try:
            realtime.install(args.time_scale)
        except moto_patches.PatchError as e:
            sys.stderr.write(f"moto_launcher: --time-scale: {e}\n")
            raise SystemExit(3)
        sweep = realtime.sweep
    rate_limits = args.rate_limits == "on" or (
        args.rate_limits == "auto" and args.time_scale > 0
    )

    from moto_patches.harness_app import HarnessApp
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    app = HarnessApp(
        DomainDispatcherApplication(create_backend_app),
        rate_limits=rate_limits,
        sweep=sweep,
        scale=args.time_scale,
    )
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    port = server.server_port
    if args.time_scale > 0 or rate_limits:
        sys.stderr.write(
            f"moto_launcher: time scale {args.time_scale:g}, rate limits "
            f"{'on' if rate_limits else 'off'}\n"
        )
    print(f"FORGE_EMULATOR_LISTENING {port}", flush=True)
    if not args.no_stdin_watch:
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
