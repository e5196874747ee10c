//go:build fipsonly

package main

// Restricts crypto/tls to FIPS-approved settings; only exists in BoringCrypto builds.
import _ "crypto/tls/fipsonly"

const fipsOnly = true
