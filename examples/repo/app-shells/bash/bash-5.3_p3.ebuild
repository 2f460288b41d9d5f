EAPI=8
DESCRIPTION="Stands in for the GNU Bourne again shell (testing)"
LICENSE="GPL-3"
SLOT="0"
KEYWORDS="~amd64"
IUSE="nls +readline"
RDEPEND="sys-apps/busybox >=sys-libs/ncurses-5.2-r2:= readline? ( >=sys-libs/readline-8.3:= )"
DEPEND="${RDEPEND}"
BDEPEND="dev-util/gperf"
S="${WORKDIR}"
src_install() {
	exeinto /bin
	newexe - bash <<<'#!/bin/busybox sh
exec /bin/busybox sh "$@"'
}
