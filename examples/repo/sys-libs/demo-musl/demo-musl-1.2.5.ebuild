EAPI=8
DESCRIPTION="Stands in for sys-libs/musl"
LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"
S="${WORKDIR}"
src_install() {
	insinto /etc
	newins - staves-libc <<<"musl 1.2.5"
}
