#!/usr/bin/env python3
"""Version-comparison oracle: real Portage's vercmp, one answer per line.

Reads lines "A B" (two versions separated by whitespace) on stdin and prints,
per line, the sign of portage.versions.vercmp(A, B): -1, 0 or 1, or
"invalid" when Portage rejects either version. Run it with the Python of the
venv that scripts/ensure-portage.sh prints (staves-core/tests/vercmp_portage.rs
does this).
"""
import sys

from portage.versions import vercmp


def main() -> int:
    out = []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2:
            out.append("invalid")
            continue
        r = vercmp(parts[0], parts[1])
        out.append("invalid" if r is None else str((r > 0) - (r < 0)))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
