#!/usr/bin/env python3
"""Copies Moler's reference cases of the command families into moler-commands' own fixture
files, each with a note of its origin. Run once per Moler release:
python3 scripts/import-moler-fixtures.py [SRC_ROOT] (SRC_ROOT holds one folder per family,
unix/ at/ adb/ juniper/ pdu_aten/ scpi/, each with <command>__<case>.json; default
../shared/moler-fixtures). Existing files keep their `deviation`/`moler_result` and
`output_change`/`moler_output`."""
import json, pathlib, sys

FAMILIES = ["unix", "at", "adb", "juniper", "pdu_aten", "scpi"]


def import_case(f, target):
    case = json.loads(f.read_text())
    out = {
        "origin": "Moler 4.13.1 (BSD-3-Clause, Copyright Nokia): example output of "
        f"{case['moler_class']} with its parameters and parser result, case '{f.stem.split('__', 1)[1]}'",
        "command": case["command"],
        "kwargs": case["kwargs"],
        "output": case["output"],
        "result": case["result"],
    }
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


def import_family(src, family):
    dst = pathlib.Path(__file__).resolve().parent.parent / "commands" / "fixtures" / family
    dst.mkdir(parents=True, exist_ok=True)
    files = sorted(src.glob("*.json"))
    for f in files:
        import_case(f, dst / f.name)
    print(f"{len(files)} cases in {dst}")


root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/moler-fixtures")
for family in FAMILIES:
    import_family(root / family, family)
