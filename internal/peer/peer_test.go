package peer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// client dials a listening peer.
func client(t *testing.T, p *Peer) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.Addr(), "tcp://"), DefaultTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(DefaultTimeout))
	return c
}

func listen(t *testing.T) *Peer {
	t.Helper()
	p, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func write(t *testing.T, c net.Conn, pkt message.Packet, v message.Version) {
	t.Helper()
	if err := message.Write(c, pkt, v); err != nil {
		t.Fatal(err)
	}
}

func TestHandshake(t *testing.T) {
	for _, v := range []message.Version{message.V31, message.V311} {
		t.Run(v.String(), func(t *testing.T) {
			p := listen(t)
			c := client(t, p)
			write(t, c, &message.Connect{Version: v, ClientID: "c1", CleanSession: true, KeepAlive: 30}, v)

			cn := p.Expect(t, message.CONNECT).(*message.Connect)
			if cn.ClientID != "c1" || cn.Version != v || cn.KeepAlive != 30 {
				t.Errorf("CONNECT %+v, want client c1, version %v, keepalive 30", cn, v)
			}
			// The CONNACK is encoded for the CONNECT's version: 3.1 has no
			// session-present flag.
			if err := p.SendPacket(&message.Connack{SessionPresent: true}); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			if _, err := c.Read(buf); err != nil {
				t.Fatal(err)
			}
			want := []byte{0x20, 2, 1, 0}
			if v == message.V31 {
				want[2] = 0
			}
			if !bytes.Equal(buf, want) {
				t.Errorf("CONNACK bytes % x, want % x", buf, want)
			}
		})
	}
}

func TestReadRawAndPacketsAreKept(t *testing.T) {
	p, c := Pipe()
	defer p.Close()
	// PUBLISH QoS 1 "a/b" id 7 payload "hi", then PINGREQ.
	pub := []byte{0x32, 9, 0, 3, 'a', '/', 'b', 0, 7, 'h', 'i'}
	go func() {
		c.Write(pub)
		c.Write([]byte{0x32, 9, 0, 3, 'c', '/', 'd', 0, 8, 'y', 'o'})
		c.Write([]byte{0xc0, 0})
	}()
	raw, err := p.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, pub) {
		t.Errorf("ReadRaw % x, want % x", raw, pub)
	}
	first, err := p.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	p.Expect(t, message.PINGREQ)
	got := first.(*message.Publish)
	if got.Topic != "c/d" || string(got.Payload) != "yo" || got.PacketID != 8 || got.QoS != 1 {
		t.Errorf("PUBLISH %+v changed after the next read", got.Message)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		bytes []byte
		want  []error
	}{
		{"remaining length of 5 bytes", []byte{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}, []error{message.ErrMalformed, message.ErrRemainingLength}},
		{"reserved type 0", []byte{0x00, 0x00}, []error{message.ErrMalformed, message.ErrInvalidType}},
		{"PUBACK with packet id 0", []byte{0x40, 2, 0, 0}, []error{message.ErrMalformed, message.ErrZeroPacketID}},
		{"truncated body", []byte{0x40, 2, 0}, []error{}}, // the client then closes
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := listen(t)
			c := client(t, p)
			c.Write(tt.bytes)
			c.(*net.TCPConn).CloseWrite()
			_, err := p.ReadPacket()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %v, want one wrapping %v", err, w)
				}
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("no client", func(t *testing.T) {
		p := listen(t)
		p.SetTimeout(50 * time.Millisecond)
		if _, err := p.ReadPacket(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("ReadPacket error %v, want a deadline error", err)
		}
	})
	t.Run("silent client", func(t *testing.T) {
		p := listen(t)
		client(t, p)
		p.SetTimeout(50 * time.Millisecond)
		if _, err := p.ReadPacket(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("ReadPacket error %v, want a deadline error", err)
		}
	})
	t.Run("pipe nobody reads", func(t *testing.T) {
		p, c := Pipe()
		defer c.Close()
		p.SetTimeout(50 * time.Millisecond)
		if err := p.SendPacket(&message.Pingresp{}); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("SendPacket error %v, want a deadline error", err)
		}
	})
}

func TestWaitClosed(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		p := listen(t)
		c := client(t, p)
		c.Close()
		p.ExpectClosed(t)
	})
	t.Run("packet first", func(t *testing.T) {
		p := listen(t)
		c := client(t, p)
		write(t, c, &message.Pingreq{}, message.V311)
		if err := p.WaitClosed(); !errors.Is(err, ErrNotClosed) || !strings.Contains(err.Error(), "PINGREQ") {
			t.Errorf("WaitClosed error %v, want ErrNotClosed naming PINGREQ", err)
		}
	})
	t.Run("still open", func(t *testing.T) {
		p := listen(t)
		client(t, p)
		p.SetTimeout(50 * time.Millisecond)
		if err := p.WaitClosed(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("WaitClosed error %v, want a deadline error", err)
		}
	})
}

func TestReconnect(t *testing.T) {
	p := listen(t)
	c1 := client(t, p)
	write(t, c1, &message.Connect{Version: message.V311, ClientID: "first", CleanSession: true}, message.V311)
	p.Expect(t, message.CONNECT)

	// Drop the connection as a network failure would; the client sees it.
	if err := p.CloseConn(); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Read(make([]byte, 1)); err == nil {
		t.Fatal("client connection still open after CloseConn")
	}

	c2 := client(t, p)
	write(t, c2, &message.Connect{Version: message.V311, ClientID: "second"}, message.V311)
	if cn := p.Expect(t, message.CONNECT).(*message.Connect); cn.ClientID != "second" {
		t.Errorf("client id %q, want second", cn.ClientID)
	}

	// Accept takes the next connection and closes the current one.
	c3 := client(t, p)
	if err := p.Accept(); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Read(make([]byte, 1)); err == nil {
		t.Fatal("previous connection still open after Accept")
	}
	write(t, c3, &message.Pingreq{}, message.V311)
	p.Expect(t, message.PINGREQ)
}

func TestClosed(t *testing.T) {
	p, c := Pipe()
	defer c.Close()
	if err := p.Accept(); !errors.Is(err, ErrNoListener) {
		t.Errorf("Accept on a pipe: %v, want ErrNoListener", err)
	}
	if p.Addr() != "" {
		t.Errorf("Addr() on a pipe = %q, want \"\"", p.Addr())
	}
	p.Close()
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.ReadPacket(); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadPacket after Close: %v, want ErrClosed", err)
	}
	if err := p.Send([]byte{0xd0, 0}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
}

// fakeT records Fatalf instead of failing the real test.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a fakeT on its own goroutine, as Fatalf ends it, and
// returns the failure message or "".
func run(t *testing.T, fn func(tb testing.TB)) string {
	f := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.failed
}

func TestExpectFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		send []byte
		fn   func(p *Peer, tb testing.TB)
		want string // part of the failure, "" for success
	}{
		{"expected type", []byte{0xc0, 0}, func(p *Peer, tb testing.TB) { p.Expect(tb, message.PINGREQ) }, ""},
		{"other type", []byte{0x40, 2, 0, 5}, func(p *Peer, tb testing.TB) { p.Expect(tb, message.PINGREQ) }, "got PUBACK 5, want PINGREQ"},
		{"silence kept", nil, func(p *Peer, tb testing.TB) { p.ExpectSilence(tb, 30*time.Millisecond) }, ""},
		{"silence broken", []byte{0x62, 2, 0, 3}, func(p *Peer, tb testing.TB) { p.ExpectSilence(tb, time.Second) }, "got PUBREL 3, want nothing"},
		{"not closed", []byte{0xc0, 0}, func(p *Peer, tb testing.TB) { p.ExpectClosed(tb) }, "PINGREQ"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := listen(t)
			c := client(t, p)
			c.Write(tt.send)
			got := run(t, func(tb testing.TB) { tt.fn(p, tb) })
			if tt.want == "" && got != "" {
				t.Errorf("failed with %q, want success", got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("failure %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestSilenceKeepsConnectionUsable(t *testing.T) {
	p := listen(t)
	c := client(t, p)
	p.ExpectSilence(t, 20*time.Millisecond)
	write(t, c, &message.Pingreq{}, message.V311)
	p.Expect(t, message.PINGREQ)
	if err := p.SendPacket(&message.Pingresp{}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := c.Read(buf); err != nil || !bytes.Equal(buf, []byte{0xd0, 0}) {
		t.Errorf("client read % x, %v; want d0 00", buf, err)
	}
}
