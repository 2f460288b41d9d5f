EAPI=8
DESCRIPTION="Stands in for sys-libs/glibc: records which libc the image was built for"
LICENSE="GPL-2"
SLOT="2.2"
KEYWORDS="amd64"
S="${WORKDIR}"
src_install() {
	insinto /etc
	newins - staves-libc <<<"glibc 2.40"
}
