EAPI=8
DESCRIPTION="Stands in for GNU readline"
LICENSE="GPL-3"
SLOT="0/8"
KEYWORDS="amd64"
IUSE="static-libs +unicode"
RDEPEND=">=sys-libs/ncurses-5.9-r3:=[static-libs?,unicode(+)?]"
DEPEND="${RDEPEND}"
BDEPEND="dev-util/pkgconf"
S="${WORKDIR}"
src_install() {
	insinto /usr/share/readline
	newins - version <<<"${PV}"
}
