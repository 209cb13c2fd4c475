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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, err)
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
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// dial connects to the proxy with a read deadline of waitLimit.
func dial(t *testing.T, p *faultproxy.Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(waitLimit))
	return c, bufio.NewReader(c)
}

// roundTrip sends line and returns the echo.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	_, err := io.WriteString(c, line+"\n")
	require.NoErrorf(t, err, "write %q", line)
	got, err := r.ReadString('\n')
	require.NoErrorf(t, err, "read echo of %q", line)
	return strings.TrimSuffix(got, "\n")
}

// eventually requires cond to hold within waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventuallyf(t, cond, waitLimit, 2*time.Millisecond, "%s: not within %v", what, waitLimit)
}

// eventuallyHere is eventually with cond polled on the calling goroutine,
// for a cond that counts goroutines: require.Eventually runs each check
// on a goroutine of its own, which the count would include.
func eventuallyHere(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNowf(t, "condition never satisfied", "%s: not within %v", what, waitLimit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestForward(t *testing.T) {
	s := newEchoServer(t)
	for _, target := range []string{s.addr(), "tcp://" + s.addr(), "mqtt://" + s.addr() + "/"} {
		t.Run(target, func(t *testing.T) {
			p := newProxy(t, target)
			assert.Equal(t, s.addr(), p.Target(), "Target()")
			assert.Truef(t, strings.HasPrefix(p.URL(), "tcp://127.0.0.1:"), "URL() = %q, want tcp://127.0.0.1:port", p.URL())
			c, r := dial(t, p)
			for _, line := range []string{"hello", "second line", strings.Repeat("x", 100_000)} {
				require.Equalf(t, strings.ToUpper(line), roundTrip(t, c, r, line), "echo of %.20q", line)
			}
			assert.Equal(t, 1, p.Live(), "Live()")
			assert.Equal(t, 1, p.Accepted(), "Accepted()")
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
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	rest, err := io.ReadAll(r)
	require.NoError(t, err, "read after half close")
	assert.Equal(t, "LAST\nBYE\n", string(rest))
	eventually(t, "pair gone after both ends closed", func() bool { return p.Live() == 0 })
}

func TestCut(t *testing.T) {
	s := newEchoServer(t)
	p := newProxy(t, s.addr())
	require.Zero(t, p.Cut(), "Cut with no connection: pairs cut")
	require.Zero(t, p.Cuts(), "Cuts() after a Cut with no connection")
	c1, r1 := dial(t, p)
	c2, r2 := dial(t, p)
	roundTrip(t, c1, r1, "a")
	roundTrip(t, c2, r2, "b")
	server1 := <-s.conns
	server2 := <-s.conns

	require.Equal(t, 2, p.Cut(), "pairs cut")
	assert.Equal(t, 1, p.Cuts(), "Cuts()")
	for i, r := range []*bufio.Reader{r1, r2} {
		_, err := r.ReadString('\n')
		if assert.Errorf(t, err, "client %d after cut: want a connection reset", i+1) {
			assert.NotErrorIsf(t, err, io.EOF, "client %d after cut: want a connection reset", i+1)
			assert.Falsef(t, isTimeout(err), "client %d after cut: read error %v, want a connection reset", i+1, err)
		}
	}
	for i, sc := range []net.Conn{server1, server2} {
		sc.SetReadDeadline(time.Now().Add(waitLimit))
		_, err := sc.Read(make([]byte, 1))
		if assert.Errorf(t, err, "server side %d after cut: want the connection ended", i+1) {
			assert.Falsef(t, isTimeout(err), "server side %d after cut: read error %v, want the connection ended", i+1, err)
		}
	}
	eventually(t, "no live pair after the cut", func() bool { return p.Live() == 0 })

	c3, r3 := dial(t, p)
	assert.Equal(t, "AGAIN", roundTrip(t, c3, r3, "again"), "after cut")
	assert.Equal(t, 3, p.Accepted(), "Accepted()")
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
	require.Error(t, p.StartChaos(max, min, 1), "StartChaos with max < min")
	require.Error(t, p.StartChaos(0, max, 1), "StartChaos with min 0")
	require.NoError(t, p.StartChaos(min, max, 42))
	const want = 10
	var cutAt []time.Time
	for len(cutAt) < want {
		c, err := net.Dial("tcp", p.Addr())
		require.NoError(t, err)
		c.SetDeadline(time.Now().Add(waitLimit))
		r := bufio.NewReader(c)
		for {
			if _, err := io.WriteString(c, "ping\n"); err != nil {
				break
			}
			if _, err := r.ReadString('\n'); err != nil {
				require.Falsef(t, isTimeout(err), "no cut within %v", waitLimit)
				break
			}
		}
		cutAt = append(cutAt, time.Now())
		c.Close()
	}
	p.StopChaos()
	n := p.Cuts()
	assert.GreaterOrEqualf(t, n, want, "Cuts() after %d observed cuts", want)
	c, r := dial(t, p)
	time.Sleep(5 * max)
	assert.Equal(t, "CALM", roundTrip(t, c, r, "calm"), "after StopChaos")
	assert.Equal(t, n, p.Cuts(), "Cuts() after StopChaos")
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
	line, err := r.ReadString('\n')
	require.Truef(t, isTimeout(err), "while paused: got (%q, %v), want a timeout", line, err)
	c.SetReadDeadline(time.Now().Add(waitLimit))
	p.Resume()
	p.Resume()
	line, err = r.ReadString('\n')
	require.NoError(t, err, "after Resume")
	require.Equal(t, "STALLED\n", line, "after Resume")

	// A cut ends a paused connection at once.
	p.Pause()
	io.WriteString(c, "lost\n")
	time.Sleep(20 * time.Millisecond)
	p.Cut()
	_, err = r.ReadString('\n')
	require.Error(t, err, "cut while paused: want the connection ended")
	require.Falsef(t, isTimeout(err), "cut while paused: read error %v, want the connection ended", err)
	p.Resume()
}

func TestTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	p := newProxy(t, addr)
	// The proxy resets the connection at once; the dial itself may see it.
	c, err := net.Dial("tcp", p.Addr())
	if err == nil {
		c.SetDeadline(time.Now().Add(waitLimit))
		_, err = bufio.NewReader(c).ReadString('\n')
		c.Close()
		require.Error(t, err, "target down: want the connection ended")
		require.Falsef(t, isTimeout(err), "target down: read error %v, want the connection ended", err)
	}
	assert.Zero(t, p.Live(), "Live()")
}

// TestClose checks that Close ends every connection, stops chaos and
// leaves no goroutine behind.
func TestClose(t *testing.T) {
	s := newEchoServer(t)
	before := runtime.NumGoroutine()
	p, err := faultproxy.New(s.addr())
	require.NoError(t, err)
	c, r := dial(t, p)
	roundTrip(t, c, r, "x")
	p.Pause()
	require.NoError(t, p.StartChaos(time.Hour, time.Hour, 7))
	require.NoError(t, p.Close(), "Close")
	require.NoError(t, p.Close(), "second Close")
	_, err = r.ReadString('\n')
	if assert.Error(t, err, "after Close: want the connection ended") {
		assert.Falsef(t, isTimeout(err), "after Close: read error %v, want the connection ended", err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); !assert.Error(t, err, "dial after Close") {
		c.Close()
	}
	assert.ErrorIs(t, p.StartChaos(time.Millisecond, time.Millisecond, 1), faultproxy.ErrClosed, "StartChaos after Close")
	// The echo server's goroutine for the cut connection ends on its own.
	eventuallyHere(t, "goroutines back to the count before New", func() bool {
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
	_, err := r.ReadString('\n')
	require.Truef(t, isTimeout(err), "server closed while paused: read error %v, want a timeout", err)
	c.SetReadDeadline(time.Now().Add(waitLimit))
	p.Resume()
	_, err = r.ReadString('\n')
	require.Error(t, err, "after Resume: want the end of the connection")
	require.Falsef(t, isTimeout(err), "after Resume: read error %v, want the end of the connection", err)
}
