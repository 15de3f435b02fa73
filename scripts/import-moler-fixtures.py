#!/usr/bin/env python3
"""Copies Moler's reference cases of the command families into moler-commands' own fixture
files, each with a note of its origin. Run once per Moler release:
python3 scripts/import-moler-fixtures.py [SRC_ROOT] (SRC_ROOT holds one folder per family,
unix/ at/ adb/ juniper/ pdu_aten/ scpi/, each with <command>__<case>.json; default
../shared/moler-fixtures). Existing files keep their `deviation`/`moler_result` and
`output_change`/`moler_output`. The event cases (SRC_ROOT/events/<family>/<event>__<case>.json)
go to commands/fixtures/events/<family>/; `--events [EVENTS_DIR]` imports only them."""
import json, pathlib, sys

FAMILIES = ["unix", "at", "adb", "juniper", "pdu_aten", "scpi"]


def import_case(f, target):
    """One case; what the project added to an existing file (a deviation and Moler's result,
    an expected error, a changed output or parameters with Moler's) is kept, in its place."""
    case = json.loads(f.read_text())
    out = json.loads(target.read_text()) if target.exists() else {}
    out["origin"] = (
        "Moler 4.13.1 (BSD-3-Clause, Copyright Nokia): example output of "
        f"{case['moler_class']} with its parameters and parser result, case '{f.stem.split('__', 1)[1]}'"
    )
    out["command"] = case["command"]
    if "kwargs_change" not in out:
        out["kwargs"] = case["kwargs"]
    if "output_change" not in out:
        out["output"] = case["output"]
    if "deviation" not in out and "error_contains" not in out:
        out["result"] = case["result"]
    target.write_text(json.dumps(out, indent=1, sort_keys=False, ensure_ascii=False) + "\n")

def import_events(src):
    """The event cases, family by family; a case's `deviation` and `moler_result` are kept."""
    root = pathlib.Path(__file__).resolve().parent.parent / "commands" / "fixtures" / "events"
    n = 0
    for f in sorted(src.glob("*/*.json")):
        case = json.loads(f.read_text())
        out = {
            "origin": "Moler 4.13.1 (BSD-3-Clause, Copyright Nokia): example output of "
            f"{case['moler_class']} with its parameters and event result, case "
            f"'{f.stem.split('__', 1)[1] or 'default'}'",
            "event": f.stem.split("__", 1)[0],
            "moler_class": case["moler_class"],
            "kwargs": case["kwargs"],
            "output": case["output"],
            "result": case["result"],
        }
        target = root / f.parent.name / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            old = json.loads(target.read_text())
            if "deviation" in old:
                for key in ("deviation", "moler_result", "result"):
                    if key in old:
                        out[key] = old[key]
        target.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
        n += 1
    print(f"{n} event cases in {root}")


def import_family(src, family):
    dst = pathlib.Path(__file__).resolve().parent.parent / "commands" / "fixtures" / family
    dst.mkdir(parents=True, exist_ok=True)
    files = sorted(src.glob("*.json"))
    for f in files:
        import_case(f, dst / f.name)
    print(f"{len(files)} cases in {dst}")


if len(sys.argv) > 1 and sys.argv[1] == "--events":
    import_events(pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/moler-fixtures/events"))
    sys.exit(0)
root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/moler-fixtures")
for family in FAMILIES:
    import_family(root / family, family)
import_events(root / "events")
