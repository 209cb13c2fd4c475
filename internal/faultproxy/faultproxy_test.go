package faultproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/internal/faultproxy"
)

// waitLimit bounds every wait; a passing test never reaches it.
const waitLimit = 5 * time.Second

// echoServer accepts connections and echoes each line back in upper
// case. Accepted connections are sent on conns so a test can watch the
// server side.
type echoServer struct {
	ln    net.Listener
	conns chan net.Conn
	wg    sync.WaitGroup
}

func newEchoServer(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln, conns: make(chan net.Conn, 100)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns <- c
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						if errors.Is(err, io.EOF) {
							io.WriteString(c, "BYE\n")
						}
						return
					}
					if _, err := io.WriteString(c, strings.ToUpper(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-s.conns:
				c.Close()
				continue
			default:
			}
			break
		}
		s.wg.Wait()
	})
	return s
}

func (s *echoServer) addr() string { return s.ln.Addr().String() }

func newProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dial connects to the proxy with a read deadline of waitLimit.
func dial(t *testing.T, p *faultproxy.Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(waitLimit))
	return c, bufio.NewReader(c)
}

// roundTrip sends line and returns the echo.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatalf("write %q: %v", line, err)
	}
	got, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read echo of %q: %v", line, err)
	}
	return strings.TrimSuffix(got, "\n")
}

// eventually polls cond until it holds or waitLimit passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, waitLimit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestForward(t *testing.T) {
	s := newEchoServer(t)
	for _, target := range []string{s.addr(), "tcp://" + s.addr(), "mqtt://" + s.addr() + "/"} {
		t.Run(target, func(t *testing.T) {
			p := newProxy(t, target)
			if p.Target() != s.addr() {
				t.Errorf("Target() = %q, want %q", p.Target(), s.addr())
			}
			if !strings.HasPrefix(p.URL(), "tcp://127.0.0.1:") {
				t.Errorf("URL() = %q, want tcp://127.0.0.1:port", p.URL())
			}
			c, r := dial(t, p)
			for _, line := range []string{"hello", "second line", strings.Repeat("x", 100_000)} {
				if got, want := roundTrip(t, c, r, line), strings.ToUpper(line); got != want {
					t.Fatalf("echo of %.20q: got %.20q, want %.20q", line, got, want)
				}
			}
			if got := p.Live(); got != 1 {
				t.Errorf("Live() = %d, want 1", got)
			}
			if got := p.Accepted(); got != 1 {
				t.Errorf("Accepted() = %d, want 1", got)
			}
		})
	}
}

// TestHalfClose checks that an end of stream is passed on and the other
// direction keeps flowing.
func TestHalfClose(t *testing.T) {
	s := newEchoServer(t)
	p := newProxy(t, s.addr())
	c, r := dial(t, p)
	io.WriteString(c, "last\n")
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read after half close: %v", err)
	}
	if got, want := string(rest), "LAST\nBYE\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	eventually(t, "pair gone after both ends closed", func() bool { return p.Live() == 0 })
}

func TestCut(t *testing.T) {
	s := newEchoServer(t)
	p := newProxy(t, s.addr())
	if n := p.Cut(); n != 0 || p.Cuts() != 0 {
		t.Fatalf("Cut with no connection: got %d cut, Cuts() = %d, want 0 and 0", n, p.Cuts())
	}
	c1, r1 := dial(t, p)
	c2, r2 := dial(t, p)
	roundTrip(t, c1, r1, "a")
	roundTrip(t, c2, r2, "b")
	server1 := <-s.conns
	server2 := <-s.conns

	if n := p.Cut(); n != 2 {
		t.Fatalf("Cut cut %d pairs, want 2", n)
	}
	if got := p.Cuts(); got != 1 {
		t.Errorf("Cuts() = %d, want 1", got)
	}
	for i, r := range []*bufio.Reader{r1, r2} {
		if _, err := r.ReadString('\n'); err == nil || errors.Is(err, io.EOF) || isTimeout(err) {
			t.Errorf("client %d after cut: read error %v, want a connection reset", i+1, err)
		}
	}
	for i, sc := range []net.Conn{server1, server2} {
		sc.SetReadDeadline(time.Now().Add(waitLimit))
		if _, err := sc.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("server side %d after cut: read error %v, want the connection ended", i+1, err)
		}
	}
	eventually(t, "no live pair after the cut", func() bool { return p.Live() == 0 })

	c3, r3 := dial(t, p)
	if got := roundTrip(t, c3, r3, "again"); got != "AGAIN" {
		t.Errorf("after cut: got %q, want %q", got, "AGAIN")
	}
	if got := p.Accepted(); got != 3 {
		t.Errorf("Accepted() = %d, want 3", got)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestChaos reconnects after every cut and checks the cuts keep coming,
// spaced as asked, and stop with StopChaos.
func TestChaos(t *testing.T) {
	s := newEchoServer(t)
	p := newProxy(t, s.addr())
	const min, max = 15 * time.Millisecond, 30 * time.Millisecond
	if err := p.StartChaos(max, min, 1); err == nil {
		t.Fatal("StartChaos with max < min: no error")
	}
	if err := p.StartChaos(0, max, 1); err == nil {
		t.Fatal("StartChaos with min 0: no error")
	}
	if err := p.StartChaos(min, max, 42); err != nil {
		t.Fatal(err)
	}
	const want = 10
	var cutAt []time.Time
	for len(cutAt) < want {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(waitLimit))
		r := bufio.NewReader(c)
		for {
			if _, err := io.WriteString(c, "ping\n"); err != nil {
				break
			}
			if _, err := r.ReadString('\n'); err != nil {
				if isTimeout(err) {
					t.Fatalf("no cut within %v", waitLimit)
				}
				break
			}
		}
		cutAt = append(cutAt, time.Now())
		c.Close()
	}
	p.StopChaos()
	n := p.Cuts()
	if n < want {
		t.Errorf("Cuts() = %d after %d observed cuts", n, want)
	}
	c, r := dial(t, p)
	time.Sleep(5 * max)
	if got := roundTrip(t, c, r, "calm"); got != "CALM" {
		t.Errorf("after StopChaos: got %q", got)
	}
	if got := p.Cuts(); got != n {
		t.Errorf("Cuts() went from %d to %d after StopChaos", n, got)
	}
	p.StopChaos() // stopping twice is harmless
}

func TestPause(t *testing.T) {
	s := newEchoServer(t)
	p := newProxy(t, s.addr())
	c, r := dial(t, p)
	roundTrip(t, c, r, "before")

	p.Pause()
	p.Pause()
	io.WriteString(c, "stalled\n")
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if line, err := r.ReadString('\n'); !isTimeout(err) {
		t.Fatalf("while paused: got (%q, %v), want a timeout", line, err)
	}
	c.SetReadDeadline(time.Now().Add(waitLimit))
	p.Resume()
	p.Resume()
	if line, err := r.ReadString('\n'); err != nil || line != "STALLED\n" {
		t.Fatalf("after Resume: got (%q, %v), want STALLED", line, err)
	}

	// A cut ends a paused connection at once.
	p.Pause()
	io.WriteString(c, "lost\n")
	time.Sleep(20 * time.Millisecond)
	p.Cut()
	if _, err := r.ReadString('\n'); err == nil || isTimeout(err) {
		t.Fatalf("cut while paused: read error %v, want the connection ended", err)
	}
	p.Resume()
}

func TestTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newProxy(t, addr)
	// The proxy resets the connection at once; the dial itself may see it.
	c, err := net.Dial("tcp", p.Addr())
	if err == nil {
		c.SetDeadline(time.Now().Add(waitLimit))
		_, err = bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil || isTimeout(err) {
			t.Fatalf("target down: read error %v, want the connection ended", err)
		}
	}
	if got := p.Live(); got != 0 {
		t.Errorf("Live() = %d, want 0", got)
	}
}

// TestClose checks that Close ends every connection, stops chaos and
// leaves no goroutine behind.
func TestClose(t *testing.T) {
	s := newEchoServer(t)
	before := runtime.NumGoroutine()
	p, err := faultproxy.New(s.addr())
	if err != nil {
		t.Fatal(err)
	}
	c, r := dial(t, p)
	roundTrip(t, c, r, "x")
	p.Pause()
	if err := p.StartChaos(time.Hour, time.Hour, 7); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.ReadString('\n'); err == nil || isTimeout(err) {
		t.Errorf("after Close: read error %v, want the connection ended", err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("dial after Close succeeded")
	}
	if err := p.StartChaos(time.Millisecond, time.Millisecond, 1); !errors.Is(err, faultproxy.ErrClosed) {
		t.Errorf("StartChaos after Close: got %v, want ErrClosed", err)
	}
	// The echo server's goroutine for the cut connection ends on its own.
	eventually(t, "goroutines back to the count before New", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// TestPauseHoldsEnd checks that a paused proxy passes on no end of
// stream: a peer that closes is not seen to close until Resume.
func TestPauseHoldsEnd(t *testing.T) {
	s := newEchoServer(t)
	p := newProxy(t, s.addr())
	c, r := dial(t, p)
	roundTrip(t, c, r, "x")
	server := <-s.conns

	p.Pause()
	server.Close()
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := r.ReadString('\n'); !isTimeout(err) {
		t.Fatalf("server closed while paused: read error %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Now().Add(waitLimit))
	p.Resume()
	if _, err := r.ReadString('\n'); err == nil || isTimeout(err) {
		t.Fatalf("after Resume: read error %v, want the end of the connection", err)
	}
}
