#!/usr/bin/env python3
"""Writes one self-evaluation CSV holding the given CSV files N times over, each copy's projects
renamed (项目名称 + "（第k套）") so that every copy imports as distinct projects: the input of the
import-speed measurement in docs/PERFORMANCE.md ("Matching").

    python3 tools/repeat_evaluations.py 10 OUT.csv evaluations/demo/self-evaluations-2024.csv \
        evaluations/demo/self-evaluations-2025.csv
"""

import csv
import sys


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    times, out, inputs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    header = None
    rows = []
    for path in inputs:
        with open(path, newline="", encoding="utf-8-sig") as f:
            r = csv.reader(f)
            h = next(r)
            if header is None:
                header = h
            elif h != header:
                sys.exit(f"{path}: another header than {inputs[0]}")
            rows.extend(r)
    name = header.index("项目名称")
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for k in range(1, times + 1):
            for row in rows:
                row = list(row)
                if k > 1:
                    row[name] = f"{row[name]}（第{k}套）"
                w.writerow(row)


if __name__ == "__main__":
    main()
