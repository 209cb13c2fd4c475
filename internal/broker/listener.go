package broker

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Listener kinds, reported by listener.Protocol.
const (
	kindTCP  = "tcp"
	kindTLS  = "tls"
	kindUnix = "unix"
	kindWS   = "ws"
	kindWSS  = "wss"
)

// listener is a mochi listeners.Listener over a socket this package binds
// itself. Binding first lets a broker on port 0 report its real address
// before it serves (mochi's own WebSocket listener binds only inside
// Serve), and tracking every accepted connection lets Close end the ones
// that never sent CONNECT, which mochi would otherwise wait for forever.
type listener struct {
	id   string
	kind string
	ln   net.Listener
	tls  *tls.Config // for kindTLS and kindWSS
	log  *slog.Logger

	mu      sync.Mutex
	closed  bool
	conns   map[*trackedConn]struct{}
	serving map[net.Conn]chan struct{} // closed when mochi is done with the connection
	http    *http.Server
	wg      sync.WaitGroup // Serve itself and every connection being served
}

var _ listeners.Listener = (*listener)(nil)

func newListener(id, kind string, ln net.Listener, tlsConf *tls.Config) *listener {
	return &listener{id: id, kind: kind, ln: ln, tls: tlsConf,
		conns: make(map[*trackedConn]struct{}), serving: make(map[net.Conn]chan struct{})}
}

// Init records mochi's logger; the socket is already bound.
func (l *listener) Init(log *slog.Logger) error {
	l.log = log
	return nil
}

// ID returns the listener's identifier within the server.
func (l *listener) ID() string { return l.id }

// Address returns the bound address.
func (l *listener) Address() string { return l.ln.Addr().String() }

// Protocol returns the listener kind.
func (l *listener) Protocol() string { return l.kind }

// enter counts one more goroutine in the listener's wait group, or
// reports false once Close has begun.
func (l *listener) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	return true
}

// Serve accepts connections until Close and hands each one to establish.
func (l *listener) Serve(establish listeners.EstablishFn) {
	if !l.enter() {
		return
	}
	defer l.wg.Done()
	ln := net.Listener(&trackingListener{Listener: l.ln, l: l})

	if l.kind == kindWS || l.kind == kindWSS {
		if l.kind == kindWSS {
			ln = tls.NewListener(ln, l.tls)
		}
		srv := &http.Server{
			Handler:           &wsHandler{l: l, establish: establish},
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(l.log.Handler(), slog.LevelDebug),
		}
		l.mu.Lock()
		l.http = srv
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return
		}
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !l.isClosed() {
			l.log.Warn("websocket listener stopped", "error", err)
		}
		return
	}

	for {
		c, err := ln.Accept()
		if err != nil {
			if !l.isClosed() {
				l.log.Warn("listener stopped", "error", err)
			}
			return
		}
		if !l.enter() {
			c.Close()
			return
		}
		go func() {
			defer l.wg.Done()
			conn := c
			if l.kind == kindTLS {
				conn = tls.Server(c, l.tls)
			}
			l.establish(establish, conn)
		}()
	}
}

// establish hands conn to mochi, which serves it until it ends and has
// finished with the client's session, and then closes conn.
func (l *listener) establish(establish listeners.EstablishFn, conn net.Conn) {
	done := make(chan struct{})
	l.mu.Lock()
	l.serving[conn] = done
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.serving, conn)
		l.mu.Unlock()
		close(done)
	}()
	if err := establish(l.id, conn); err != nil {
		l.log.Debug("connection ended", "error", err)
	}
	conn.Close()
}

// served returns the channel closed when mochi is done with conn, or nil
// when conn is not one of this listener's.
func (l *listener) served(conn net.Conn) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if done, ok := l.serving[conn]; ok {
		return done
	}
	return nil
}

func (l *listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Close stops accepting, closes every connection, waits for all the
// listener's goroutines, and only then asks mochi to close the clients of
// the listener, of which none is left. The order matters: mochi's
// Clients.GetByListener takes the clients lock for reading twice, and
// deadlocks if a connection ending meanwhile asks for it for writing.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	srv := l.http
	l.mu.Unlock()

	l.ln.Close()
	if srv != nil {
		srv.Close()
	}

	l.mu.Lock()
	open := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		open = append(open, c)
	}
	l.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
	l.wg.Wait()
	closeClients(l.id)
}

// trackingListener registers every accepted connection with its listener.
type trackingListener struct {
	net.Listener
	l *listener
}

func (t *trackingListener) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: t.l}
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	if t.l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	t.l.conns[tc] = struct{}{}
	return tc, nil
}

// trackedConn removes itself from its listener's set when closed.
type trackedConn struct {
	net.Conn
	l    *listener
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return err
}

// wsHandler upgrades HTTP requests on any path to WebSocket connections
// and serves MQTT over them.
type wsHandler struct {
	l         *listener
	establish listeners.EstablishFn
}

// wsUpgrader accepts the "mqtt" subprotocol of MQTT 3.1.1 and later, and
// the "mqttv3.1" name some MQTT 3.1 clients send. Any origin is allowed.
var wsUpgrader = websocket.Upgrader{
	Subprotocols: []string{"mqtt", "mqttv3.1"},
	CheckOrigin:  func(*http.Request) bool { return true },
}

func (h *wsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.l.enter() {
		http.Error(w, "broker closing", http.StatusServiceUnavailable)
		return
	}
	defer h.l.wg.Done()
	ws, err := wsUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the request
	}
	h.l.establish(h.establish, newWSConn(ws))
}
