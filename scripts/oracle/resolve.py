#!/usr/bin/env python3
"""Resolve atoms with real Portage's depgraph and return the merge list.

Adapted from the portage-oracle tools for Staves: Portage (from PyPI, see
scripts/ensure-portage.sh) resolves like `emerge --pretend --root=IMAGE`
with SYSROOT left at `/`, so RDEPEND/PDEPEND closures go to the image root
and DEPEND/BDEPEND/IDEPEND go to the build host `/` ("builder").

Both roots are empty and private to one call: every resolution gets a
throw-away Portage *prefix* directory (the same trick as Portage's own
ResolverPlayground: `portage.const.EPREFIX` points at it), which holds

    etc/portage/{make.conf,repos.conf/,package.use,package.accept_keywords,
                 package.env,env/<name>,make.profile}
    share/portage/config/{make.globals,sets} -> the venv's copies, own repos.conf
    var/db/pkg/          the builder root's VDB: always empty
    image/               the image ROOT (its VDB is empty too)

so nothing installed anywhere on the machine (the venv, /var/db/pkg, other
oracle runs) can influence the result, and nothing is written outside it.

Library use (agreement.py): `Oracle(venv_prefix).resolve(Request(...))`.
Command line (run with the venv's python):

    resolve.py --repo agree=PATH [--repo NAME=PATH ...] [--main-repo agree]
               [--profile agree/amd64] [--set USE="a -b" ...]
               [--package-use "cat/pkg flag"] [--accept-keywords "cat/pkg ~amd64"]
               ATOM...

prints {"success", "packages": [...], "problems"} as JSON.
"""

import argparse
import contextlib
import dataclasses
import io
import json
import os
import re
import shutil
import sys
import tempfile

# Portage iterates over sets of strings in places (output order, some
# choices): fix the hash seed so that every run gives the same answer.
# STAVES_ORACLE_HASHSEED overrides it (to check that results do not depend
# on it).
_SEED = os.environ.get("STAVES_ORACLE_HASHSEED", "0")
if os.environ.get("PYTHONHASHSEED") != _SEED:
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, PYTHONHASHSEED=_SEED, STAVES_ORACLE_HASHSEED=_SEED))

# Portage reads some variables from os.environ at import time and later:
# give it a clean, fixed environment before it is imported.
CLEAN_ENV = {
    "HOME": "/nonexistent",
    "TERM": "dumb",
    "LC_ALL": "C.UTF-8",
    "PATH": os.pathsep.join(
        [os.path.join(sys.prefix, "bin"), "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    ),
    "PORTAGE_USERNAME": "root",
    "PORTAGE_GRPNAME": "root",
}
os.environ.clear()
os.environ.update(CLEAN_ENV)

import portage  # noqa: E402
import portage.const  # noqa: E402
import portage.output  # noqa: E402
import portage.util  # noqa: E402
from _emerge.actions import load_emerge_config  # noqa: E402
from _emerge.create_depgraph_params import create_depgraph_params  # noqa: E402
from _emerge.depgraph import backtrack_depgraph  # noqa: E402
from _emerge.Package import Package  # noqa: E402
from _emerge.stdout_spinner import stdout_spinner  # noqa: E402
import _emerge.emergelog  # noqa: E402

# make.conf lines every resolution gets: no portage user, no sandbox, no
# news, no colour (the oracle's settings), and every cache/tmp dir inside
# the prefix. "@PREFIX@" is replaced with the prefix path.
BASE_MAKE_CONF = """\
FEATURES="-sandbox -usersandbox -ipc-sandbox -network-sandbox -pid-sandbox -userpriv -userfetch -usersync -news -parallel-fetch"
PORTAGE_USERNAME="root"
PORTAGE_GRPNAME="root"
PORTAGE_TMPDIR="@PREFIX@/tmp"
PORTAGE_DEPCACHEDIR="@PREFIX@/var/cache/edb/dep"
PKGDIR="@PREFIX@/binpkgs"
DISTDIR="@PREFIX@/distfiles"
PORT_LOGDIR="@PREFIX@/logs"
CLEAN_DELAY="0"
EMERGE_WARNING_DELAY="0"
NOCOLOR="true"
"""

VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclasses.dataclass
class Request:
    """One resolution: repositories, profile, configuration and targets."""

    repos: dict  # name -> absolute path; the main repository first
    main_repo: str
    profile: str  # path under <main_repo>/profiles/
    targets: list
    make_conf: dict = dataclasses.field(default_factory=dict)
    package_use: list = dataclasses.field(default_factory=list)  # "atom flag -flag"
    package_accept_keywords: list = dataclasses.field(default_factory=list)  # "atom kw"
    package_env: list = dataclasses.field(default_factory=list)  # "atom envname ..."
    named_envs: dict = dataclasses.field(default_factory=dict)  # name -> {VAR: value}


def quote_make_conf(value):
    """A make.conf double-quoted value (no expansion of $ or backslashes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def repos_conf(req):
    lines = ["[DEFAULT]", f"main-repo = {req.main_repo}", ""]
    for name, path in req.repos.items():
        lines += [f"[{name}]", f"location = {path}", "auto-sync = no", ""]
    return "\n".join(lines)


class Oracle:
    """Runs resolutions in one Python process, each in its own prefix."""

    def __init__(self, workdir=None):
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="staves-oracle.")
        # A pip ("MODULE") install keeps its global config under sys.prefix.
        self.global_config = os.path.join(
            sys.prefix, portage.const.GLOBAL_CONFIG_PATH.lstrip(os.sep)
        )
        if not os.path.isfile(os.path.join(self.global_config, "make.globals")):
            raise SystemExit(
                f"resolve.py: no make.globals in {self.global_config}; "
                "run this with the python of the venv made by scripts/ensure-portage.sh"
            )
        self._count = 0
        portage.output.nocolor()

    def close(self):
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _make_prefix(self, req):
        self._count += 1
        prefix = os.path.join(self.workdir, f"r{self._count}")
        etc = os.path.join(prefix, "etc", "portage")
        share = os.path.join(prefix, "share", "portage", "config")
        image = os.path.join(prefix, "image")
        for d in (etc, os.path.join(etc, "repos.conf"), share, image,
                  os.path.join(prefix, "var", "db", "pkg"), os.path.join(prefix, "tmp")):
            os.makedirs(d)
        for name in ("make.globals", "sets"):
            os.symlink(os.path.join(self.global_config, name), os.path.join(share, name))
        # Replaces the wheel's repos.conf, which declares a missing ::gentoo.
        with open(os.path.join(share, "repos.conf"), "w") as f:
            f.write(f"[DEFAULT]\nmain-repo = {req.main_repo}\n")
        with open(os.path.join(etc, "repos.conf", "staves.conf"), "w") as f:
            f.write(repos_conf(req))
        make_conf = BASE_MAKE_CONF.replace("@PREFIX@", prefix)
        for key, value in req.make_conf.items():
            if not VAR_NAME.match(key):
                raise ValueError(f"make_conf: invalid variable name {key!r}")
            make_conf += f"{key}={quote_make_conf(value)}\n"
        with open(os.path.join(etc, "make.conf"), "w") as f:
            f.write(make_conf)
        for fname, lines in (
            ("package.use", req.package_use),
            ("package.accept_keywords", req.package_accept_keywords),
            ("package.env", req.package_env),
        ):
            with open(os.path.join(etc, fname), "w") as f:
                f.write("".join(line + "\n" for line in lines))
        # Named environments, written as `staves build` writes them
        # (builder/portage_config.rs): one KEY="value" line per variable.
        os.makedirs(os.path.join(etc, "env"))
        for name, variables in req.named_envs.items():
            if "/" in name or name.startswith("."):
                raise ValueError(f"named_envs: invalid environment name {name!r}")
            with open(os.path.join(etc, "env", name), "w") as f:
                for key, value in variables.items():
                    if not VAR_NAME.match(key):
                        raise ValueError(f"named_envs.{name}: invalid variable name {key!r}")
                    f.write(f"{key}={quote_make_conf(value)}\n")
        profile_dir = os.path.join(req.repos[req.main_repo], "profiles", req.profile)
        if not os.path.isdir(profile_dir):
            raise ValueError(f"profile {req.profile!r}: no directory {profile_dir}")
        os.symlink(profile_dir, os.path.join(etc, "make.profile"))
        return prefix, image

    def resolve(self, req, options=None):
        """Resolve req.targets; returns {"success", "packages", "problems"}."""
        prefix, image = self._make_prefix(req)
        env = dict(CLEAN_ENV, PORTAGE_CONFIGROOT=prefix, ROOT=image, EPREFIX="")
        myopts = {"--pretend": True}
        myopts.update(options or {})
        saved_eprefix = portage.const.EPREFIX
        saved_noise = portage.util.noiselimit
        out = io.StringIO()
        packages = []
        try:
            # The build host "/" of this resolution is the prefix (see module doc).
            portage.const.EPREFIX = prefix
            _emerge.emergelog._disable = True
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                emerge_config = load_emerge_config(env=env)
                trees = emerge_config.trees
                settings = emerge_config.target_config.settings
                roots = {settings["EROOT"]: "image", trees._running_eroot: "builder"}
                if len(roots) != 2 or trees._running_eroot != prefix + os.sep:
                    raise RuntimeError(f"unexpected roots {sorted(trees)} for prefix {prefix}")
                params = create_depgraph_params(myopts, "")
                spinner = stdout_spinner()
                spinner.mode = spinner.QUIET
                success, depgraph, _favorites = backtrack_depgraph(
                    settings, trees, myopts, params, "", list(req.targets), spinner
                )
                if success:
                    for node in depgraph.altlist():
                        if isinstance(node, Package) and node.operation == "merge":
                            packages.append(package_json(node, roots))
                depgraph.display_problems()
                for root_trees in trees.values():
                    root_trees["porttree"].dbapi.close_caches()
        finally:
            portage.const.EPREFIX = saved_eprefix
            portage.util.noiselimit = saved_noise
        packages.sort(key=lambda p: (p["root"], p["cpv"], p["repo"]))
        result = {"success": bool(success), "packages": packages}
        problems = normalize_problems(out.getvalue(), {
            image: "${IMAGE}", prefix: "${BUILDER}",
            **{path: "${REPO:" + name + "}" for name, path in req.repos.items()},
        })
        if problems:
            result["problems"] = problems
        return result


def package_json(node, roots):
    return {
        "cpv": str(node.cpv),
        "slot": node.slot,
        "sub_slot": node.sub_slot,
        "repo": node.repo,
        "root": roots[node.root],
        # Enabled flags among the package's own IUSE (not IUSE_IMPLICIT).
        "use": sorted(node.use.enabled & node.iuse.all),
    }


def normalize_problems(text, replacements):
    """Emerge's problem text, without timings and machine-specific paths."""
    for path in sorted(replacements, key=len, reverse=True):
        text = text.replace(path.rstrip(os.sep), replacements[path])
    drop = ("These are the packages that would be merged", "Dependency resolution took",
            "Calculating dependencies")
    lines = [line.rstrip() for line in text.splitlines()
             if not any(line.lstrip().startswith(d) for d in drop)]
    return "\n".join(lines).strip()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", action="append", required=True, metavar="NAME=PATH")
    ap.add_argument("--main-repo")
    ap.add_argument("--profile")
    ap.add_argument("--set", action="append", default=[], metavar="VAR=VALUE")
    ap.add_argument("--package-use", action="append", default=[], metavar="LINE")
    ap.add_argument("--accept-keywords", action="append", default=[], metavar="LINE")
    ap.add_argument("atoms", nargs="+")
    args = ap.parse_args(argv)
    repos = {}
    for r in args.repo:
        name, _, path = r.partition("=")
        repos[name] = os.path.abspath(path)
    main_repo = args.main_repo or next(iter(repos))
    profile = args.profile or first_stable_profile(repos[main_repo])
    req = Request(
        repos=repos, main_repo=main_repo, profile=profile, targets=args.atoms,
        make_conf=dict(s.partition("=")[::2] for s in args.set),
        package_use=args.package_use, package_accept_keywords=args.accept_keywords,
    )
    oracle = Oracle()
    try:
        result = oracle.resolve(req)
    finally:
        oracle.close()
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0 if result["success"] else 1


def first_stable_profile(repo_path):
    """The first `amd64 ... stable` profile of profiles.desc."""
    with open(os.path.join(repo_path, "profiles", "profiles.desc")) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) == 3 and fields[0] == "amd64" and fields[2] == "stable":
                return fields[1]
    raise SystemExit(f"resolve.py: no stable amd64 profile in {repo_path}/profiles/profiles.desc")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
