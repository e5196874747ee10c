#!/bin/sh
# Installs the Debian packages the test suite's real servers need, only when a binary is missing.
# Idempotent and quick when everything is present. Needs root (or sudo) on Debian/Ubuntu.
#
#   binary        package       used by
#   openssl       openssl       tests/common/openssl.rs (s_server, s_client), certificate tools
#   etcd          etcd-server   tests/common/etcd.rs
#   nginx         nginx         tests/common/nginx.rs
#   gnutls-serv   gnutls-bin    tests/common/gnutls.rs
#   go            golang-go     tests/common/go.rs (testdata/go programs), tests/binaries.rs
#   go 1.23       golang-1.23-go  tests/binaries.rs (Go 1.20+ function table); from
#                               bookworm-backports, through a temporary source list
#   nmap          nmap          conformance cross-check (ssl-enum-ciphers)
#   unshare       util-linux    GnuTLS server isolated in its own network namespace
#   ip            iproute2      bringing up loopback inside that namespace
#   timeout       coreutils     bounding every s_client run
#   xmllint       libxml2-utils tests/evidence.rs (JUnit XML validated against its XSD)
#   promtool      prometheus    tests/evidence.rs (Prometheus text checked); the package's own
#                               service (port 9090) is kept from starting like nginx's, below
#   flock         util-linux    examples/cron (one nightly run at a time)
#   python3       python3       tests/cipher_db.rs (cipher-db/tools/gen_db.py regenerates the database)
#   javac         openjdk-17-jdk-headless  tests/common/java.rs (a JSSE server run from source)
#   chromium      chromium      tests/html.rs (the HTML report loaded, screenshotted, printed)
#   pdfinfo       poppler-utils tests/html.rs (the printed report has A4 pages)
#   DejaVuSans    fonts-dejavu-core  tests/html.rs (a font with the report's marks for Chromium)
#   script        bsdutils      tests/table.rs (the table on a pseudo-terminal of a set width)
set -eu

missing=""
need() { # need BINARY PACKAGE
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$1" ] && [ ! -x "/sbin/$1" ]; then
        missing="$missing $2"
    fi
}
need openssl openssl
need etcd etcd-server
need nginx nginx
need gnutls-serv gnutls-bin
need go golang-go
need nmap nmap
need unshare util-linux
need ip iproute2
need timeout coreutils
need xmllint libxml2-utils
need promtool prometheus
need flock util-linux
need python3 python3
need javac openjdk-17-jdk-headless
need chromium chromium
need pdfinfo poppler-utils
need script bsdutils
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then missing="$missing fonts-dejavu-core"; fi

# Go 1.23 (tests/binaries.rs: the Go 1.20+ function-table format, as current Kubernetes is built
# with) comes from Debian's bookworm-backports. The system's apt sources are left untouched: a
# temporary source list names backports for this one install.
need_go123=""
if [ ! -x /usr/lib/go-1.23/bin/go ]; then
    need_go123=1
fi

if [ -z "$missing" ] && [ -z "$need_go123" ]; then
    echo "install-test-deps: all test servers present"
    exit 0
fi

echo "install-test-deps: installing:$missing"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: apt-get not found; install these packages by hand:$missing" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-test-deps: not root and no sudo; install by hand:$missing" >&2
        exit 1
    fi
fi

# The nginx and etcd-server packages start system services on install (nginx on every interface,
# port 80). The tests run their own instances on loopback, so forbid service starts during the
# install with a temporary policy-rc.d (exit 101 = "action forbidden"), unless one exists.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

if [ -n "$missing" ]; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

if [ -n "$need_go123" ]; then
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    if [ "$codename" = "bookworm" ]; then
        echo "install-test-deps: installing golang-1.23-go from bookworm-backports"
        list=$(mktemp)
        echo "deb http://deb.debian.org/debian bookworm-backports main" >"$list"
        chmod 644 "$list"
        apt_bp="-o Dir::Etc::SourceList=$list -o Dir::Etc::SourceParts=/dev/null"
        # shellcheck disable=SC2086 # the apt options are meant to split
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get $apt_bp update -q
        # shellcheck disable=SC2086
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get $apt_bp install -y -q --no-install-recommends \
            -t bookworm-backports golang-1.23-go
        rm -f "$list"
    else
        # Elsewhere (newer Debian, Ubuntu) the archive's own golang-1.23-go, when it has one.
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends golang-1.23-go || {
            echo "install-test-deps: golang-1.23-go not available here; tests/binaries.rs needs /usr/lib/go-1.23/bin/go" >&2
            exit 1
        }
    fi
fi
echo "install-test-deps: done"
