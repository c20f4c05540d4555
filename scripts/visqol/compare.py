#!/usr/bin/env python3
"""Compares Swift and visqol-python ViSQOL scores: a table, MAE and Spearman's rho.

Usage: compare.py PAIRS.tsv PYTHON.jsonl SWIFT.jsonl [--markdown]
PAIRS.tsv lines are "LABEL<TAB>REFERENCE<TAB>DEGRADED"; the JSONL files hold one result per pair, in
the same order. Exit status 1 when a goal (MAE <= 0.1 MOS, rho >= 0.95) is missed.
"""
import json
import sys

from scipy.stats import spearmanr

MAE_GOAL = 0.1
RHO_GOAL = 0.95


def main():
    pairs_path, python_path, swift_path = sys.argv[1:4]
    markdown = "--markdown" in sys.argv
    labels = [line.split("\t")[0] for line in open(pairs_path) if line.strip()]
    python = [json.loads(line) for line in open(python_path) if line.strip()]
    swift = [json.loads(line) for line in open(swift_path) if line.strip()]
    if not (len(labels) == len(python) == len(swift)):
        raise SystemExit(f"{len(labels)} pairs, {len(python)} Python results, {len(swift)} Swift results")
    rows = []
    for label, p, s in zip(labels, python, swift):
        rows.append((label, p["moslqo"], s["visqol_mos"], p["vnsim"], s["vnsim"]))
    if markdown:
        print("| pair | visqol-python MOS | Swift MOS | diff | python NSIM | Swift NSIM |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, pm, sm, pn, sn in rows:
            print(f"| {label} | {pm:.3f} | {sm:.3f} | {sm - pm:+.3f} | {pn:.4f} | {sn:.4f} |")
    else:
        print(f"{'pair':<28} {'python':>7} {'swift':>7} {'diff':>7} {'nsim py':>8} {'nsim sw':>8}")
        for label, pm, sm, pn, sn in rows:
            print(f"{label:<28} {pm:7.3f} {sm:7.3f} {sm - pm:+7.3f} {pn:8.4f} {sn:8.4f}")
    n = len(rows)
    mae = sum(abs(sm - pm) for _, pm, sm, _, _ in rows) / n
    worst = max(abs(sm - pm) for _, pm, sm, _, _ in rows)
    rho = spearmanr([r[1] for r in rows], [r[2] for r in rows]).statistic
    nsim_mae = sum(abs(sn - pn) for *_, pn, sn in rows) / n
    print()
    print(f"n = {n} pairs; MOS mean absolute difference {mae:.4f} (worst {worst:.4f}, goal <= {MAE_GOAL}); "
          f"Spearman rho {rho:.4f} (goal >= {RHO_GOAL}); mean NSIM MAE {nsim_mae:.5f}")
    ok = mae <= MAE_GOAL and rho >= RHO_GOAL
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
