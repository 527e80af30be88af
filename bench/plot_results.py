#!/usr/bin/env python3
"""Plot AllReduce busbw and time against size, from bench/compare/run.sh's medians, as SVG.

    bench/plot_results.py [bench/compare/results/allreduce_median.csv] [bench/results_allreduce.svg]

One column of panels per rank count: busbw (GB/s, linear) on top, time (µs, log) below, message
size on a log axis, one line per library. Python standard library only: the SVG is written by hand.
"""
import csv
import math
import sys
from xml.sax.saxutils import escape

STYLE = {  # library -> (label, colour, dash, width)
    "hccl": ("hccl (built-in launcher)", "#d62728", "", 2.6),
    "hccl-mpirun": ("hccl (mpirun)", "#ff7f0e", "5,3", 2.0),
    "ompi-nommap": ("Open MPI, no-mmap malloc (anchor)", "#1f3b73", "", 1.8),
    "ompi": ("Open MPI, default malloc", "#6b8fd6", "6,4", 1.6),
    "gloo": ("Gloo (TCP, loopback)", "#2ca02c", "2,3", 1.6),
}
ORDER = ["hccl", "hccl-mpirun", "ompi-nommap", "ompi", "gloo"]
PW, PH = 470, 260  # one panel's plot area
ML, MR, MT, MB = 70, 20, 40, 46  # margins around each plot area


def size_label(b):
    for unit, k in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if b >= k:
            return f"{b // k}{unit}"
    return f"{b}"


def nice_max(v):
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def panel(out, x0, y0, title, series, xmin, xmax, ykey, ylog, ylabel):
    """series: lib -> [(size, value)], drawn in the box at (x0, y0) of PW x PH."""
    vals = [v for pts in series.values() for _, v in pts if v and v > 0]
    if not vals:
        return
    if ylog:
        lo = 10 ** math.floor(math.log10(min(vals)))
        hi = 10 ** math.ceil(math.log10(max(vals)))
        fy = lambda v: y0 + PH - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * PH
        ticks = [10 ** e for e in range(int(math.log10(lo)), int(math.log10(hi)) + 1)]
        tick_label = lambda v: f"{v:g}" if v < 1e4 else f"1e{round(math.log10(v))}"
    else:
        lo, hi = 0.0, nice_max(max(vals) * 1.05)
        fy = lambda v: y0 + PH - (v - lo) / (hi - lo) * PH
        step = hi / 5
        ticks = [i * step for i in range(6)]
        tick_label = lambda v: f"{v:.3g}"
    lx0, lx1 = math.log2(xmin), math.log2(xmax)
    fx = lambda s: x0 + (math.log2(s) - lx0) / (lx1 - lx0) * PW

    out.append(f'<rect x="{x0}" y="{y0}" width="{PW}" height="{PH}" fill="#fff" stroke="#999"/>')
    out.append(f'<text x="{x0 + PW / 2}" y="{y0 - 12}" text-anchor="middle" font-weight="bold">'
               f'{escape(title)}</text>')
    for t in ticks:
        y = fy(t)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PW}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick_label(t)}</text>')
    e = math.ceil(lx0)
    while e <= lx1:
        x = fx(2 ** e)
        if e % 2 == 0 or lx1 - lx0 < 12:
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + PH}" stroke="#f0f0f0"/>')
            out.append(f'<text x="{x:.1f}" y="{y0 + PH + 16}" text-anchor="middle" font-size="10">'
                       f'{size_label(2 ** e)}</text>')
        e += 1
    out.append(f'<text x="{x0 + PW / 2}" y="{y0 + PH + 36}" text-anchor="middle" font-size="12">'
               f'message size (bytes, log scale)</text>')
    out.append(f'<text transform="translate({x0 - 50},{y0 + PH / 2}) rotate(-90)" text-anchor="middle" '
               f'font-size="12">{escape(ylabel)}</text>')
    for lib in reversed(ORDER):  # hccl drawn last, on top
        pts = sorted((s, v) for s, v in series.get(lib, []) if v and v > 0 and (not ylog or v >= lo))
        if not pts:
            continue
        label, colour, dash, width = STYLE[lib]
        path = " ".join(f"{fx(s):.1f},{fy(v):.1f}" for s, v in pts)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dash_attr}/>')
        for s, v in pts:
            out.append(f'<circle cx="{fx(s):.1f}" cy="{fy(v):.1f}" r="2.2" fill="{colour}"/>')


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "bench/compare/results/allreduce_median.csv"
    dst = sys.argv[2] if len(sys.argv) > 2 else "bench/results_allreduce.svg"
    data = {}  # np -> lib -> [(size, busbw, time)]
    with open(src) as f:
        for r in csv.DictReader(f):
            data.setdefault(int(r["np"]), {}).setdefault(r["lib"], []).append(
                (int(r["size"]), float(r["oop_busbw"]), float(r["oop_time_us"])))
    if not data:
        print(f"plot_results.py: no data in {src}", file=sys.stderr)
        return 1
    nps = sorted(data)
    sizes = [s for d in data.values() for pts in d.values() for s, _, _ in pts]
    xmin, xmax = min(sizes), max(sizes)
    if xmin == xmax:
        xmin, xmax = xmin / 2, xmax * 2
    cw, ch = ML + PW + MR, MT + PH + MB
    legend_h = 30
    width, height = cw * len(nps), ch * 2 + legend_h + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#fafafa"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">'
           f'AllReduce, float sum, out of place: medians of alternated runs</text>']
    for i, np_ in enumerate(nps):
        d = data[np_]
        x0 = i * cw + ML
        bw = {lib: [(s, b) for s, b, _ in pts] for lib, pts in d.items()}
        tm = {lib: [(s, t) for s, _, t in pts] for lib, pts in d.items()}
        panel(out, x0, 30 + MT, f"{np_} ranks: bus bandwidth", bw, xmin, xmax, "busbw", False, "busbw (GB/s)")
        panel(out, x0, 30 + ch + MT, f"{np_} ranks: time per call", tm, xmin, xmax, "time", True, "time (µs, log scale)")
    lx, ly = 20, height - 18
    for lib in ORDER:
        if not any(lib in d for d in data.values()):
            continue
        label, colour, dash, width_ = STYLE[lib]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 30}" y2="{ly - 4}" stroke="{colour}" '
                   f'stroke-width="{width_}"{dash_attr}/>')
        out.append(f'<text x="{lx + 36}" y="{ly}">{escape(label)}</text>')
        lx += 46 + 7 * len(label)
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"plot_results.py: wrote {dst}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
