#!/usr/bin/env python3
"""Lists the web layer's handlers (top-level `async fn` in src/web) longer than a limit, longest first.

A handler's length runs from its `fn` line to its closing brace, doc comments and attributes left out.
Usage: tools/handler_lengths.py [LIMIT]   (default 40; 0 lists them all)
"""
import pathlib, re, sys

limit = int(sys.argv[1]) if len(sys.argv) > 1 else 40
start = re.compile(r"^(pub(\([a-z]+\))? )?async fn (\w+)")
rows = []
for path in sorted(pathlib.Path("src/web").glob("*.rs")):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        m = start.match(line)
        if not m:
            continue
        end = next(j for j in range(i, len(lines)) if lines[j] == "}")
        rows.append((end - i + 1, f"{path}:{i + 1}", m.group(3)))
rows.sort(reverse=True)
over = [r for r in rows if r[0] > limit]
for n, where, name in over:
    print(f"{n:4}  {name}  {where}")
print(f"{len(over)} of {len(rows)} handlers longer than {limit} lines")
