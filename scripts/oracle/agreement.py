#!/usr/bin/env python3
"""Real Portage's answers for the agreement suite (tests/fixtures/agreement).

Run with the python of the Portage venv (scripts/ensure-portage.sh):

    $VENV/bin/python scripts/oracle/agreement.py            # JSON to stdout
    $VENV/bin/python scripts/oracle/agreement.py --update   # rewrite expected.json

For every [[case]] of cases.toml it resolves the case's targets plus
`virtual/libc` (staves adds it to every image) with Portage's depgraph, as
`emerge --pretend --root=<empty image root>` with SYSROOT `/` = an empty
builder root private to the case (see resolve.py), the profile of the case
(default: the first stable amd64 profile of ::agree), a make.conf with the
case's variables, package.use, package.accept_keywords, package.env with
the named environments under env/, and both fixture
repositories (agree, agree-overlay; auto-sync = no).

Output: {case name: {"success", "packages": [{cpv, slot, sub_slot, repo,
root: "image"|"builder", use}], "problems"?}} in case order; packages are
sorted by (root, cpv); `use` lists the enabled flags among the package's own
IUSE. All cases run in one process; the output is deterministic (no
timings, paths replaced by ${IMAGE}, ${BUILDER}, ${REPO:name}).

Exit status: 0 when every case's success matches its `expect`; 1 otherwise
(the JSON is still printed; the mismatches go to stderr); 2 on bad input.
"""

import argparse
import json
import os
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import resolve  # noqa: E402  (clears os.environ before importing portage)

TOP = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(TOP, "tests", "fixtures", "agreement")
MAIN_REPO = "agree"
REPO_NAMES = ("agree", "agree-overlay")
IMPLICIT_TARGETS = ("virtual/libc",)
CASE_KEYS = {
    "name", "description", "targets", "make_conf", "package_use",
    "package_accept_keywords", "package_env", "named_envs", "profile", "expect",
}


def load_cases(path):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    cases = doc.get("case", [])
    if set(doc) - {"case"} or not cases:
        raise SystemExit(f"{path}: expected only [[case]] tables")
    seen = set()
    for i, case in enumerate(cases):
        where = f"{path}: case #{i + 1} ({case.get('name', '?')})"
        unknown = set(case) - CASE_KEYS
        if unknown:
            raise SystemExit(f"{where}: unknown keys {sorted(unknown)}")
        for key in ("name", "description", "targets", "expect"):
            if key not in case:
                raise SystemExit(f"{where}: missing key {key!r}")
        if case["expect"] not in ("ok", "error"):
            raise SystemExit(f"{where}: expect must be \"ok\" or \"error\"")
        if case["name"] in seen:
            raise SystemExit(f"{where}: duplicate name")
        seen.add(case["name"])
    return cases


def request_for(case, repos_dir, default_profile):
    return resolve.Request(
        repos={name: os.path.join(repos_dir, name) for name in REPO_NAMES},
        main_repo=MAIN_REPO,
        profile=case.get("profile", default_profile),
        targets=list(case["targets"]) + list(IMPLICIT_TARGETS),
        make_conf=dict(case.get("make_conf", {})),
        package_use=list(case.get("package_use", [])),
        package_accept_keywords=list(case.get("package_accept_keywords", [])),
        package_env=list(case.get("package_env", [])),
        named_envs={k: dict(v) for k, v in case.get("named_envs", {}).items()},
    )


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=os.path.join(FIXTURES, "cases.toml"))
    ap.add_argument("--repos", default=os.path.join(FIXTURES, "repos"))
    ap.add_argument("--update", action="store_true",
                    help="write tests/fixtures/agreement/expected.json instead of stdout")
    ap.add_argument("--only", action="append", default=[], metavar="CASE",
                    help="run only these cases (for debugging)")
    args = ap.parse_args(argv)
    cases = load_cases(args.cases)
    if args.only:
        unknown = set(args.only) - {c["name"] for c in cases}
        if unknown:
            raise SystemExit(f"--only: no such cases: {sorted(unknown)}")
        cases = [c for c in cases if c["name"] in args.only]
    repos_dir = os.path.abspath(args.repos)
    default_profile = resolve.first_stable_profile(os.path.join(repos_dir, MAIN_REPO))

    results, wrong = {}, []
    oracle = resolve.Oracle()
    try:
        for case in cases:
            result = oracle.resolve(request_for(case, repos_dir, default_profile))
            results[case["name"]] = result
            got = "ok" if result["success"] else "error"
            if got != case["expect"]:
                wrong.append(f"{case['name']}: expected {case['expect']}, Portage says {got}"
                             + (f"\n    {result.get('problems', '')}".replace("\n", "\n    ")
                                if got == "error" else ""))
    finally:
        oracle.close()

    text = json.dumps(results, indent=1, sort_keys=False) + "\n"
    if args.update:
        with open(os.path.join(FIXTURES, "expected.json"), "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    for line in wrong:
        print(f"agreement.py: {line}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
