"""The robustness grid with the present 2-D defaults, merged from the runs that measured each column.

Sources (all in this folder):
  stf.csv              floor, teacher and ECT of every run; iCT (c = 0.01) and CD (N = 40, one teacher step per link)
  ict-c0.1/demo.csv    iCT with the present pseudo-Huber c = 0.1, the demo budget's 24 runs (same teachers)
  peer-c0.1.csv        the peer budget at width 128, seeds 0-1, with c = 0.1 and the former CD
  present-runs/*.csv   whole runs of RobustnessRun with the present defaults (every column present)
  cd-probes/*.log      CdProbeRun with the present CD (N = 10, 8 substeps): a line "-" in present-*.log, the setting
                       "n=10,sub=8" (peer budget) or "n=10,sub=8,steps=6000" (demo budget) in former-*.log
A column that no source measured with the present defaults keeps its former value and is flagged in the table.
Writes present.csv (RobustnessRun's format; SW1 of CD is NaN where only a probe measured it) and prints the table.

  python3 runs/robustness/present.py
"""
import csv, glob, math, os, re, statistics

here = os.path.dirname(os.path.abspath(__file__))
HEADER = ("data,width,budget,seed,floor_sw2,teacher_sw2,cd1_sw2,cd2_sw2,ict1_sw2,ict2_sw2,ect1_sw2,ect2_sw2,"
          "floor_sw1,teacher_sw1,cd1_sw1,cd2_sw1,ict1_sw1,ict2_sw1,ect1_sw1,ect2_sw1,cd_mid,ict_mid,ect_mid,seconds")
COLS = HEADER.split(",")


def read(path):
    with open(path) as f:
        return {(r["data"], r["width"], r["budget"], r["seed"]): r for r in csv.DictReader(f)}


rows, former = {}, {}
for k, r in read(os.path.join(here, "stf.csv")).items():
    rows[k] = dict(r)
    former[k] = {"cd", "ict"}  # columns still measured with former defaults
for k, r in read(os.path.join(here, "peer-c0.1.csv")).items():
    rows[k] = dict(r)
    former[k] = {"cd"}
for k, r in read(os.path.join(here, "ict-c0.1", "demo.csv")).items():
    if abs(float(r["teacher_sw2"]) / float(rows[k]["teacher_sw2"]) - 1) > 2e-3:
        raise SystemExit(f"{k}: iCT's teacher {r['teacher_sw2']} is not the grid's {rows[k]['teacher_sw2']}")
    for c in ("ict1_sw2", "ict2_sw2", "ict1_sw1", "ict2_sw1", "ict_mid"):
        rows[k][c] = r[c]
    former[k].discard("ict")
for path in sorted(glob.glob(os.path.join(here, "present-runs", "*.csv"))):
    for k, r in read(path).items():
        rows[k] = dict(r)
        former[k] = set()

line = re.compile(r"^  (\S+)\s+CD 1 step ([\d.]+) = [\d.]+x the teacher, 2 steps ([\d.]+) = [\d.]+x "
                  r"\(middle sigma ([\d.e+-]+)\)", re.M)
for path in sorted(glob.glob(os.path.join(here, "cd-probes", "*.log"))):
    name = os.path.basename(path)
    text = open(path).read()
    m = re.search(r"^(\w+) seed (\d+): teacher SW2 ([\d.]+)", text, re.M)
    budget = "demo" if "-demo-" in name else "peer"
    width = "256" if "-w256-" in name else "128"
    k = (m.group(1).lower(), width, budget, m.group(2))
    wanted = "-" if name.startswith("present-") else ("n=10,sub=8" if budget == "peer" else "n=10,sub=8,steps=6000")
    for s in line.finditer(text):
        if s.group(1) != wanted or k not in rows:
            continue
        teacher = float(rows[k]["teacher_sw2"])
        if abs(float(m.group(3)) / teacher - 1) > 2e-3:
            raise SystemExit(f"{name}: teacher SW2 {m.group(3)} is not the grid's {teacher} for {k}")
        rows[k].update(cd1_sw2=s.group(2), cd2_sw2=s.group(3), cd1_sw1="NaN", cd2_sw1="NaN", cd_mid=s.group(4))
        former[k].discard("cd")

order = {"demo": 0, "peer": 1}
keys = sorted(rows, key=lambda k: (order[k[2]], int(k[1]), k[0], int(k[3])))
with open(os.path.join(here, "present.csv"), "w") as f:
    f.write(HEADER + "\n")
    for k in keys:
        f.write(",".join(rows[k][c] for c in COLS) + "\n")


def ratio(r, c):
    return float(r[c + "_sw2"]) / float(r["teacher_sw2"])


def spread(v):
    return f"{statistics.mean(v):.2f}x ({min(v):.2f}-{max(v):.2f})" if len(v) > 1 else f"{v[0]:.2f}x"


print("| budget | width | data | seeds | teacher SW2 (/ floor) | CD 1 step | CD 2 steps | iCT 1 step | iCT 2 steps "
      "| ECT 1 step | ECT 2 steps |")
print("|---|---:|---|---|---|---|---|---|---|---|---|")
groups = {}
for k in keys:
    groups.setdefault(k[:3], []).append(k)
misses = []
for g, ks in groups.items():
    rs = [rows[k] for k in ks]
    t = [float(r["teacher_sw2"]) for r in rs]
    fl = [float(r["teacher_sw2"]) / float(r["floor_sw2"]) for r in rs]
    tflag = ""
    cells = []
    for c in ("cd1", "cd2", "ict1", "ict2", "ect1", "ect2"):
        cell = spread([ratio(r, c) for r in rs])
        stale = [k[3] for k in ks if c[:-1] in former[k]]
        if stale:
            cell += " ‡" if len(stale) == len(ks) else f" ‡ (seeds {','.join(stale)})"
        cells.append(cell)
    fls = f"{statistics.mean(fl):.2f}x" + (f", {min(fl):.2f}-{max(fl):.2f}" if len(fl) > 1 else "")
    print(f"| {g[2]} | {g[1]} | {g[0]} | {','.join(k[3] for k in ks)} | {statistics.mean(t):.4f} ({fls}) | "
          + " | ".join(cells) + " |")
    for k, r in zip(ks, rs):
        for c, lim in (("cd1", 1.2), ("ict1", 2.0), ("ict2", 1.3), ("ect2", 1.1)):
            v = ratio(r, c)
            if not v <= lim:
                misses.append((c, k, v, c[:-1] in former[k]))
print()
n = len(keys)
for c, lim in (("cd1", 1.2), ("ict1", 2.0), ("ict2", 1.3), ("ect2", 1.1)):
    bad = [m for m in misses if m[0] == c]
    print(f"{c} within {lim}x: {n - len(bad)} of {n}; misses: "
          + "; ".join(f"{k[0]} w{k[1]} {k[2]} s{k[3]} {v:.2f}x{' (former)' if f else ''}" for _, k, v, f in bad))
