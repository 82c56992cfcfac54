#!/usr/bin/env python3
"""Plots `paytorrent-cli bench transfer --json` output: throughput against payment increment.

    paytorrent-cli bench transfer --json > w1.json
    paytorrent-cli bench transfer --window 4MiB --json > w4.json     # optional, more windows
    python3 scripts/plot_transfer.py docs/transfer-throughput.png w1.json w4.json

One line per input file (each is one credit window). Left: MB/s, with the unpaid download
of the same runs as a band (lowest to highest median of the files). Right: each paid median
over the unpaid median of its own run, with the goals. Needs Debian's python3-matplotlib
(scripts/bootstrap.sh installs it). An input of "-" is standard input.
"""
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

# The JSON comes from our own benchmark; a file this size is not one it wrote.
MAX_JSON_BYTES = 1 << 20
GOALS = ((256 * 1024, 0.95, "tab:green"), (16 * 1024, 0.8, "tab:orange"))


def size_label(n):
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= unit:
            return f"{n / unit:g} {name}"
    return f"{n} B"


def load(path):
    f = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with f:
        text = f.read(MAX_JSON_BYTES + 1)
    if len(text) > MAX_JSON_BYTES:
        sys.exit(f"{path}: larger than {MAX_JSON_BYTES} bytes, not bench transfer output")
    data = json.loads(text)
    t = data.get("transfer", data)
    if not t.get("paid"):
        sys.exit(f"{path}: no paid runs")
    return t


def window_of(t):
    # The window asked for; older output lacks it, and then the smallest window used.
    return t.get("credit_window_bytes") or min(p["credit_window_bytes"] for p in t["paid"])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    runs = sorted((load(p) for p in sys.argv[2:]), key=window_of)
    unpaid = [t["unpaid"]["mb_per_s"] for t in runs]
    all_x = sorted({p["increment_bytes"] for t in runs for p in t["paid"]})

    fig, (ax, rx) = plt.subplots(1, 2, figsize=(12, 4.8), dpi=110)
    ax.axhspan(min(unpaid), max(unpaid), color="tab:gray", alpha=0.25,
               label=f"unpaid: {min(unpaid):.0f}-{max(unpaid):.0f} MB/s" if len(runs) > 1
               else f"unpaid: {unpaid[0]:.0f} MB/s")
    ax.axhline(statistics.median(unpaid), color="tab:gray", linewidth=1)
    colors = ["tab:red", "tab:purple", "tab:blue", "tab:cyan", "tab:olive"]
    for i, t in enumerate(runs):
        paid = sorted(t["paid"], key=lambda p: p["increment_bytes"])
        xs = [p["increment_bytes"] for p in paid]
        color = colors[i % len(colors)]
        label = f"paid, credit window {size_label(window_of(t))}"
        ax.plot(xs, [p["mb_per_s"] for p in paid], marker="o", color=color, linewidth=2, label=label)
        rx.plot(xs, [p["ratio_to_unpaid"] for p in paid], marker="o", color=color, linewidth=2, label=label)
        for p in paid:
            if p["credit_window_bytes"] != window_of(t):
                # A window must exceed the increment; such a run used a larger one.
                note = f"(window {size_label(p['credit_window_bytes'])})"
                for a, y in ((ax, p["mb_per_s"]), (rx, p["ratio_to_unpaid"])):
                    a.annotate(note, (p["increment_bytes"], y), textcoords="offset points", xytext=(-10, -4),
                               ha="right", va="top", fontsize=7, color=color)
    for x, goal, color in GOALS:
        rx.plot([x], [goal], marker="*", markersize=14, color=color, linestyle="none",
                label=f"goal at {size_label(x)}: {goal}")
    rx.axhline(1.0, color="tab:gray", linewidth=1)

    for a in (ax, rx):
        a.set_xscale("log", base=2)
        a.set_xticks(all_x)
        a.set_xticklabels([size_label(x) for x in all_x])
        a.set_xlabel("payment increment (the least a payment buys)")
        a.grid(True, alpha=0.3)
    ax.set_ylabel("download throughput, MB/s (10^6 bytes)")
    ax.set_ylim(0, max(unpaid + [p["mb_per_s"] for t in runs for p in t["paid"]]) * 1.15)
    rx.set_ylabel("paid / unpaid (same run)")
    rx.set_ylim(0, max([1.2] + [p["ratio_to_unpaid"] * 1.08 for t in runs for p in t["paid"]]))
    ax.legend(loc="lower right", fontsize=8)
    rx.legend(loc="lower right", fontsize=8)
    machine = runs[0].get("machine", {})
    fig.suptitle(f"PayTorrent paid vs unpaid download: {size_label(runs[0]['size_bytes'])} over loopback TCP, "
                 f"two processes, {machine.get('cores', '?')} cores; medians of "
                 f"{'/'.join(str(t.get('rounds', 1)) for t in runs)} rounds", fontsize=10)
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main()
