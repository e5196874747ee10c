//go:build boringcrypto

package main

// Importing fipsonly restricts every crypto/tls config in the program to FIPS-approved settings
// (TLS 1.2 only in Go 1.19, AES-GCM ECDHE suites, P-256/P-384/P-521, RSA >= 2048 and ECDSA keys).
import _ "crypto/tls/fipsonly"

const fipsMode = true
