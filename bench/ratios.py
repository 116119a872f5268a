#!/usr/bin/env python3
"""Prints criterion's results as ratios against a peer measured in the same run.

Usage: python3 bench/ratios.py [GROUP_PREFIX ...]

Reads target/criterion/<group>/<function>/new/estimates.json (the last `cargo bench` run) and,
for every group, prints each function's median time and its ratio to the group's peers
(std, parking_lot, crossbeam, flume, ...). Ratios taken in one run are what we compare: on
these shared machines absolute times swing 20-100% from run to run.
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")


def median_ns(path):
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main(prefixes):
    if not os.path.isdir(ROOT):
        sys.exit(f"no criterion results under {ROOT}: run cargo bench first")
    for group in sorted(os.listdir(ROOT)):
        if prefixes and not any(group.startswith(p) for p in prefixes):
            continue
        gdir = os.path.join(ROOT, group)
        results = {}
        for fn in sorted(os.listdir(gdir)):
            est = os.path.join(gdir, fn, "new", "estimates.json")
            if os.path.isfile(est):
                results[fn] = median_ns(est)
        if not results:
            continue
        ours = {k: v for k, v in results.items() if k.startswith("potok")}
        peers = {k: v for k, v in results.items() if not k.startswith("potok")}
        print(f"{group}:")
        for name, ns in results.items():
            line = f"  {name:<28} {fmt(ns):>10}"
            if name in ours:
                line += "".join(f"  {ns / p:6.2f}x {peer}" for peer, p in peers.items())
            print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
