#!/usr/bin/python3
"""Markdown tables for docs/PERFORMANCE.md from the unet block of run.sh (benchmarks/side-by-side/run.sh OUT unet).

usage: unet_tables.py OUT_DIR
Reads per round r the peer's peer-unet-{train,sample}-r<r>.json (unet_peer.py time) and cm4j's
cm4j-unet-{train,sample}-r<r>.json (JMH), both per-call medians, the /usr/bin/time -v files of the RSS blocks and
blocks.log (settings, the output check, each block's monitor line). Prints:
  * per round and measure the ratio: training, cm4j time / PyTorch time (below 1: cm4j is faster; target <= 1.0);
    sampling, cm4j images/s / PyTorch images/s (above 1: cm4j is faster; target >= 1.25); their median and range;
  * time per image against batch on each side (flatness: the largest over the smallest);
  * peak RSS of each side's training-step process and the ratio cm4j / PyTorch (target <= 1.5);
  * the share of the machine other processes used during each block.
"""
import json
import os
import re
import statistics
import sys

OUT = sys.argv[1]


def load(name):
    path = os.path.join(OUT, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


def log_lines():
    path = os.path.join(OUT, "blocks.log")
    return open(path).read().splitlines() if os.path.exists(path) else []


def monitors():
    """Block name -> (share of the machine other processes used meanwhile in %, cores the block's command used),
    from the monitor lines."""
    shares, current = {}, None
    for line in log_lines():
        if line.startswith("=== "):
            current = line.split()[1]
        m = re.search(r"wall ([\d.]+) s, command CPU ([\d.]+) s, .*\(([\d.]+)% of", line)
        if line.startswith("[monitor]") and m and current:
            shares[current] = (float(m.group(3)), float(m.group(2)) / float(m.group(1)))
    return shares


def peer_ms(doc):
    """batch -> median ms per call."""
    return {r["batch"]: r["median_ms"] for r in doc["results"]} if doc else {}


def jmh_ms(rows):
    """batch -> median ms per call (JMH sample mode's p50; the mean for the other modes)."""
    out = {}
    for r in rows or []:
        pm = r["primaryMetric"]
        scale = {"ms/op": 1.0, "s/op": 1e3, "us/op": 1e-3}[pm["scoreUnit"]]
        value = pm.get("scorePercentiles", {}).get("50.0") if r["mode"] == "sample" else None
        out[int(r["params"]["batch"])] = scale * (value if value is not None else pm["score"])
    return out


def rss_kb(name):
    path = os.path.join(OUT, name + ".time")
    if not os.path.exists(path):
        return None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
    return int(m.group(1)) if m else None


def rng(values, fmt="{:.2f}"):
    return (fmt + " ({}-{})").format(statistics.median(values), fmt.format(min(values)), fmt.format(max(values)))


def main():
    rounds = sorted({int(m.group(1)) for f in os.listdir(OUT)
                     for m in [re.match(r"(?:peer|cm4j)-unet-(?:train|sample)-r(\d+)\.json$", f)] if m})
    for line in log_lines():
        if line.startswith("unet settings:") or line.startswith("unet_peer check:"):
            print(line)
    print()
    data = {}  # (what, batch) -> list of (round, peer ms, cm4j ms)
    for what in ("train", "sample"):
        for r in rounds:
            p = peer_ms(load(f"peer-unet-{what}-r{r}"))
            c = jmh_ms(load(f"cm4j-unet-{what}-r{r}"))
            for b in sorted(set(p) & set(c)):
                data.setdefault((what, b), []).append((r, p[b], c[b]))

    shares = monitors()
    print("| measure | PyTorch ms | cm4j ms | ratio per round | median ratio (range) | target |")
    print("|---|---:|---:|---|---:|---|")
    order = sorted(data, key=lambda k: (k[0] != "train", k[1]))  # training first, then sampling
    for what, b in order:
        rows = data[(what, b)]
        # training: cm4j time / PyTorch time; sampling: cm4j throughput / PyTorch throughput
        ratios = [c / p if what == "train" else p / c for _, p, c in rows]
        med = statistics.median(ratios)
        if what == "train":
            label, line, ok = f"training step, batch {b}", "<= 1.0", med <= 1.0
        else:
            label, line, ok = f"one-step sampling, batch {b}", ">= 1.25", med >= 1.25
        # monitor.py's rule: other processes above 5% of the machine disturb a timing; no verdict then
        worst = max((shares.get(f"{side}-unet-{what}-r{r}", (float("nan"),))[0] for r, _, _ in rows
                     for side in ("peer", "cm4j")), default=float("nan"))
        target = (f"{line}: {'met' if ok else '**missed**'}" if worst <= 5.0
                  else f"{line}: not judged (other processes up to {worst:.0f}%)")
        print(f"| {label} | {statistics.median(p for _, p, _ in rows):.1f} |"
              f" {statistics.median(c for _, _, c in rows):.1f} | {', '.join(f'{x:.2f}' for x in ratios)} |"
              f" {rng(ratios)} | {target} |")
    print()
    print("Ratios: training cm4j time / PyTorch time (below 1: cm4j faster); sampling cm4j images/s / PyTorch"
          " images/s (above 1: cm4j faster). Times: per-call medians, the median over rounds.")
    print()

    print("| measure | batch | PyTorch ms per image | cm4j ms per image |")
    print("|---|---:|---:|---:|")
    flat = {}
    for what, b in order:
        rows = data[(what, b)]
        pi = statistics.median(p for _, p, _ in rows) / b
        ci = statistics.median(c for _, _, c in rows) / b
        flat.setdefault(what, []).append((pi, ci))
        print(f"| {what} | {b} | {pi:.2f} | {ci:.2f} |")
    print()
    for what, v in flat.items():
        if len(v) > 1:
            p = max(x for x, _ in v) / min(x for x, _ in v)
            c = max(x for _, x in v) / min(x for _, x in v)
            print(f"{what}: largest / smallest time per image over these batches: PyTorch {p:.2f}, cm4j {c:.2f}"
                  " (target: within 1.10)  ")
    print()

    peer_rss, cm4j_rss = rss_kb("peer-unet-rss"), rss_kb("cm4j-unet-rss")
    if peer_rss and cm4j_rss:
        batch = next((m.group(1) for line in log_lines() for m in [re.search(r"\| rss (\d+)", line)] if m), "?")
        heap = next((" ".join(o for o in m.group(1).split() if o.startswith("-X"))
                     for line in log_lines() for m in [re.search(r"UNET_JVM=([^|]*)", line)] if m), "?")
        print(f"| peak RSS, training step process | PyTorch | cm4j (`{heap}`) | ratio cm4j / PyTorch | target |")
        print("|---|---:|---:|---:|---|")
        print(f"| batch {batch} | {peer_rss / 1024 ** 2:.2f} GiB | {cm4j_rss / 1024 ** 2:.2f} GiB |"
              f" {cm4j_rss / peer_rss:.2f} | <= 1.5: {'met' if cm4j_rss <= 1.5 * peer_rss else '**missed**'} |")
        print()

    if shares:
        names = [n for n in shares if "unet" in n]
        print("Per block: other processes' share of the machine, and the cores the block's own command used: "
              + ", ".join(f"{n} {shares[n][0]:.1f}% / {shares[n][1]:.2f}" for n in names))


if __name__ == "__main__":
    main()
