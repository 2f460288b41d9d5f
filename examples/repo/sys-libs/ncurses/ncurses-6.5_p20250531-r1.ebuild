EAPI=8
DESCRIPTION="Stands in for the console display library"
LICENSE="MIT"
SLOT="0/6"
KEYWORDS="amd64"
IUSE="+cxx static-libs"
RDEPEND="!<sys-libs/ncurses-5.9-r4:5"
S="${WORKDIR}"
src_install() {
	insinto /usr/share/ncurses
	newins - version <<<"${PV}"
}
