#!/usr/bin/env python3
"""Fails when a field name of the SST schema is written as a string literal in Sources/.

The schema spells its names once, in Sources/SSTCore/SchemaNames.swift (`FieldName`, `EntityName`); code
names a field by those constants, and a privacy rule finds a field by its role (`FieldRole`), never by its
name. The schema's own files and the default policy (the bytes of Protocol/policy/default.json) are
exempt. A few of the schema's names are ordinary words that other formats use for their own members
(a certificate's "school", a problem's "status"); such a literal is allowed only where
Tools/field-literals.allow lists its file and word with the reason.

Usage: Tools/check-field-literals.py [--root DIR]   (exit status 1 and one line per literal when any is found)
"""

import argparse
import pathlib
import re
import sys

EXEMPT = {
    "Sources/SSTCore/SchemaNames.swift",
    "Sources/SSTCore/Schema+SST.swift",
    "Sources/SSTPrivacy/DefaultPolicy.swift",
}
CONSTANT = re.compile(r'public static let `?\w+`? = "([a-z_]+)"')
# A Swift string literal on one line (escapes included); multi-line literals are read line by line, which
# finds `"name"` inside them too (an HTML attribute, say).
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def field_names(root: pathlib.Path) -> set[str]:
    text = (root / "Sources/SSTCore/SchemaNames.swift").read_text()
    body = text[text.index("public enum FieldName") :]
    return set(CONSTANT.findall(body))


def allowed(root: pathlib.Path) -> set[tuple[str, str]]:
    pairs = set()
    for number, line in enumerate((root / "Tools/field-literals.allow").read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[2].strip():
            sys.exit(f"Tools/field-literals.allow:{number}: expected PATH<TAB>WORD<TAB>REASON")
        pairs.add((parts[0], parts[1]))
    return pairs


def code_part(line: str) -> str:
    """The line without a trailing `//` comment (a `//` inside a string literal is kept)."""
    in_string = False
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and in_string:
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        elif not in_string and line.startswith("//", index):
            return line[:index]
        index += 1
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent, type=pathlib.Path)
    root = parser.parse_args().root
    names = field_names(root)
    allow = allowed(root)
    used_allowances = set()
    found = []
    for path in sorted((root / "Sources").rglob("*.swift")):
        relative = path.relative_to(root).as_posix()
        if relative in EXEMPT:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for literal in LITERAL.findall(code_part(line)):
                if literal not in names:
                    continue
                if (relative, literal) in allow:
                    used_allowances.add((relative, literal))
                    continue
                found.append(f"{relative}:{number}: field name \"{literal}\" as a string literal: {line.strip()}")
    for line in found:
        print(line)
    stale = sorted(allow - used_allowances)
    for relative, literal in stale:
        print(f"Tools/field-literals.allow: {relative} no longer writes \"{literal}\": remove the line")
    if found:
        print(
            f"{len(found)} field name(s) of the schema written as literals: use FieldName/EntityName "
            "(Sources/SSTCore/SchemaNames.swift), or a role (FieldRole) in a privacy rule; if the word names "
            "something else in that file, list it in Tools/field-literals.allow with the reason."
        )
    return 1 if found or stale else 0


if __name__ == "__main__":
    sys.exit(main())
