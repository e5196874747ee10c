//go:build !boringcrypto

package main

const fipsMode = false
