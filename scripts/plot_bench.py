#!/usr/bin/env python3
"""Plot `megakernel bench --json` output: median ns per item per case, p99 as a whisker."""
import json
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: plot_bench.py BENCH.json OUT.png", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_bench.py: matplotlib is missing; fix: install python3-matplotlib (scripts/setup-deps)",
              file=sys.stderr)
        return 1
    with open(argv[1], encoding="utf-8") as f:
        bench = json.load(f)
    cases = [c for c in bench.get("cases", []) if not c.get("skipped")]
    if not cases:
        print("plot_bench.py: no measured cases in " + argv[1], file=sys.stderr)
        return 1
    names = [c["name"] for c in cases]
    medians = [c["median_ns_per_item"] for c in cases]
    upper = [max(c["p99_ns_per_item"] - c["median_ns_per_item"], 0.0) for c in cases]

    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(cases) + 2.0), 4.0))
    bars = ax.bar(names, medians, yerr=[[0.0] * len(cases), upper], capsize=6, color="#4C72B0")
    for bar, case in zip(bars, cases):
        ratio = case.get("ratio_vs_baseline")
        label = f"{case['median_ns_per_item']:.2f} ns"
        if ratio is not None:
            label += f"\n{ratio:.2f}x {case['baseline']}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8, xytext=(0, 3), textcoords="offset points")
    ax.set_ylabel("ns per item (median, whisker to p99)")
    ax.set_title(f"megakernel bench: {bench.get('items_per_sample')} items/sample, commit {bench.get('git_commit')}\n"
                 f"{bench.get('device')} (driver {bench.get('driver')})", fontsize=9)
    top = max(m + u for m, u in zip(medians, upper))
    if min(medians) > 0 and top / min(medians) > 20:
        ax.set_yscale("log")  # paths differ by orders of magnitude
        ax.set_ylim(min(medians) / 2, top * 4)
    else:
        ax.set_ylim(0, top * 1.3)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
