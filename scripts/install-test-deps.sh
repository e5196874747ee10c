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
#   go 1.23       golang-1.23-go  tests/common/go.rs (kubeserve as a current control plane builds
#                               it), tests/binaries.rs (Go 1.20+ function table); from
#                               bookworm-backports, added for the install only
#   chromium      chromium      tests/html.rs (the HTML report loaded, screenshotted, printed)
#   pdfinfo       poppler-utils tests/html.rs (the printed report has A4 pages)
#   DejaVuSans    fonts-dejavu-core  tests/html.rs (a font with the report's marks for Chromium)
#   escript       erlang-base, erlang-ssl  tests/common/erlang.rs (Erlang/OTP ssl server)
#   selfserv      libnss3-tools tests/common/nss.rs (NSS's test server)
#   botan         botan         tests/common/botan.rs (botan tls_server)
#   apache2       apache2-bin   tests/common/apache.rs (httpd with mod_ssl)
#   haproxy       haproxy       tests/common/haproxy.rs (TLS-terminating load balancer)
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
need escript erlang-base
# The ssl application is its own package; escript alone does not bring it.
if ! ls -d /usr/lib/erlang/lib/ssl-* >/dev/null 2>&1; then missing="$missing erlang-ssl"; fi
need selfserv libnss3-tools
need botan botan
need apache2 apache2-bin
need haproxy haproxy
backports=""
if [ ! -x /usr/lib/go-1.23/bin/go ]; then backports="golang-1.23-go"; fi

if [ -z "$missing" ] && [ -z "$backports" ]; then
    echo "install-test-deps: all test servers present"
    exit 0
fi

echo "install-test-deps: installing:$missing $backports"
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
backports_list=/etc/apt/sources.list.d/fipsprobe-backports.sources
cleanup() {
    if [ -n "$own_policy" ]; then $SUDO rm -f "$policy"; fi
    if [ -n "$backports" ]; then $SUDO rm -f "$backports_list"; fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    own_policy=1
fi

# Go 1.23 is in Debian 12's backports only: add that suite for this install, from the mirror the
# machine's own Debian sources already use, and remove it after.
if [ -n "$backports" ]; then
    mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null \
        | grep -v security | head -n 1)
    if [ -z "$mirror" ]; then
        mirror=$(sed -n 's/^deb  *\([^ ]*\) .*/\1/p' /etc/apt/sources.list 2>/dev/null \
            | grep -v security | head -n 1)
    fi
    codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
    if [ -z "$mirror" ] || [ "$codename" != "bookworm" ]; then
        echo "install-test-deps: $backports needs Debian 12 (bookworm) backports; install it by hand" >&2
        exit 1
    fi
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" | $SUDO tee "$backports_list" >/dev/null
fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
if [ -n "$backports" ]; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -t bookworm-backports $backports
fi
echo "install-test-deps: done"
