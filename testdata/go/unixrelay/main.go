// Command unixrelay forwards byte streams between two sockets, for running a server that cannot
// choose its bind address (gnutls-serv listens on every interface) inside a private network
// namespace: one relay inside the namespace goes unix socket -> TCP, one outside goes
// 127.0.0.1 TCP -> unix socket. Unix sockets live in the filesystem, which both sides share.
//
//	unixrelay -listen unix:/tmp/x/s.sock -to tcp:127.0.0.1:5556 -wait
//	unixrelay -listen tcp:127.0.0.1:40000 -to unix:/tmp/x/s.sock
//
// With -wait it first polls the target until it accepts (up to 10 s), so the listening socket
// appearing means the whole chain is up. TCP listen addresses must be loopback.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"strings"
	"time"
)

func split(spec string) (string, string) {
	network, address, ok := strings.Cut(spec, ":")
	if !ok || (network != "tcp" && network != "unix") {
		log.Fatalf("bad socket %q: want tcp:HOST:PORT or unix:PATH", spec)
	}
	return network, address
}

func main() {
	listen := flag.String("listen", "", "tcp:127.0.0.1:PORT or unix:PATH")
	to := flag.String("to", "", "tcp:HOST:PORT or unix:PATH")
	wait := flag.Bool("wait", false, "wait until the target accepts before listening")
	flag.Parse()
	lnet, laddr := split(*listen)
	tnet, taddr := split(*to)
	if lnet == "tcp" {
		host, _, err := net.SplitHostPort(laddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			log.Fatalf("-listen %q: loopback addresses only", laddr)
		}
	}
	if *wait {
		deadline := time.Now().Add(10 * time.Second)
		for {
			conn, err := net.DialTimeout(tnet, taddr, time.Second)
			if err == nil {
				conn.Close()
				break
			}
			if time.Now().After(deadline) {
				log.Fatalf("target %s never accepted: %v", *to, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	listener, err := net.Listen(lnet, laddr)
	if err != nil {
		log.Fatalf("listen %s: %v", *listen, err)
	}
	log.Printf("relaying %s -> %s", *listen, *to)
	for {
		client, err := listener.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		go relay(client, tnet, taddr)
	}
}

type halfCloser interface{ CloseWrite() error }

func relay(client net.Conn, tnet, taddr string) {
	defer client.Close()
	server, err := net.DialTimeout(tnet, taddr, 5*time.Second)
	if err != nil {
		log.Printf("dial %s: %v", taddr, err)
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if hc, ok := dst.(halfCloser); ok {
			hc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
}
