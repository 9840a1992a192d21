#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""No file depends on a file that depends back on it.

Two graphs, each checked for cycles (strongly connected components of more
than one node):
  - includes: one node per file, A -> B when A includes B (only headers can
    close a cycle: no file includes a .c);
  - calls: one node per object file of a library; A -> B when A uses a
    global symbol that B defines (read with nm from the built objects).
Usage: check-cycles.py BUILD_DIR   (run from the top of the tree)
Prints every cycle and exits 1 when there is one."""
import collections
import os
import re
import subprocess
import sys

SRC_DIRS = ["user", "include", "bpf"]
# Each library's objects form one call graph (a program's main is checked
# with its own library).
LIBS = {
    "librsipcommon": ["user/lib"],
    "librsip": ["user/client"],
    "librsipd": ["user/rsipd"],
    "librsipc": ["user/rsipc"],
}
INC_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
INC_PATH = ["include", "user/lib", "user/rsipd"]


def sccs(graph):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(100000)

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def include_graph():
    files = []
    for d in SRC_DIRS:
        for root, _, names in os.walk(d):
            files += [os.path.join(root, f) for f in names if f.endswith((".c", ".h"))]
    graph = collections.defaultdict(set)
    for f in files:
        src = open(f, encoding="utf-8", errors="replace").read()
        for inc in INC_RE.findall(src):
            cands = [os.path.join(os.path.dirname(f), inc)] + [os.path.join(p, inc) for p in INC_PATH]
            for c in cands:
                c = os.path.normpath(c)
                if os.path.exists(c):
                    graph[f].add(c)
                    break
        graph.setdefault(f, set())
    return graph


def nm(obj, *flags):
    r = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True)
    return r.stdout.splitlines()


def call_graph(objs):
    defs, uses = {}, {}
    for o in objs:
        for line in nm(o, "--defined-only", "-g"):
            p = line.split()
            if len(p) == 3:
                defs[p[2]] = o
        uses[o] = [line.split()[-1] for line in nm(o, "-u") if line.strip()]
    graph = {o: set() for o in objs}
    for o, us in uses.items():
        for u in us:
            d = defs.get(u)
            if d and d != o:
                graph[o].add(d)
    return graph


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    bad = 0
    for comp in sccs(include_graph()):
        bad += 1
        print("include cycle: " + " -> ".join(comp))
    nobj = 0
    for lib, dirs in LIBS.items():
        objs = []
        for d in dirs:
            for root, _, names in os.walk(os.path.join(build, "obj", d)):
                for f in names:
                    obj = os.path.join(root, f)
                    # Only objects whose source still exists: a tree built
                    # before a file moved keeps its stale object.
                    src = os.path.relpath(obj, os.path.join(build, "obj"))[:-2] + ".c"
                    if f.endswith(".o") and os.path.exists(src):
                        objs.append(obj)
        if not objs:
            print(f"check-cycles: no objects for {lib} under {build}/obj: build first", file=sys.stderr)
            return 2
        nobj += len(objs)
        base = os.path.join(build, "obj") + "/"
        for comp in sccs(call_graph(sorted(objs))):
            bad += 1
            print(f"call cycle in {lib}: " + " -> ".join(c[len(base):] for c in comp))
    if bad:
        print(f"== structure: {bad} cycle(s); break them with a callback or a returned event")
        return 1
    print(f"== structure: no include or call cycles ({nobj} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
