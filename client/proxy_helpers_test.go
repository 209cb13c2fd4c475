package client_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// testProxy is a proxy started by a test: it records the address each
// tunnel asked for and maps host names found in hosts to another host
// (the proxy resolves names, as real ones do).
type testProxy struct {
	URL   string
	mu    sync.Mutex
	asked []string
	hosts map[string]string
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup // every connection being served
}

// serve runs f for c on a goroutine the proxy owns.
func (p *testProxy) serve(c net.Conn, f func()) {
	p.mu.Lock()
	if p.conns == nil {
		p.conns = make(map[net.Conn]struct{})
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		f()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
}

// closeAll closes the connections being served and waits for them.
func (p *testProxy) closeAll() {
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// targets returns the addresses asked for so far.
func (p *testProxy) targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// record notes addr and returns the address to dial.
func (p *testProxy) record(addr string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, addr)
	host, port, err := net.SplitHostPort(addr)
	if to, ok := p.hosts[host]; ok && err == nil {
		return net.JoinHostPort(to, port)
	}
	return addr
}

// pipe copies both ways between a and b until either side ends.
func (p *testProxy) pipe(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	go cp(a, b)
	go cp(b, a)
	wg.Wait()
}

// newHTTPProxy starts an HTTP proxy answering CONNECT only, closed when
// the test ends. With user set it demands that Proxy-Authorization.
func newHTTPProxy(t *testing.T, hosts map[string]string, user, password string) *testProxy {
	p := &testProxy{hosts: hosts}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		if u, pw, ok := parseProxyAuth(r); user != "" && (!ok || u != user || pw != password) {
			http.Error(w, "who are you", http.StatusProxyAuthRequired)
			return
		}
		up, err := net.Dial("tcp", p.record(r.Host))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		down, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		if _, err := down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
			up.Close()
			down.Close()
			return
		}
		p.serve(down, func() { p.pipe(down, up) })
	}))
	t.Cleanup(func() {
		srv.Close()
		p.closeAll()
	})
	p.URL = srv.URL
	return p
}

// parseProxyAuth reads a Basic Proxy-Authorization header.
func parseProxyAuth(r *http.Request) (user, password string, ok bool) {
	r2 := &http.Request{Header: http.Header{"Authorization": r.Header["Proxy-Authorization"]}}
	return r2.BasicAuth()
}

// newSOCKS5Proxy starts a SOCKS5 server (RFC 1928: no authentication,
// CONNECT to an IPv4 address or a domain name), closed when the test
// ends. It is the smallest server the client's SOCKS5 dialer needs.
func newSOCKS5Proxy(t *testing.T, hosts map[string]string) *testProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &testProxy{hosts: hosts, URL: "socks5://" + ln.Addr().String()}
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.serve(c, func() { p.serveSOCKS5(c) })
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepted
		p.closeAll()
	})
	return p
}

// serveSOCKS5 answers one SOCKS5 client on c.
func (p *testProxy) serveSOCKS5(c net.Conn) {
	defer c.Close()
	addr, err := readSOCKS5Request(c)
	if err != nil {
		return
	}
	up, err := net.Dial("tcp", p.record(addr))
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		return
	}
	if _, err := c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}); err != nil {
		up.Close()
		return
	}
	p.pipe(c, up)
}

// readSOCKS5Request reads the greeting, accepts "no authentication" and
// returns the CONNECT request's address.
func readSOCKS5Request(c net.Conn) (string, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return "", err
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil || hdr[0] != 5 || !strings.ContainsRune(string(methods), 0) {
		return "", errors.New("socks5: bad greeting")
	}
	if _, err := c.Write([]byte{5, 0}); err != nil {
		return "", err
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[1] != 1 {
		return "", errors.New("socks5: not CONNECT")
	}
	var host string
	switch req[3] {
	case 1:
		var ip [4]byte
		if _, err := io.ReadFull(c, ip[:]); err != nil {
			return "", err
		}
		host = net.IP(ip[:]).String()
	case 3:
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return "", err
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(c, name); err != nil {
			return "", err
		}
		host = string(name)
	default:
		return "", errors.New("socks5: address type")
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))), nil
}
