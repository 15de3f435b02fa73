#!/usr/bin/env python3
"""Copies Moler's reference cases into moler-commands' own fixture files, each with a note of
its origin. Run once per Moler release: python3 scripts/import-moler-fixtures.py SRC_DIR
(SRC_DIR holds <command>__<case>.json). Existing files keep their `deviation`/`moler_result`, `output_change`/`moler_output` and
`kwargs_change`/`moler_kwargs`."""
import json, pathlib, sys

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/moler-fixtures/unix")
dst = pathlib.Path(__file__).resolve().parent.parent / "commands" / "fixtures" / "unix"
dst.mkdir(parents=True, exist_ok=True)
for f in sorted(src.glob("*.json")):
    case = json.loads(f.read_text())
    out = {
        "origin": "Moler 4.13.1 (BSD-3-Clause, Copyright Nokia): example output of "
        f"{case['moler_class']} with its parameters and parser result, case '{f.stem.split('__', 1)[1]}'",
        "command": case["command"],
        "kwargs": case["kwargs"],
        "output": case["output"],
        "result": case["result"],
    }
    target = dst / f.name
    if target.exists():
        old = json.loads(target.read_text())
        for key in ("deviation", "moler_result", "result"):
            if key in old and "deviation" in old:
                out[key] = old[key]
        for key in ("output_change", "moler_output", "output"):
            if key in old and "output_change" in old:
                out[key] = old[key]
        for key in ("kwargs_change", "moler_kwargs", "kwargs"):
            if key in old and "kwargs_change" in old:
                out[key] = old[key]
    target.write_text(json.dumps(out, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
print(f"{len(list(src.glob('*.json')))} cases in {dst}")
