#!/usr/bin/env python3
"""Atom-parsing oracle: what real Portage makes of each atom.

Reads one atom per line on stdin and prints one line per atom: "invalid" when
portage.dep.Atom rejects it (EAPI-independent parsing, ::repo allowed,
binpkg build-ids not allowed), else tab-separated fields:
blocker(none|weak|strong) operator cp version slot subslot slot_operator repo
with "-" for absent fields. Used by staves-core/tests/vercmp_portage.rs.
"""
import sys

from portage.dep import Atom
from portage.exception import InvalidAtom


def describe(s: str) -> str:
    try:
        a = Atom(s, allow_repo=True, allow_build_id=False)
    except InvalidAtom:
        return "invalid"
    if a.blocker:
        blocker = "strong" if a.blocker.overlap.forbid else "weak"
    else:
        blocker = "none"
    fields = [
        blocker,
        a.operator,
        a.cp,
        a.version,
        a.slot,
        a.sub_slot,
        a.slot_operator,
        a.repo,
    ]
    return "\t".join("-" if f is None else str(f) for f in fields)


def main() -> int:
    out = [describe(line.rstrip("\n")) for line in sys.stdin]
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
