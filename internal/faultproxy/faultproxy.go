// Package faultproxy is a TCP proxy for tests that break the network on
// purpose: it forwards every connection it accepts on a free loopback
// port to a target address, and the test can cut all live connections at
// once, let the proxy cut them at random moments, or stall the traffic.
//
// A cut resets both halves of every connection pair (SO_LINGER 0, so the
// peers see a reset rather than an orderly end of stream) and drops
// whatever the proxy was holding: bytes that one side wrote may never
// reach the other, as when a network path fails.
//
// # Example
//
//	p, err := faultproxy.New("127.0.0.1:1883")
//	...
//	defer p.Close()
//	// connect the client to p.URL()
//	p.StartChaos(10*time.Millisecond, 100*time.Millisecond, seed)
//	...
//	p.StopChaos()
//	t.Logf("%d cuts", p.Cuts())
//
// # Concurrency
//
// Every method may be called from any goroutine. Close stops the
// acceptor, the chaos goroutine and every forwarding goroutine, and
// waits for them.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// ErrClosed is returned by calls on a closed proxy.
var ErrClosed = errors.New("faultproxy: closed")

// Proxy forwards TCP connections from its own loopback port to a target.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup // acceptor, forwarders, chaos

	mu       sync.Mutex
	pairs    map[*pair]struct{}
	closed   bool
	paused   chan struct{} // non-nil while paused; closed by Resume
	chaos    chan struct{} // closed to stop the chaos goroutine
	chaosEnd chan struct{} // closed when the chaos goroutine has returned
	cuts     int           // cuts that closed at least one pair
	accepted int
}

// pair is one proxied connection: the accepted side and the side dialed
// to the target.
type pair struct {
	client, server net.Conn
	once           sync.Once
	dead           chan struct{} // closed when the pair is torn down
}

// New starts a proxy on a free port of 127.0.0.1 forwarding to target, a
// host:port or a tcp:// or mqtt:// URL.
func New(target string) (*Proxy, error) {
	target = hostPort(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	p := &Proxy{target: target, ln: ln, pairs: make(map[*pair]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// hostPort strips a tcp:// or mqtt:// scheme and a trailing slash.
func hostPort(s string) string {
	for _, scheme := range []string{"tcp://", "mqtt://"} {
		if len(s) > len(scheme) && s[:len(scheme)] == scheme {
			s = s[len(scheme):]
			break
		}
	}
	if n := len(s); n > 0 && s[n-1] == '/' {
		s = s[:n-1]
	}
	return s
}

// Addr returns the proxy's listening address, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns "tcp://" followed by Addr, for MQTT clients.
func (p *Proxy) URL() string { return "tcp://" + p.Addr() }

// Target returns the address connections are forwarded to.
func (p *Proxy) Target() string { return p.target }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.accepted++
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// serve dials the target for an accepted connection and forwards both
// ways until either side ends or the pair is cut.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		reset(c)
		return
	}
	pr := &pair{client: c, server: s, dead: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		pr.cut()
		return
	}
	p.pairs[pr] = struct{}{}
	p.wg.Add(2)
	p.mu.Unlock()

	var ends sync.WaitGroup
	ends.Add(2)
	go p.forward(pr, s, c, &ends)
	go p.forward(pr, c, s, &ends)
	ends.Wait()
	pr.close()
	p.mu.Lock()
	delete(p.pairs, pr)
	p.mu.Unlock()
}

// forward copies src to dst. At src's end of stream it passes the end on
// (half close) and returns; on any error it tears the pair down.
func (p *Proxy) forward(pr *pair, dst, src net.Conn, ends *sync.WaitGroup) {
	defer p.wg.Done()
	defer ends.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitRunning(pr) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				pr.close()
				return
			}
		}
		if err != nil && !p.waitRunning(pr) {
			return // a stalled path passes on no end either
		}
		if errors.Is(err, io.EOF) {
			if tc, ok := dst.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			return
		}
		if err != nil {
			pr.close()
			return
		}
	}
}

// waitRunning blocks while the proxy is paused and reports false when the
// pair is torn down meanwhile.
func (p *Proxy) waitRunning(pr *pair) bool {
	for {
		p.mu.Lock()
		gate := p.paused
		p.mu.Unlock()
		if gate == nil {
			select {
			case <-pr.dead:
				return false
			default:
				return true
			}
		}
		select {
		case <-gate:
		case <-pr.dead:
			return false
		}
	}
}

// close ends the pair in an orderly way (both connections closed).
func (pr *pair) close() {
	pr.once.Do(func() {
		close(pr.dead)
		pr.client.Close()
		pr.server.Close()
	})
}

// cut ends the pair abruptly: both peers get a reset.
func (pr *pair) cut() {
	pr.once.Do(func() {
		close(pr.dead)
		reset(pr.client)
		reset(pr.server)
	})
}

// reset closes c so that its peer sees a connection reset.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// Cut resets every live connection pair at once and returns how many it
// cut. A call that finds at least one live pair counts as one cut in
// [Proxy.Cuts].
func (p *Proxy) Cut() int {
	p.mu.Lock()
	live := make([]*pair, 0, len(p.pairs))
	for pr := range p.pairs {
		live = append(live, pr)
	}
	if len(live) > 0 {
		p.cuts++
	}
	p.mu.Unlock()
	for _, pr := range live {
		pr.cut()
	}
	return len(live)
}

// Cuts returns how many cuts, by Cut or by chaos, found live connections.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Live returns how many connection pairs are being forwarded now.
func (p *Proxy) Live() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// StartChaos cuts every live connection at random moments: it waits an
// interval drawn uniformly from [min, max] by a generator seeded with
// seed, cuts, and repeats until StopChaos or Close. Waits during which no
// connection is live still pass, but do not count as cuts. Starting chaos
// again replaces the running one.
func (p *Proxy) StartChaos(min, max time.Duration, seed uint64) error {
	if min <= 0 || max < min {
		return fmt.Errorf("faultproxy: chaos interval [%v, %v] invalid", min, max)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	oldStop, oldEnd := p.chaos, p.chaosEnd
	stop, end := make(chan struct{}), make(chan struct{})
	p.chaos, p.chaosEnd = stop, end
	p.wg.Add(1)
	p.mu.Unlock()
	if oldStop != nil {
		close(oldStop)
		<-oldEnd
	}
	go func() {
		defer p.wg.Done()
		defer close(end)
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		for {
			d := min + time.Duration(rng.Int64N(int64(max-min)+1))
			t := time.NewTimer(d)
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
			}
			p.Cut()
		}
	}()
	return nil
}

// StopChaos stops random cutting, waiting for a cut in progress to end.
// It does nothing when no chaos runs.
func (p *Proxy) StopChaos() {
	p.mu.Lock()
	stop, end := p.chaos, p.chaosEnd
	p.chaos, p.chaosEnd = nil, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-end
	}
}

// Pause stalls forwarding in both directions: bytes already read wait in
// the proxy and the rest waits in the kernel's buffers, as on a network
// path that stopped delivering; an end of stream or a reset is not
// passed on either. New connections are accepted and dialed but carry
// nothing until Resume. Pausing twice is a no-op.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused == nil {
		p.paused = make(chan struct{})
	}
}

// Resume lets stalled traffic flow again.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused != nil {
		close(p.paused)
		p.paused = nil
	}
}

// Close stops accepting, stops chaos, resets every live connection and
// waits for every goroutine of the proxy. Closing twice is a no-op.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	stop, end := p.chaos, p.chaosEnd
	p.chaos, p.chaosEnd = nil, nil
	live := make([]*pair, 0, len(p.pairs))
	for pr := range p.pairs {
		live = append(live, pr)
	}
	if p.paused != nil {
		close(p.paused)
		p.paused = nil
	}
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-end
	}
	err := p.ln.Close()
	for _, pr := range live {
		pr.cut()
	}
	p.wg.Wait()
	return err
}
