#!/usr/bin/env python3
"""Print the commands of the README's Quick start (the same parser as shared/tools/quickstart.py): the first fenced block after a heading that says 'Quick start'.

Usage: quickstart.py README.md [N]   -> all commands, one per line, or only the N-th (1-based).
Exit 2 when there is no such section or block.
"""
import re
import sys


def commands(text: str) -> list[str]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^#+\s.*quick\s*-?\s*start", line, re.I)), None)
    if start is None:
        return []
    i = start + 1
    while i < len(lines) and not lines[i].lstrip().startswith("```"):
        if re.match(r"^#+\s", lines[i]):
            return []
        i += 1
    out, cur = [], ""
    for line in lines[i + 1:]:
        if line.lstrip().startswith("```"):
            break
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        s = re.sub(r"^\$\s+", "", s)
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        out.append(cur + s)
        cur = ""
    return out


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as readme:
        cmds = commands(readme.read())
    if not cmds:
        sys.exit(2)
    if len(sys.argv) > 2:
        n = int(sys.argv[2])
        if n > len(cmds):
            sys.exit(2)
        print(cmds[n - 1])
    else:
        print("\n".join(cmds))
