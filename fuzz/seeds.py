#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into fuzz/corpus/<target>/ from the project's own
material: command fixtures (commands/fixtures, ../shared/moler-fixtures), the YAML of examples/
and of the config tests. Run from the repository root; `scripts/fuzz.sh` uses what is committed
(re-run this, then `cargo fuzz cmin`, to refresh it).
"""

import glob
import hashlib
import json
import os
import re
import sys
import warnings

# Rust escapes that Python does not know (`\$`, `\s` in regexes) are kept as they are.
warnings.filterwarnings("ignore", category=DeprecationWarning)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "moler-fixtures")


def write(target, data):
    folder = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def fixtures():
    files = sorted(glob.glob(os.path.join(ROOT, "commands", "fixtures", "unix", "*.json")))
    files += sorted(glob.glob(os.path.join(SHARED, "events", "*", "*.json")))
    for path in files:
        with open(path) as f:
            case = json.load(f)
        name = case.get("command") or case.get("event")
        output = case.get("output")
        if not name or not isinstance(output, str):
            continue
        yield name, case.get("kwargs") or {}, output.encode()


def parse_and_cli():
    for i, (name, kwargs, output) in enumerate(fixtures()):
        params = json.dumps(kwargs, separators=(",", ":")).encode()
        # parse: a read size, name, JSON parameters, capture (read sizes vary across seeds).
        write("parse", bytes([i % 9]) + name.encode() + b"\n" + params + b"\n" + output)
        # cli: name, --params (JSON, or YAML for every third), --prompt (mostly none), capture.
        if i % 3 == 2:
            params = ("{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in kwargs.items()) + "}").encode()
        prompt = b"^user@host:~\\$ ?$" if i % 5 == 4 else b""
        write("cli", name.encode() + b"\n" + params + b"\n" + prompt + b"\n" + output)


def rust_strings(text):
    for m in re.finditer(r'r#"(.*?)"#', text, re.S):
        yield m.group(1)
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', text, re.S):
        s = m.group(1).replace("\\\n", "")
        try:
            yield s.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            pass


def config():
    for path in glob.glob(os.path.join(ROOT, "examples", "*.yml")):
        with open(path, "rb") as f:
            write("config", f.read())
    sources = glob.glob(os.path.join(ROOT, "config", "tests", "*.rs"))
    sources += glob.glob(os.path.join(ROOT, "config", "src", "*.rs"))
    sources += glob.glob(os.path.join(ROOT, "src", "device", "*.rs"))
    keys = ("DEVICES", "NAMED_CONNECTIONS", "LOGGER", "IO_TYPES", "CONNECTION_HOPS")
    for path in sources:
        with open(path) as f:
            text = f.read()
        for s in rust_strings(text):
            if any(k in s for k in keys) and ":" in s:
                write("config", s.encode())


def op_feed(data):
    """Operations feeding `data` in reads of up to 255 bytes (op 0, length, bytes)."""
    out = b""
    for at in range(0, len(data), 200):
        piece = data[at : at + 200]
        out += bytes([0, len(piece)]) + piece
    return out


def connection():
    # Header: switches, then the choice byte (prompt index in its low 2 bits).
    session = b"uname -a\r\nLinux box 6.1\r\nALARM 7\r\nkey=value\r\nmoler_bash# "
    ping = b"64 bytes: icmp_seq=1 ttl=64\n64 bytes: icmp_seq=2 ttl=64\ndone\n"
    login = "Password: pä55wörd\r\nuser@host:~$ ".encode()
    seeds = [
        bytes([0x00, 0x40]) + op_feed(session) + bytes([6, 0]),
        bytes([0x14, 0x41]) + op_feed(b"ls -l /tmp\nerror: no\nuser@host:/tmp$ "),
        bytes([0x86, 0x22]) + op_feed(ping) + bytes([4, 200, 5, 0, 4, 255]),
        # A secret sent, echoed back cut in the middle of a character.
        bytes([0x80, 0x40, 10, 0]) + bytes([0, 12]) + login[:12] + bytes([0, 40]) + login[12:52],
        # Cancel the command, linger, prompt.
        bytes([0x00, 0x80, 0, 4]) + b"unam" + bytes([7, 0, 6, 0, 0, 14]) + b"^C\nmoler_bash# ",
        # Queue more commands and events, pause one, close midway.
        bytes([0x2c, 0x13, 8, 2, 8, 3, 8, 0x45, 9, 0x81]) + op_feed(session + ping) + bytes([11, 0xff]),
        # A fuzzed pattern for the event.
        bytes([0x40 | 0x80, 0x40, 9]) + b"(\\d+) ttl" + op_feed(ping),
        # Ctrl-Z's timeout action (choice 0x08): the job stopped, killed at the prompt.
        bytes([0x00, 0x08])
        + op_feed(b"uname -a\r\n")
        + bytes([4, 10, 6, 0])
        + op_feed(b"^Z\r\n[1]+  Stopped                 uname -a\r\n")
        + bytes([6, 0])
        + op_feed(b"moler_bash# ")
        + bytes([6, 0])
        + op_feed(b"kill %1; while jobs %1 >/dev/null 2>&1; do sleep 0.05; done\r\n")
        + op_feed(b"[1]-  Terminated              uname -a\r\nmoler_bash# "),
        # Line caps and partial lines.
        bytes([0x81, 0x01, 8, 0x41]) + op_feed(b"a" * 300 + b"\nALARM 9\nmoler_bash# "),
    ]
    for s in seeds:
        write("connection", s)
    # Captures from the fixtures, as sessions of `Command::lines` ending on a generic prompt.
    for i, (_, _, output) in enumerate(fixtures()):
        if i % 12 == 0:
            write("connection", bytes([i % 256, 0x42]) + op_feed(output[:1500]))


def main():
    parse_and_cli()
    config()
    connection()
    for t in ("connection", "config", "parse", "cli"):
        n = len(os.listdir(os.path.join(ROOT, "fuzz", "corpus", t)))
        print(f"{t}: {n} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
