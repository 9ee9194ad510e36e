"""Cis groups of n kinase-domain mutations: maximal cliques vs the old subset enumeration.

Issue 15 item 1: enumerating every subset of size >= 3 doubled per mutation (n=24: 22 s),
so a 40-mutation sample never finished.  Target: n=40 in well under a second, whatever
the cis graph (none, all, random half).  The old enumeration is timed in the same run at
sizes it can finish (the anchor).

Run:  python benchmarks/cis_groups_bench.py [--old-max 18]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alkseq.genome.phase import _cis_groups  # noqa: E402
from alkseq.genome.protein import parse_protein_change  # noqa: E402
from alkseq.model import Alteration, PhaseEvidence  # noqa: E402


def old_enumeration(names, edges):
    groups = []
    for size in range(len(names), 2, -1):
        for subset in combinations(names, size):
            if any(set(subset) <= set(group) for group in groups):
                continue
            if all(pair in edges for pair in combinations(subset, 2)):
                groups.append(subset)
    return groups


def case(n: int, graph: str, seed: int = 1):
    names = [f"G{1120 + 6 * i}R" for i in range(n)]
    mutations = [Alteration(gene="ALK", kind="mutation", protein_change=parse_protein_change(x)[1])
                 for x in names]
    pairs = list(combinations(names, 2))
    rng = random.Random(seed)
    chosen = {"none": [], "all": pairs, "half": [p for p in pairs if rng.random() < 0.5]}[graph]
    evidence = PhaseEvidence(source="vaf_hint", detail="bench")
    return names, mutations, {pair: evidence for pair in chosen}


def seconds(func, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-max", type=int, default=18, help="largest n for the old enumeration")
    args = parser.parse_args()
    print(f"{'n':>3} {'cis graph':<10} {'cliques (s)':>12} {'groups':>7} {'old (s)':>10}")
    for n in (10, 14, args.old_max, 40):
        for graph in ("none", "half", "all"):
            names, mutations, edges = case(n, graph)
            new = seconds(lambda: _cis_groups(mutations, edges))
            count = len(_cis_groups(mutations, edges))
            old = "-"
            if n <= args.old_max:
                old = f"{seconds(lambda: old_enumeration(names, set(edges)), runs=1):.4f}"
            print(f"{n:>3} {graph:<10} {new:>12.5f} {count:>7} {old:>10}")
    print("target: n=40 well under 1 s for every graph")


if __name__ == "__main__":
    main()
