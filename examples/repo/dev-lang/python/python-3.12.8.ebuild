EAPI=8
DESCRIPTION="Stands in for the Python interpreter"
LICENSE="MIT"
SLOT="3.12"
KEYWORDS="amd64"
IUSE="+ssl sqlite"
RDEPEND="app-shells/bash"
S="${WORKDIR}"
src_install() {
	insinto /usr/share/python-3.12
	newins - version <<<"${PV}"
}
