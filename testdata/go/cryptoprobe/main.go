// cryptoprobe links crypto/tls and crypto/sha256 and does nothing with them: tests/binaries.rs
// builds it with Go's standard crypto and with GOEXPERIMENT=boringcrypto (with and without
// crypto/tls/fipsonly, the `fipsonly` build tag) and checks which module fipsprobe finds.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
)

func main() {
	sum := sha256.Sum256([]byte("fipsprobe"))
	fmt.Println(len(tls.CipherSuites()), sum[0], fipsOnly)
}
