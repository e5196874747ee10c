//go:build !fipsonly

package main

const fipsOnly = false
