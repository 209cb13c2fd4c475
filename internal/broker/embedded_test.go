package broker

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/internal/certs"
	"github.com/onmqtt/onmqtt/message"
)

func startEmbedded(t *testing.T, opts EmbeddedOptions) *Embedded {
	t.Helper()
	e, err := StartEmbedded(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newCerts(t *testing.T) *certs.Set {
	t.Helper()
	set, err := certs.New()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestEmbeddedListeners(t *testing.T) {
	set := newCerts(t)
	e := startEmbedded(t, EmbeddedOptions{
		WebSocket:       true,
		Unix:            true,
		TLS:             set.ServerTLS(false),
		SecureWebSocket: true,
	})
	for _, tt := range []struct {
		name string
		url  string
		tls  *tls.Config
	}{
		{"tcp", e.Addr(), nil},
		{"websocket", e.WSAddr(), nil},
		{"unix", e.UnixAddr(), nil},
		{"tls", e.TLSAddr(), set.ClientTLS(false)},
		{"secure websocket", e.WSSAddr(), set.ClientTLS(false)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.url == "" {
				t.Fatal("no address")
			}
			c := dialRaw(t, tt.url, tt.tls)
			c.mustConnect("listener-" + strings.ReplaceAll(tt.name, " ", "-"))
			c.roundTrip("test/" + strings.ReplaceAll(tt.name, " ", "/"))
		})
	}
}

func TestEmbeddedAddresses(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{})
	if !strings.HasPrefix(e.Addr(), "tcp://127.0.0.1:") || strings.HasSuffix(e.Addr(), ":0") {
		t.Errorf("Addr() = %q, want tcp://127.0.0.1:port", e.Addr())
	}
	for name, got := range map[string]string{
		"WSAddr": e.WSAddr(), "WSSAddr": e.WSSAddr(), "TLSAddr": e.TLSAddr(), "UnixAddr": e.UnixAddr(),
	} {
		if got != "" {
			t.Errorf("%s() = %q without the listener, want \"\"", name, got)
		}
	}
	if _, err := StartEmbedded(EmbeddedOptions{SecureWebSocket: true}); err == nil {
		t.Error("SecureWebSocket without TLS: no error")
	}
}

func TestEmbeddedMutualTLS(t *testing.T) {
	set := newCerts(t)
	e := startEmbedded(t, EmbeddedOptions{TLS: set.ServerTLS(true)})

	c := dialRaw(t, e.TLSAddr(), set.ClientTLS(true))
	c.mustConnect("with-cert")

	if err := tryConnect(t, e.TLSAddr(), set.ClientTLS(false)); err == nil {
		t.Fatal("connected without a client certificate")
	}
}

func TestEmbeddedUsers(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{Users: map[string]string{"alice": "secret", "bob": "x"}})
	for _, tt := range []struct {
		name string
		cn   message.Connect
		want message.ConnackCode
	}{
		{"right password", message.Connect{UsernameFlag: true, Username: "alice", PasswordFlag: true, Password: []byte("secret")}, message.Accepted},
		{"other user", message.Connect{UsernameFlag: true, Username: "bob", PasswordFlag: true, Password: []byte("x")}, message.Accepted},
		{"wrong password", message.Connect{UsernameFlag: true, Username: "alice", PasswordFlag: true, Password: []byte("guess")}, message.RefusedNotAuthorized},
		{"no password", message.Connect{UsernameFlag: true, Username: "alice"}, message.RefusedNotAuthorized},
		{"unknown user", message.Connect{UsernameFlag: true, Username: "carol", PasswordFlag: true, Password: []byte("secret")}, message.RefusedNotAuthorized},
		{"anonymous", message.Connect{}, message.RefusedNotAuthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, e.Addr(), nil)
			tt.cn.ClientID, tt.cn.CleanSession = "user-test", true
			ack := c.connect(tt.cn)
			if ack.ReturnCode != tt.want {
				t.Fatalf("CONNACK %v, want %v", ack.ReturnCode, tt.want)
			}
			if tt.want != message.Accepted {
				c.expectClosed()
			}
		})
	}
}

func TestEmbeddedDenyFilters(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{DenyFilters: []string{"secret/#", "private"}})
	c := dialRaw(t, e.Addr(), nil)
	c.mustConnect("acl")

	filters := []string{"secret/#", "secret/+", "secret/a/b", "secret", "private", "public/#", "#", "privateer"}
	want := []message.SubackCode{0x80, 0x80, 0x80, 0x80, 0x80, 1, 1, 1}
	got := c.subscribe(7, filters...)
	if len(got) != len(want) {
		t.Fatalf("SUBACK has %d codes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("SUBACK for %q = %v, want %v", filters[i], got[i], want[i])
		}
	}

	// A QoS 1 publication to a denied topic ends an MQTT 3 connection.
	c.send(&message.Publish{Message: message.Message{Topic: "secret/x", QoS: message.QoS1, PacketID: 9}})
	c.expectClosed()
}

func TestEmbeddedPublish(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{})
	c := dialRaw(t, e.Addr(), nil)
	c.mustConnect("inline")
	if got := c.subscribe(1, "from/broker"); got[0] != 1 {
		t.Fatalf("SUBACK %v", got)
	}
	if err := e.Publish("from/broker", []byte("hi"), false, 1); err != nil {
		t.Fatal(err)
	}
	p := c.expect(message.PUBLISH).(*message.Publish)
	if p.Topic != "from/broker" || string(p.Payload) != "hi" || p.QoS != 1 {
		t.Errorf("got %q %q QoS %d, want from/broker \"hi\" QoS 1", p.Topic, p.Payload, p.QoS)
	}
}

func TestEmbeddedRestart(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{WebSocket: true, Unix: true})
	addrs := []string{e.Addr(), e.WSAddr(), e.UnixAddr()}

	var before []*rawClient
	for i, a := range addrs {
		c := dialRaw(t, a, nil)
		ack := c.connect(message.Connect{ClientID: "persistent-" + string(rune('a'+i)), KeepAlive: 30})
		if ack.ReturnCode != message.Accepted || ack.SessionPresent {
			t.Fatalf("first CONNACK %+v, want accepted without session", ack)
		}
		c.subscribe(1, "keep/me")
		before = append(before, c)
	}

	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	for i, c := range before {
		c.expectClosed()
		if got := []string{e.Addr(), e.WSAddr(), e.UnixAddr()}[i]; got != addrs[i] {
			t.Errorf("address after restart %q, want %q", got, addrs[i])
		}
	}
	for i, a := range addrs {
		c := dialRaw(t, a, nil)
		ack := c.connect(message.Connect{ClientID: "persistent-" + string(rune('a'+i)), KeepAlive: 30})
		if ack.ReturnCode != message.Accepted || ack.SessionPresent {
			t.Errorf("%s: CONNACK after restart %+v, want accepted, no session present", a, ack)
		}
	}
}

func TestEmbeddedCloseTwice(t *testing.T) {
	e, err := StartEmbedded(EmbeddedOptions{Unix: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := e.Restart(); err == nil {
		t.Error("Restart after Close: no error")
	}
	if _, err := net.Dial("unix", e.UnixPath()); err == nil {
		t.Error("unix socket still accepts after Close")
	}
}

func TestEmbeddedLogger(t *testing.T) {
	var buf syncBuffer
	e := startEmbedded(t, EmbeddedOptions{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	c := dialRaw(t, e.Addr(), nil)
	c.mustConnect("logged")
	e.Close()
	if !strings.Contains(buf.String(), "mochi mqtt") {
		t.Errorf("log %q does not mention mochi", buf.String())
	}
}

// TestEmbeddedCloseLeaksNothing starts a broker with every listener and a
// client on each, one of them silent before CONNECT, and checks that
// Close leaves no goroutine behind.
func TestEmbeddedCloseLeaksNothing(t *testing.T) {
	set := newCerts(t)
	start := runtime.NumGoroutine()

	e, err := StartEmbedded(EmbeddedOptions{
		WebSocket: true, Unix: true, TLS: set.ServerTLS(false), SecureWebSocket: true,
		Users: map[string]string{"u": "p"}, DenyFilters: []string{"x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url string
		tls *tls.Config
	}{
		{e.Addr(), nil}, {e.WSAddr(), nil}, {e.UnixAddr(), nil},
		{e.TLSAddr(), set.ClientTLS(false)}, {e.WSSAddr(), set.ClientTLS(false)},
	} {
		c := dialRaw(t, tt.url, tt.tls)
		c.connect(message.Connect{Version: message.V311, ClientID: "leak", KeepAlive: 60,
			UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("p")})
		c.subscribe(1, "a/#")
	}
	silent, err := net.Dial("tcp", strings.TrimPrefix(e.Addr(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	silent2, err := net.Dial("tcp", strings.TrimPrefix(e.Addr(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent2.Close()

	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(timeout):
		t.Fatal("Close blocked on a connection that never sent CONNECT")
	}

	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > start {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), start, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the broker's logging goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
