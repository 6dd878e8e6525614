#!/usr/bin/env python3
# The plugin's documentation and metadata, as a user or a packager sees
# them:
#  - every property installed in class_init (gstinworldttssrc.c) has a
#    gtk-doc block right above it, named after it, with a description and
#    a `Since: X.Y` tag no later than the project's version, and a row in
#    the property table of docs/inworldttssrc.md;
#  - gst-inspect-1.0 shows the element's author as the sources' copyright
#    holder (no made-up e-mail address) and an origin that is the
#    project's: a URL only if README.md gives it as the project's home.
#   plugin-docs.py SOURCE_DIR VERSION GST_INSPECT
import re
import subprocess
import sys

src, version, gst_inspect = sys.argv[1:4]
problems = []


def vtuple(v):
    return tuple(int(x) for x in v.split(".")[:2])


# 1. a gtk-doc block for every property
code = open(f"{src}/gst/inworld/gstinworldttssrc.c", encoding="utf-8").read()
doc = open(f"{src}/docs/inworldttssrc.md", encoding="utf-8").read()
install = re.compile(
    r"g_object_class_install_property \(gobject_class, PROP_\w+,\s*"
    r"g_param_spec_\w+ \(\"([a-z0-9-]+)\"")
names = []
for m in install.finditer(code):
    name = m.group(1)
    names.append(name)
    before = code[:m.start()].rstrip()
    if not before.endswith("*/"):
        problems.append(f"{name}: no gtk-doc block above its "
                        "g_object_class_install_property")
        continue
    block = before[before.rfind("/**"):]
    lines = [re.sub(r"^\s*\*\s?", "", l).rstrip()
             for l in block.splitlines()[1:-1]]
    if not lines or lines[0] != f"GstInworldTtsSrc:{name}:":
        problems.append(f"{name}: the block above it is not "
                        f"'GstInworldTtsSrc:{name}:' but {lines[:1]}")
        continue
    body = [l for l in lines[1:] if l and not l.startswith("Since:")]
    if not body:
        problems.append(f"{name}: its block has no description")
    since = [l for l in lines if l.startswith("Since:")]
    if len(since) != 1 or not re.fullmatch(r"Since: \d+\.\d+", since[0]):
        problems.append(f"{name}: one 'Since: X.Y' tag expected, got {since}")
    elif vtuple(since[0].split()[1]) > vtuple(version):
        problems.append(f"{name}: {since[0]} is later than version {version}")
    if f"| `{name}` |" not in doc:
        problems.append(f"{name}: no row in docs/inworldttssrc.md's "
                        "property table")
if len(names) < 20:
    problems.append(f"only {len(names)} properties found: the parser is "
                    "out of date")

# 2. the metadata gst-inspect-1.0 shows
inspect = subprocess.run([gst_inspect, "inworldttssrc"], capture_output=True,
                         text=True)
if inspect.returncode != 0:
    problems.append(f"gst-inspect-1.0 inworldttssrc failed: {inspect.stderr}")
fields = dict(re.findall(r"^  (Author|Origin URL)\s{2,}(.*)$",
                         inspect.stdout, re.M))
plugin_c = open(f"{src}/gst/inworld/plugin.c", encoding="utf-8").read()
holder = re.search(r"Copyright \(C\) \d{4}(?:-\d{4})? (.+)", plugin_c).group(1)
author = fields.get("Author", "")
if author != holder:
    problems.append(f"Author is '{author}', not the copyright holder of the "
                    f"sources, '{holder}'")
origin = fields.get("Origin URL", "")
readme = open(f"{src}/README.md", encoding="utf-8").read()
if not origin:
    problems.append("no Origin URL")
elif re.match(r"[a-z]+://", origin) and origin not in readme:
    problems.append(f"Origin URL {origin} is not the project's home in "
                    "README.md")

for p in problems:
    print("FAIL:", p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok: {len(names)} properties documented, each with its Since tag; "
      f"author '{author}', origin '{origin}'")
