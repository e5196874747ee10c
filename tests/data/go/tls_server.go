// A Go crypto/tls server for tests/wire.rs: Go is what kube-apiserver and etcd run, and it is
// stricter than OpenSSL about ClientHellos (key shares, point formats, session ids).
//
// Usage: tls_server CERT KEY MIN_VERSION(hex) CURVE(hex, 0 = Go default) SUITES(comma hex, "" = default)
// Listens on 127.0.0.1:0, prints "LISTEN <addr>", handshakes every connection until killed.
package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

func main() {
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		panic(err)
	}
	minVersion, _ := strconv.ParseUint(os.Args[3], 16, 16)
	curve, _ := strconv.ParseUint(os.Args[4], 16, 16)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: uint16(minVersion)}
	if curve != 0 {
		cfg.CurvePreferences = []tls.CurveID{tls.CurveID(curve)}
	}
	if os.Args[5] != "" {
		for _, s := range strings.Split(os.Args[5], ",") {
			v, _ := strconv.ParseUint(s, 16, 16)
			cfg.CipherSuites = append(cfg.CipherSuites, uint16(v))
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			_ = tls.Server(c, cfg).Handshake()
		}(conn)
	}
}
