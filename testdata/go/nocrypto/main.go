// nocrypto links no crypto package: fipsprobe must find no crypto module in it.
package main

import "fmt"

func main() { fmt.Println("no crypto here") }
