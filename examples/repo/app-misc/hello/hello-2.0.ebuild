EAPI=8
DESCRIPTION="Prints a greeting, optionally with extras"
LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"
IUSE="+extras"
RDEPEND="app-shells/bash extras? ( app-misc/hello-extras )"
S="${WORKDIR}"
src_install() {
	exeinto /usr/bin
	newexe - hello <<<'#!/bin/bash
echo "Hello from a Staves image (hello 2.0)"
[ -f /usr/share/hello/extras ] && cat /usr/share/hello/extras
exit 0'
}
