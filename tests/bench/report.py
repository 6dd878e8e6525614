#!/usr/bin/env python3
# inworld-bench report: turns the bench's JSON into a Markdown table
# (results.md) and a plot of latency, CPU and memory against the number of
# concurrent streams (results.svg). Standard library only.
#
#   tests/bench/report.py RESULTS.json OUTDIR
import json
import math
import os
import sys

TARGET_LATENCY_MS = 1.0  # element - floor, medians
TARGET_CPU_PCT = 0.5  # of one core per real-time stream
TARGET_STREAMS = 200
TARGET_KIB = 1024.0


def med(stats):
    return stats.get("median") if stats and stats.get("n") else None


def fmt(v, digits=3):
    if v is None:
        return "–"
    return f"{v:.{digits}f}"


def spread(stats, digits=3, key=("p10", "p90")):
    if not stats or not stats.get("n"):
        return "–"
    return f"{stats[key[0]]:.{digits}f}–{stats[key[1]]:.{digits}f}"


def verdict(ok):
    return "met" if ok else "**not met**"


# ---------------------------------------------------------------- markdown

def markdown(d):
    lines = []
    m = d.get("machine", {})
    lines.append("# inworld-bench results\n")
    lines.append(
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, Linux "
        f"{m.get('kernel', '?')}; GStreamer {m.get('gstreamer', '?')}, libsoup "
        f"{m.get('libsoup', '?')}. Total run time {d.get('total_wall_s', 0):.0f} s."
        + (" **Quick run** (fewer runs, shorter texts)." if d["options"].get("quick") else "")
        + (" **Smoke run**: figures meaningless." if d["options"].get("smoke") else "")
        + "\n")
    targets = []

    lat = d.get("latency")
    if lat:
        lines.append("## First-audio latency, one stream (ms)\n")
        lines.append(f"PCM 24 kHz, text of {len(lat['text'])} characters, "
                     f"{lat['runs']} runs per case, interleaved.\n")
        lines.append("| case | median | p10–p90 | min–max | failed |")
        lines.append("|---|---:|---:|---:|---:|")
        by = {}
        for c in lat["cases"]:
            by[c["name"]] = c
            lines.append(f"| {c['name']} | {fmt(med(c['ms']))} | {spread(c['ms'])} | "
                         f"{spread(c['ms'], key=('min', 'max'))} | {c['failed']} |")
            if "ms_from_set_state" in c:
                lines.append(f"| {c['name']}, from set_state | {fmt(med(c['ms_from_set_state']))} | "
                             f"{spread(c['ms_from_set_state'])} | "
                             f"{spread(c['ms_from_set_state'], key=('min', 'max'))} | |")
        lines.append("")

        def gap(element, floor, key="ms"):
            e, f = by.get(element), by.get(floor)
            if not e or not f or med(e.get(key)) is None or med(f["ms"]) is None:
                return None
            return med(e[key]) - med(f["ms"])

        # cold: the element's clock from set_state (PLAYING), since it starts
        # connecting during set_state; from push-text it would be ahead
        cold = gap("element, cold", "floor, cold (connect+create+text)", "ms_from_set_state")
        cold_text = gap("element, cold", "floor, cold (connect+create+text)")
        warm = gap("element, warm", "floor, warm (open context)")
        gaps = [
            ("cold, element from set_state", cold),
            ("cold, element from push-text", cold_text),
            ("cold, no proxy lookup (element proxy=direct://), from set_state",
             gap("element, cold, proxy=direct://", "floor, cold, no proxy lookup", "ms_from_set_state")),
            ("context on an already open socket (create + text)",
             gap("element, cold, shared socket open", "floor, open socket (create+text)")),
            ("warm", warm),
            ("is-live, warm", gap("element is-live, warm", "floor, warm (open context)")),
            ("is-live, warm in PAUSED (from push-text)",
             gap("element is-live, warm in PAUSED", "floor, warm (open context)")),
        ]
        lines.append("Element minus floor, medians:\n")
        lines.append("| comparison | ms |")
        lines.append("|---|---:|")
        for name, g in gaps:
            if g is not None:
                lines.append(f"| {name} | {g:+.3f} |")
        lines.append("")
        if cold is not None:
            targets.append(("first-audio latency within 1 ms of the floor (median), cold "
                            "(element timed from set_state)",
                            f"{cold:+.3f} ms", cold <= TARGET_LATENCY_MS))
        if warm is not None:
            targets.append(("first-audio latency within 1 ms of the floor (median), warm",
                            f"{warm:+.3f} ms", warm <= TARGET_LATENCY_MS))

    for part, title in (("cpu", "CPU, latency and memory under concurrency, audio as fast as "
                                "possible (emulator --speed 0)"),
                        ("paced", "The same with audio paced at real time (emulator --speed 1)")):
        rows = d.get(part)
        if not rows:
            continue
        lines.append(f"## {title}\n")
        lines.append("CPU is this process's (getrusage) while the streams speak, per second of "
                     "audio, in % of one core: the share of a core one real-time stream costs. "
                     "Memory is the growth of RSS per stream, at peak. Latency is every stream's "
                     "text-to-first-audio with all N texts pushed at once. Median (min–max) over "
                     "runs; latency median (p10–p90) over all streams.\n")
        lines.append("| encoding | streams | audio/stream | element CPU % | floor CPU % | floor+parse CPU % "
                     "| element latency ms | floor latency ms | peak KiB/stream | failed |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            fl = r.get("floor", {})
            fp = r.get("floor_parse", {})
            c = r["cpu_pct_per_stream"]
            lines.append(
                f"| {r['encoding']} | {r['streams']} | {r['audio_s_per_stream']:.1f} s | "
                f"{fmt(med(c), 4)} ({spread(c, 4, ('min', 'max'))}) | "
                f"{fmt(med(fl.get('cpu_pct_per_stream')), 4)} | "
                f"{fmt(med(fp.get('cpu_pct_per_stream')), 4)} | "
                f"{fmt(med(r['latency_ms']), 1)} ({spread(r['latency_ms'], 1)}) | "
                f"{fmt(med(fl.get('latency_ms')), 1)} ({spread(fl.get('latency_ms'), 1)}) | "
                f"{fmt(med(r['peak_kib_per_stream']), 0)} | {r['failed']} |")
            if r["encoding"] == "pcm" and med(c) is not None:
                n = r["streams"]
                targets.append((f"under 0.5% of one core per real-time 24 kHz stream "
                                f"({part}, {n} stream{'' if n == 1 else 's'})",
                                f"{med(c):.4f} %", med(c) < TARGET_CPU_PCT))
        lines.append("")

    sc = d.get("scale")
    if sc:
        lines.append(f"## Scale: warm PCM streams of {sc['audio_s_per_stream']:.1f} s, all at once\n")
        lines.append("| streams | completed | all ready after | KiB/stream ready | KiB/stream peak "
                     "| CPU %/stream | latency ms median (p10–p90) | wall s | fds/stream |")
        lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for l in sc["levels"]:
            fds = ((l["fds_ready"] - l["fds_before"]) / l["streams"]
                   if l.get("fds_ready", -1) >= 0 and l.get("fds_before", -1) >= 0 else None)
            lines.append(
                f"| {l['streams']} | {l['completed']} | {l['setup_wall_s']:.2f} s | "
                f"{l['ready_kib_per_stream']:.0f} | {l['peak_kib_per_stream']:.0f} | "
                f"{l['cpu_pct_per_stream']:.4f} | {fmt(med(l['latency_ms']), 1)} "
                f"({spread(l['latency_ms'], 1)}) | {l['stream_wall_s']:.2f} | {fmt(fds, 2)} |")
            if l["failed"]:
                lines.append(f"| | first failure: {l['first_error'].splitlines()[0][:160]} | | | | | | | |")
        lines.append("")
        best = sc["max_streams_ok"]
        targets.append(("200 concurrent streams in one process",
                        f"{best} completed" + (" (the highest count tried)"
                                               if all(not l["failed"] for l in sc["levels"]) else ""),
                        best >= TARGET_STREAMS))
        peaks = [l["peak_kib_per_stream"] for l in sc["levels"] if not l["failed"]]
        if peaks:
            worst = max(peaks)
            targets.append(("memory per stream under 1 MiB (peak RSS growth / streams, worst level)",
                            f"{worst:.0f} KiB", worst < TARGET_KIB))

    if targets:
        lines.append("## Targets\n")
        lines.append("| target | measured | |")
        lines.append("|---|---:|---|")
        for name, value, ok in targets:
            lines.append(f"| {name} | {value} | {verdict(ok)} |")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------- svg

class Panel:
    def __init__(self, x, y, w, h, title, xlabel, ylabel, xs, ylog, ymin, ymax):
        self.x, self.y, self.w, self.h = x, y, w, h
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.xmin, self.xmax = min(xs), max(xs)
        self.ylog, self.ymin, self.ymax = ylog, ymin, ymax
        self.out = []

    def px(self, v):
        lo, hi = math.log10(self.xmin), math.log10(self.xmax)
        if hi == lo:
            return self.x + self.w / 2
        return self.x + (math.log10(v) - lo) / (hi - lo) * self.w

    def py(self, v):
        if self.ylog:
            v = max(v, self.ymin)
            lo, hi = math.log10(self.ymin), math.log10(self.ymax)
            f = (math.log10(v) - lo) / (hi - lo)
        else:
            f = (v - self.ymin) / (self.ymax - self.ymin)
        return self.y + self.h - f * self.h

    def axes(self, xticks, yticks):
        o = self.out
        o.append(f'<rect x="{self.x}" y="{self.y}" width="{self.w}" height="{self.h}" '
                 f'fill="none" stroke="#888"/>')
        o.append(f'<text x="{self.x + self.w / 2}" y="{self.y - 10}" text-anchor="middle" '
                 f'font-weight="bold">{self.title}</text>')
        for t in xticks:
            X = self.px(t)
            o.append(f'<line x1="{X:.1f}" y1="{self.y}" x2="{X:.1f}" y2="{self.y + self.h}" stroke="#eee"/>')
            o.append(f'<text x="{X:.1f}" y="{self.y + self.h + 16}" text-anchor="middle">{t:g}</text>')
        for t in yticks:
            Y = self.py(t)
            o.append(f'<line x1="{self.x}" y1="{Y:.1f}" x2="{self.x + self.w}" y2="{Y:.1f}" stroke="#eee"/>')
            o.append(f'<text x="{self.x - 6}" y="{Y + 4:.1f}" text-anchor="end">{t:g}</text>')
        o.append(f'<text x="{self.x + self.w / 2}" y="{self.y + self.h + 34}" '
                 f'text-anchor="middle">{self.xlabel}</text>')
        o.append(f'<text transform="translate({self.x - 48},{self.y + self.h / 2}) rotate(-90)" '
                 f'text-anchor="middle">{self.ylabel}</text>')

    def hline(self, v, label, color="#c00"):
        Y = self.py(v)
        self.out.append(f'<line x1="{self.x}" y1="{Y:.1f}" x2="{self.x + self.w}" y2="{Y:.1f}" '
                        f'stroke="{color}" stroke-dasharray="6,4"/>')
        self.out.append(f'<text x="{self.x + self.w - 4}" y="{Y - 4:.1f}" text-anchor="end" '
                        f'fill="{color}">{label}</text>')

    def series(self, pts, color, dash=None, marker="circle"):
        """pts: [(x, y, lo, hi)]; lo/hi may be None"""
        pts = [p for p in pts if p[1] is not None]
        if not pts:
            return
        d = " ".join(f"{self.px(x):.1f},{self.py(y):.1f}" for x, y, _, _ in pts)
        da = f' stroke-dasharray="{dash}"' if dash else ""
        self.out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"{da}/>')
        for x, y, lo, hi in pts:
            X, Y = self.px(x), self.py(y)
            if lo is not None and hi is not None:
                self.out.append(f'<line x1="{X:.1f}" y1="{self.py(lo):.1f}" x2="{X:.1f}" '
                                f'y2="{self.py(hi):.1f}" stroke="{color}"/>')
            if marker == "circle":
                self.out.append(f'<circle cx="{X:.1f}" cy="{Y:.1f}" r="3.5" fill="{color}"/>')
            else:
                self.out.append(f'<rect x="{X - 3.5:.1f}" y="{Y - 3.5:.1f}" width="7" height="7" '
                                f'fill="white" stroke="{color}" stroke-width="1.5"/>')

    def legend(self, items):
        y = self.y + self.h + 56
        for label, color, dash, marker in items:
            da = f' stroke-dasharray="{dash}"' if dash else ""
            X = self.x + 10
            self.out.append(f'<line x1="{X}" y1="{y - 4}" x2="{X + 22}" y2="{y - 4}" stroke="{color}" '
                            f'stroke-width="2"{da}/>')
            if marker == "circle":
                self.out.append(f'<circle cx="{X + 11}" cy="{y - 4}" r="3.5" fill="{color}"/>')
            else:
                self.out.append(f'<rect x="{X + 7.5}" y="{y - 7.5}" width="7" height="7" fill="white" '
                                f'stroke="{color}" stroke-width="1.5"/>')
            self.out.append(f'<text x="{X + 28}" y="{y}">{label}</text>')
            y += 16


def log_ticks(lo, hi, mults=(1, 2, 5)):
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in mults:
            v = m * 10 ** e
            if lo * 0.9999 <= v <= hi * 1.0001:
                ticks.append(float(f"{v:.6g}"))
        e += 1
    return ticks


def bounds(values, pad=1.5):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return 0.01, 1
    lo = 10 ** math.floor(math.log10(min(values) / pad))
    hi = 10 ** math.ceil(math.log10(max(values) * pad))
    return lo, hi


def points(rows, enc, getter, who=None):
    out = []
    for r in rows or []:
        if r["encoding"] != enc:
            continue
        src = r if who is None else r.get(who)
        if not src:
            continue
        s = getter(src)
        if s and s.get("n"):
            out.append((r["streams"], s["median"], s.get("p10"), s.get("p90")))
    return out


def svg(d):
    cpu, paced, sc = d.get("cpu"), d.get("paced"), d.get("scale")
    W, H = 1260, 560
    xs = [1]
    for rows in (cpu, paced):
        xs += [r["streams"] for r in rows or []]
    if sc:
        xs += [l["streams"] for l in sc["levels"]]
    xs = [min(xs), max(xs)]
    # 1-2-5 ticks crowd a 300-px axis beyond three decades
    xt = log_ticks(xs[0], xs[1], (1, 2, 5) if xs[1] / xs[0] <= 1000 else (1, 3))

    blue, orange, green, grey, purple = "#1f77b4", "#ff7f0e", "#2ca02c", "#555", "#9467bd"

    # latency
    lat_series = [
        ("element PCM, paced", points(paced, "pcm", lambda r: r["latency_ms"]), blue, None, "circle"),
        ("floor PCM, paced", points(paced, "pcm", lambda r: r["latency_ms"], "floor"), grey, None, "rect"),
        ("element PCM, --speed 0", points(cpu, "pcm", lambda r: r["latency_ms"]), blue, "5,4", "circle"),
        ("floor PCM, --speed 0", points(cpu, "pcm", lambda r: r["latency_ms"], "floor"), grey, "5,4", "rect"),
        ("element MP3, --speed 0", points(cpu, "mp3", lambda r: r["latency_ms"]), orange, "5,4", "circle"),
    ]
    lat = d.get("latency")
    if lat:
        for c in lat["cases"]:
            if c["name"] == "element, warm" and med(c["ms"]) is not None:
                lat_series.append(("element warm, 1 stream alone", [(1, med(c["ms"]), c["ms"]["p10"], c["ms"]["p90"])],
                                   green, None, "circle"))
            if c["name"] == "floor, warm (open context)" and med(c["ms"]) is not None:
                lat_series.append(("floor warm, 1 stream alone", [(1, med(c["ms"]), c["ms"]["p10"], c["ms"]["p90"])],
                                   green, None, "rect"))
    vals = [v for _, pts, _, _, _ in lat_series for p in pts for v in (p[1], p[2], p[3])]
    lo, hi = bounds(vals)
    p1 = Panel(80, 50, 300, 300, "first-audio latency (ms)", "concurrent streams", "ms, median and p10–p90",
               xs, True, lo, hi)
    p1.axes(xt, log_ticks(lo, hi))
    for label, pts, color, dash, marker in lat_series:
        p1.series(pts, color, dash, marker)
    p1.legend([(l, c, da, m) for l, pts, c, da, m in lat_series if pts])

    # cpu
    cpu_series = [
        ("element PCM, --speed 0", points(cpu, "pcm", lambda r: r["cpu_pct_per_stream"]), blue, "5,4", "circle"),
        ("element MP3, --speed 0", points(cpu, "mp3", lambda r: r["cpu_pct_per_stream"]), orange, "5,4", "circle"),
        ("element PCM, paced", points(paced, "pcm", lambda r: r["cpu_pct_per_stream"]), blue, None, "circle"),
        ("floor PCM, --speed 0", points(cpu, "pcm", lambda r: r["cpu_pct_per_stream"], "floor"), grey, "5,4", "rect"),
        ("floor+parse PCM, --speed 0", points(cpu, "pcm", lambda r: r["cpu_pct_per_stream"], "floor_parse"),
         purple, "5,4", "rect"),
        ("floor PCM, paced", points(paced, "pcm", lambda r: r["cpu_pct_per_stream"], "floor"), grey, None, "rect"),
    ]
    if sc:
        cpu_series.append(("element PCM, scale ramp",
                           [(l["streams"], l["cpu_pct_per_stream"], None, None) for l in sc["levels"]
                            if l["cpu_pct_per_stream"] > 0], green, None, "circle"))
    vals = [v for _, pts, _, _, _ in cpu_series for p in pts for v in (p[1], p[2], p[3])] + [TARGET_CPU_PCT]
    lo, hi = bounds(vals)
    p2 = Panel(500, 50, 300, 300, "CPU per real-time stream (% of a core)", "concurrent streams",
               "% of one core, median (min–max)", xs, True, lo, hi)
    p2.axes(xt, log_ticks(lo, hi))
    p2.hline(TARGET_CPU_PCT, "target 0.5 %")
    for label, pts, color, dash, marker in cpu_series:
        p2.series(pts, color, dash, marker)
    p2.legend([(l, c, da, m) for l, pts, c, da, m in cpu_series if pts])

    # memory
    mem_series = []
    if sc:
        mem_series.append(("peak, scale ramp", [(l["streams"], l["peak_kib_per_stream"], None, None)
                                                for l in sc["levels"]], blue, None, "circle"))
        mem_series.append(("context open, idle", [(l["streams"], l["ready_kib_per_stream"], None, None)
                                                  for l in sc["levels"]], green, None, "circle"))
    mem_series.append(("peak, PCM --speed 0", points(cpu, "pcm", lambda r: r["peak_kib_per_stream"]),
                       blue, "5,4", "rect"))
    mem_series.append(("peak, MP3 --speed 0", points(cpu, "mp3", lambda r: r["peak_kib_per_stream"]),
                       orange, "5,4", "rect"))
    vals = [v for _, pts, _, _, _ in mem_series for p in pts for v in (p[1],)] + [TARGET_KIB]
    lo, hi = bounds(vals)
    p3 = Panel(920, 50, 300, 300, "memory per stream (KiB)", "concurrent streams", "KiB of RSS per stream",
               xs, True, lo, hi)
    p3.axes(xt, log_ticks(lo, hi))
    p3.hline(TARGET_KIB, "target 1 MiB")
    for label, pts, color, dash, marker in mem_series:
        p3.series(pts, color, dash, marker)
    p3.legend([(l, c, da, m) for l, pts, c, da, m in mem_series if pts])

    m = d.get("machine", {})
    foot = (f"inworld-bench, {m.get('cores', '?')} cores ({m.get('cpu', '?')}); emulator on loopback, "
            f"test-signal audio; dashed: audio as fast as possible, solid: paced at real time")
    body = p1.out + p2.out + p3.out
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11">\n'
            f'<rect width="{W}" height="{H}" fill="white"/>\n' + "\n".join(body) +
            f'\n<text x="{W / 2}" y="{H - 12}" text-anchor="middle" fill="#555">{foot}</text>\n</svg>\n')


def main():
    if len(sys.argv) != 3:
        print(__doc__ or "usage: report.py RESULTS.json OUTDIR", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        d = json.load(f)
    os.makedirs(sys.argv[2], exist_ok=True)
    with open(os.path.join(sys.argv[2], "results.md"), "w") as f:
        f.write(markdown(d))
    with open(os.path.join(sys.argv[2], "results.svg"), "w") as f:
        f.write(svg(d))
    print(f"report: wrote {sys.argv[2]}/results.md and results.svg")


if __name__ == "__main__":
    main()
