#!/usr/bin/env python3
"""Copies Moler's reference cases into moler-commands' own fixture files, each with a note of
its origin. Run once per Moler release: python3 scripts/import-moler-fixtures.py SRC_DIR
(SRC_DIR holds <command>__<case>.json). Existing files keep their `deviation`/`moler_result`.
Events: python3 scripts/import-moler-fixtures.py --events [EVENTS_DIR] (EVENTS_DIR holds
<family>/<event>__<case>.json; they go to commands/fixtures/events/<family>/)."""
import json, pathlib, sys


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


if len(sys.argv) > 1 and sys.argv[1] == "--events":
    import_events(pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/moler-fixtures/events"))
    sys.exit(0)

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
    target.write_text(json.dumps(out, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
print(f"{len(list(src.glob('*.json')))} cases in {dst}")
