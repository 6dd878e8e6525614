#!/usr/bin/env python3
# Reads the ThreadSanitizer logs of tools/tsan.sh and prints, for each test,
# the number of distinct reports and where they are.
#
#   summarize.py DIR          DIR/<test>/tsan.<pid> (+ pids, seconds)
#   summarize.py --count DIR  one run: DIR/tsan.<pid>; prints the count only
#
# Two reports are the same when their kind and the top frames (function,
# file:line) of their first two stacks are. For each test it writes
# DIR/<test>/reports.txt: every distinct report once, with how many times
# and in which program it was seen. Exits 1 when any report was found.
import os
import re
import sys

TOP_FRAMES = 4
FRAME = re.compile(r"^\s+#(\d+) (\S+) (\S+)(?: \((\S+?)\+0x[0-9a-f]+\))?")


def frame_name(match):
    func, where, module = match.group(2), match.group(3), match.group(4)
    if where != "<null>":
        where = re.sub(r":\d+$", "", os.path.basename(where))  # drop column
        return f"{func} {where}"
    return f"{func} ({module})" if func == "<null>" else func


def parse(path):
    """The reports of one log file: [(kind, key, text)]."""
    reports = []
    with open(path, errors="replace") as f:
        text = f.read()
    for block in text.split("==================\n"):
        m = re.search(r"^WARNING: ThreadSanitizer: (.+?) \(pid=\d+\)", block, re.M)
        if not m:
            continue
        kind = m.group(1)
        stacks, current = [], None
        for line in block.splitlines():
            fm = FRAME.match(line)
            if fm:
                if fm.group(1) == "0":
                    current = []
                    stacks.append(current)
                if len(current) < TOP_FRAMES:
                    current.append(frame_name(fm))
        key = (kind,) + tuple(" < ".join(s) for s in stacks[:2])
        reports.append((kind, key, block.strip()))
    return reports


def programs(dirname):
    names = {}
    try:
        for line in open(os.path.join(dirname, "pids")):
            pid, _, exe = line.rstrip("\n").split(" ", 2)
            names[pid] = os.path.basename(exe)
    except FileNotFoundError:
        pass
    return names


def collect(dirname):
    """{key: [kind, text, count, {program}]} for the logs of one run."""
    found = {}
    names = programs(dirname)
    for name in sorted(os.listdir(dirname)):
        m = re.match(r"tsan\.(\d+)$", name)
        if not m:
            continue
        program = names.get(m.group(1), "pid " + m.group(1))
        for kind, key, text in parse(os.path.join(dirname, name)):
            entry = found.setdefault(key, [kind, text, 0, set()])
            entry[2] += 1
            entry[3].add(program)
    return found


def main(argv):
    if len(argv) == 3 and argv[1] == "--count":
        print(len(collect(argv[2])))
        return 0
    top = argv[1]
    total = 0
    rows = []
    for test in sorted(os.listdir(top)):
        dirname = os.path.join(top, test)
        if not os.path.isdir(dirname):
            continue
        found = collect(dirname)
        total += len(found)
        by_program = {}
        for kind, text, count, progs in found.values():
            for p in progs:
                by_program[p] = by_program.get(p, 0) + 1
        seconds = "?"
        try:
            seconds = open(os.path.join(dirname, "seconds")).read().strip()
        except FileNotFoundError:
            pass
        result = "?"
        try:
            log = open(os.path.join(dirname, "meson.txt")).read()
            m = re.search(r"^\s*\d+/\d+ \S+ / \S+\s+(\S+)", log, re.M)
            result = m.group(1) if m else "?"
        except FileNotFoundError:
            pass
        with open(os.path.join(dirname, "reports.txt"), "w") as out:
            for n, (key, (kind, text, count, progs)) in enumerate(
                    sorted(found.items(), key=lambda kv: (kv[1][0], kv[0])), 1):
                out.write(f"#### report {n}: {kind}, seen {count} time(s) in "
                          f"{', '.join(sorted(progs))}\n")
                for stack in key[1:]:
                    out.write(f"#    {stack}\n")
                out.write(text + "\n\n")
        where = ", ".join(f"{p}: {c}" for p, c in sorted(by_program.items()))
        rows.append((test.replace("_", "/", 1), result, seconds, len(found),
                     where, os.path.join(dirname, "reports.txt")))
    print(f"{'test':26} {'result':7} {'time':>6} {'reports':>7}  by program")
    for test, result, seconds, count, where, path in rows:
        print(f"{test:26} {result:7} {seconds + ' s':>6} {count:7d}  {where}")
    print(f"{total} distinct TSan reports; each test's are in "
          f"{top}/<test>/reports.txt (raw logs: tsan.<pid>, programs: pids)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
