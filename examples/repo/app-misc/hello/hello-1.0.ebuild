EAPI=8
DESCRIPTION="Prints a greeting"
LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"
RDEPEND="sys-apps/busybox"
S="${WORKDIR}"
src_install() {
	exeinto /usr/bin
	newexe - hello <<<'#!/bin/sh
echo "Hello from a Staves image (hello 1.0)"'
}
