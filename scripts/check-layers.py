#!/usr/bin/env python3
"""scripts/check-layers.py — the architecture rules of docs/architecture.md, checked.

Usage: scripts/check-layers.py BUILD_DIR [--max-lines N]

Prints one line per rule, "ok RULE" or "FAIL RULE: why", and exits 1 if any
rule fails. The rules:
  direction    core/ includes only core/; anchor/ only core/ and anchor/;
               verifier/ never notary/; notary/ never verifier/
  cli-outside  nothing outside notary/cli/ includes a notary/cli/ header
  include-circle  no cycle in the graph of #include "..." between files
  call-circle  no cycle between object files of a part, where A -> B when
               A.o uses a symbol that B.o defines (nm): a file that calls
               another never gets called back by it, directly or not
  verifier-binary  the verifier binary defines no symbol that an object of
               libnotary defines (the verifier links no notary code)
  file-size    no C source or header over N lines (default 900)
"""
import os
import re
import subprocess
import sys

PARTS = ("core", "anchor", "notary", "verifier")
ALLOWED = {
    "core": {"core"},
    "anchor": {"core", "anchor"},
    "notary": {"core", "anchor", "notary"},
    "verifier": {"core", "anchor", "verifier"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    out = []
    for part in PARTS:
        for root, _, files in os.walk(part):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.join(root, f))
    return sorted(out)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        return INCLUDE.findall(fh.read())


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def nm_symbols(obj):
    """(defined, undefined) external symbols of an object file or binary."""
    res = subprocess.run(["nm", "-g", obj], capture_output=True, text=True)
    defined, undefined = set(), set()
    for line in res.stdout.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == "U":
            undefined.add(f[1])
        elif len(f) == 3 and f[1] in "TDBRVWC":
            defined.add(f[2])
    return defined, undefined


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    build = sys.argv[1]
    max_lines = 900
    if "--max-lines" in sys.argv:
        max_lines = int(sys.argv[sys.argv.index("--max-lines") + 1])
    failed = 0

    def report(rule, problems):
        nonlocal failed
        if problems:
            failed += 1
            for p in problems[:20]:
                print(f"FAIL {rule}: {p}")
            if len(problems) > 20:
                print(f"FAIL {rule}: … and {len(problems) - 20} more")
        else:
            print(f"ok   {rule}")

    files = sources()
    graph = {}
    direction, cli = [], []
    for path in files:
        part = path.split("/")[0]
        graph[path] = []
        for inc in includes(path):
            if not os.path.exists(inc):
                continue  # a system or generated header
            target = inc.split("/")[0]
            if target in PARTS and target not in ALLOWED[part]:
                direction.append(f"{path} includes {inc}")
            if inc.startswith("notary/cli/") and not path.startswith("notary/cli/"):
                cli.append(f"{path} includes {inc}")
            graph[path].append(inc)
    report("direction (core <- anchor <- notary, core <- anchor <- verifier)", direction)
    report("cli-outside (only notary/cli includes notary/cli headers)", cli)
    report("include-circle", [" -> ".join(c) for c in cycles(graph)])

    # Call circles between the objects of each part's library.
    objs = {}
    for path in files:
        if path.endswith(".c"):
            o = os.path.join(build, "obj", path[:-2] + ".o")
            if os.path.exists(o):
                objs[path] = nm_symbols(o)
    missing = [p for p in files if p.endswith(".c") and p not in objs]
    if missing:
        report("call-circle", [f"{build} lacks the objects of {', '.join(missing[:5])}: run make first"])
    else:
        owner = {}
        for path, (defined, _) in objs.items():
            for s in defined:
                owner[s] = path
        calls = {p: sorted({owner[s] for s in und if s in owner and owner[s] != p})
                 for p, (_, und) in objs.items()}
        report("call-circle", [" <-> ".join(c) for c in cycles(calls)])

        notary_defs = set()
        for path, (defined, _) in objs.items():
            if path.startswith("notary/") and not path.startswith("notary/cli/"):
                notary_defs |= defined
        vbin = os.path.join(build, "bin", "verifier")
        if not os.path.exists(vbin):
            report("verifier-binary", [f"{vbin} is not built"])
        else:
            vdefs, _ = nm_symbols(vbin)
            report("verifier-binary (links no notary code)",
                   [f"{vbin} contains {s} (defined in notary/)" for s in sorted(vdefs & notary_defs)])

    big = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            n = sum(1 for _ in fh)
        if n > max_lines:
            big.append(f"{path} has {n} lines (> {max_lines})")
    report(f"file-size (no C file over {max_lines} lines)", big)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
