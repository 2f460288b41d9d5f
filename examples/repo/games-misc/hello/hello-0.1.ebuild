EAPI=8
DESCRIPTION="A second package called hello, in another category"
LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"
S="${WORKDIR}"
src_install() {
	insinto /usr/share/games-hello
	newins - hello <<<"hi"
}
