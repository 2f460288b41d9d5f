EAPI=8
DESCRIPTION="Stands in for pkgconf: a build tool that only the builder needs"
LICENSE="MIT"
SLOT="0/5"
KEYWORDS="amd64"
S="${WORKDIR}"
src_install() {
	exeinto /usr/bin
	newexe - staves-pkgconf <<<'#!/bin/sh
echo "pkgconf 2.3.0"'
}
