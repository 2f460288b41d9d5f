EAPI=8
DESCRIPTION="Prints a greeting (live version)"
LICENSE="MIT"
SLOT="0"
PROPERTIES="live"
RDEPEND="app-shells/bash"
S="${WORKDIR}"
src_install() {
	exeinto /usr/bin
	newexe - hello <<<'#!/bin/sh
echo "Hello from the live hello"'
}
