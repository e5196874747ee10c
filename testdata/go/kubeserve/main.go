// Command kubeserve is a TLS server configured the way kube-apiserver configures Go's crypto/tls,
// driven by kube-apiserver's own flag names, for fipsprobe's conformance tests. Standard library
// only (it must build with Debian's Go 1.19 and no network).
//
//	kubeserve --bind-address 127.0.0.1 --secure-port 6443 \
//	    --tls-cert-file rsa.crt --tls-private-key-file rsa.key \
//	    --tls-cert-file ecdsa.crt --tls-private-key-file ecdsa.key \
//	    --tls-cipher-suites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,... \
//	    --tls-min-version VersionTLS12
//
// Differences from kube-apiserver, all for tests: the cert/key flags may repeat (RSA and ECDSA
// side by side, Go picks per ClientHello as it does for kube's SNI certificates); --bind-address
// must be a loopback address; --tls-max-version exists; HTTP/2 is off (Go's http2 refuses cipher
// lists without its mandatory suite, kube-apiserver works around that the same way).
//
// Built with GOEXPERIMENT=boringcrypto, fips.go imports crypto/tls/fipsonly, which limits the
// server to FIPS-approved versions, suites, curves and signature schemes: what a FIPS
// kube-apiserver or etcd looks like from the network.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// legacyAliases are the names component-base and etcd still accept for the ChaCha20 suites.
var legacyAliases = map[string]uint16{
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
}

var versions = map[string]uint16{
	"VersionTLS10": tls.VersionTLS10,
	"VersionTLS11": tls.VersionTLS11,
	"VersionTLS12": tls.VersionTLS12,
	"VersionTLS13": tls.VersionTLS13,
}

func suiteIDs(names string) ([]uint16, error) {
	known := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		known[s.Name] = s.ID
	}
	for _, s := range tls.InsecureCipherSuites() {
		known[s.Name] = s.ID
	}
	for name, id := range legacyAliases {
		known[name] = id
	}
	var ids []uint16
	for _, name := range strings.Split(names, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		id, ok := known[name]
		if !ok {
			return nil, fmt.Errorf("unknown cipher suite %q", name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func version(name string) (uint16, error) {
	if name == "" {
		return 0, nil
	}
	v, ok := versions[name]
	if !ok {
		return 0, fmt.Errorf("unknown TLS version %q (VersionTLS10..VersionTLS13)", name)
	}
	return v, nil
}

func main() {
	var certFiles, keyFiles stringList
	bind := flag.String("bind-address", "127.0.0.1", "loopback address to listen on")
	port := flag.Int("secure-port", 6443, "port to serve HTTPS on")
	flag.Var(&certFiles, "tls-cert-file", "PEM certificate (repeatable, paired in order with --tls-private-key-file)")
	flag.Var(&keyFiles, "tls-private-key-file", "PEM private key (repeatable)")
	suites := flag.String("tls-cipher-suites", "", "comma-separated Go cipher suite names; empty = Go's defaults")
	minVersion := flag.String("tls-min-version", "", "VersionTLS10..VersionTLS13; empty = Go's default")
	maxVersion := flag.String("tls-max-version", "", "VersionTLS10..VersionTLS13 (not a kube flag)")
	clientCA := flag.String("client-ca-file", "", "request client certificates signed by this CA (VerifyClientCertIfGiven, as kube-apiserver)")
	requireClientCert := flag.Bool("require-client-cert", false, "with --client-ca-file: RequireAndVerifyClientCert, as etcd --client-cert-auth (not a kube flag)")
	flag.Parse()

	ip := net.ParseIP(*bind)
	if ip == nil || !ip.IsLoopback() {
		log.Fatalf("--bind-address %q: this test server binds loopback addresses only", *bind)
	}
	if len(certFiles) == 0 || len(certFiles) != len(keyFiles) {
		log.Fatalf("need as many --tls-cert-file as --tls-private-key-file (got %d and %d)", len(certFiles), len(keyFiles))
	}
	config := &tls.Config{}
	for i := range certFiles {
		pair, err := tls.LoadX509KeyPair(certFiles[i], keyFiles[i])
		if err != nil {
			log.Fatalf("loading %s / %s: %v", certFiles[i], keyFiles[i], err)
		}
		config.Certificates = append(config.Certificates, pair)
	}
	var err error
	if config.CipherSuites, err = suiteIDs(*suites); err != nil {
		log.Fatalf("--tls-cipher-suites: %v", err)
	}
	if config.MinVersion, err = version(*minVersion); err != nil {
		log.Fatalf("--tls-min-version: %v", err)
	}
	if config.MaxVersion, err = version(*maxVersion); err != nil {
		log.Fatalf("--tls-max-version: %v", err)
	}
	if *clientCA != "" {
		pem, err := os.ReadFile(*clientCA)
		if err != nil {
			log.Fatalf("--client-ca-file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			log.Fatalf("--client-ca-file %s: no certificates", *clientCA)
		}
		config.ClientCAs = pool
		config.ClientAuth = tls.VerifyClientCertIfGiven
		if *requireClientCert {
			config.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}

	addr := net.JoinHostPort(ip.String(), strconv.Itoa(*port))
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("listen %s: %v", addr, err)
	}
	server := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "kubeserve fips=%v version=%s suite=%s\n", fipsMode,
				versionName(r.TLS.Version), tls.CipherSuiteName(r.TLS.CipherSuite))
		}),
		TLSConfig:    config,
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(os.Stderr, "", 0),
	}
	fmt.Fprintf(os.Stderr, "kubeserve fips=%v listening on %s\n", fipsMode, addr)
	log.Fatal(server.ServeTLS(listener, "", ""))
}

func versionName(v uint16) string {
	for name, code := range versions {
		if code == v {
			return name
		}
	}
	return fmt.Sprintf("0x%04x", v)
}
