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
	# Documentation, so that removing it (the strip-docs plugin) shows.
	newdoc - README <<<'hello: prints a greeting.'
	newman - hello.1 <<<'.TH HELLO 1
.SH NAME
hello \- print a greeting'
}
