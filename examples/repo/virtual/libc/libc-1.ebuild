EAPI=8
DESCRIPTION="Virtual for the C library"
SLOT="0"
KEYWORDS="amd64"
RDEPEND="elibc_glibc? ( sys-libs/demo-glibc ) elibc_musl? ( sys-libs/demo-musl )"
