EAPI=8
DESCRIPTION="Stands in for the GNU Bourne again shell (a busybox sh wrapper)"
LICENSE="GPL-3"
SLOT="0"
KEYWORDS="amd64"
IUSE="nls +readline"
RDEPEND="sys-apps/busybox >=sys-libs/ncurses-5.2-r2:= readline? ( >=sys-libs/readline-8.2_p1:= )"
DEPEND="${RDEPEND}"
BDEPEND="dev-util/gperf"
S="${WORKDIR}"
src_compile() {
	# A build step that needs the BDEPEND tool, as real bash needs gperf.
	staves-gperf > built-with.txt || die
}
src_install() {
	exeinto /bin
	newexe - bash <<<'#!/bin/busybox sh
exec /bin/busybox sh "$@"'
	insinto /usr/share/bash
	doins built-with.txt
	use nls && newins - nls <<<"nls enabled"
	use readline && newins - readline <<<"readline enabled"
}
