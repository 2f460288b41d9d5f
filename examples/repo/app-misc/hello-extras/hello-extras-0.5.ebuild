EAPI=8
DESCRIPTION="Extra greetings for hello"
LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"
S="${WORKDIR}"
src_install() {
	insinto /usr/share/hello
	newins - extras <<<"...and extras, built by emerge into a separate root."
}
