#!/usr/bin/env python3
"""Fails when a locked dependency needs a newer Rust than the workspace declares.

Reads `cargo metadata --locked --all-features` (every package in Cargo.lock, for every
platform and feature), takes the declared `rust-version` of the workspace's own crates, and
lists each other package whose `rust_version` is newer. Also checks that README.md names the same version. Run from the
repository root: `python3 .ci/check-msrv.py`.
"""

import json
import subprocess
import sys


def version(text):
    """'1.85' or '1.85.0' as a comparable tuple (1, 85, 0)."""
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    meta = json.loads(out)
    members = set(meta["workspace_members"])
    own = [p for p in meta["packages"] if p["id"] in members]
    declared = {p["name"]: p.get("rust_version") for p in own}
    missing = [name for name, v in declared.items() if not v]
    if missing:
        print(f"msrv: no rust-version declared for {', '.join(missing)}")
        return 1
    msrv_text = min(declared.values(), key=version)
    msrv = version(msrv_text)
    too_new = sorted(
        (version(p["rust_version"]), p["name"], p["version"], p["rust_version"])
        for p in meta["packages"]
        if p["id"] not in members and p.get("rust_version") and version(p["rust_version"]) > msrv
    )
    for _, name, ver, needs in too_new:
        print(f"msrv: {name} {ver} needs Rust {needs}, the workspace declares {msrv_text}")
    with open("README.md", encoding="utf-8") as readme:
        if f"{msrv_text} or newer" not in readme.read():
            print(f"msrv: README.md does not say '{msrv_text} or newer'")
            return 1
    if too_new:
        print("msrv: raise rust-version in Cargo.toml (and README.md), or pin an older version")
        return 1
    newest = max(
        (
            version(p["rust_version"])
            for p in meta["packages"]
            if p["id"] not in members and p.get("rust_version")
        ),
        default=msrv,
    )
    print(
        f"msrv: Rust {msrv_text} declared; the newest a locked dependency needs is "
        f"{'.'.join(map(str, newest))}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
