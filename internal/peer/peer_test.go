package peer

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// client dials a listening peer.
func client(t *testing.T, p *Peer) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.Addr(), "tcp://"), DefaultTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(DefaultTimeout))
	return c
}

func listen(t *testing.T) *Peer {
	t.Helper()
	p, err := Listen()
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func send(t *testing.T, c net.Conn, pkt message.Packet, v message.Version) {
	t.Helper()
	require.NoError(t, message.Write(c, pkt, v))
}

// receive reads one packet on the client's side of a connection.
func receive(t *testing.T, c net.Conn, v message.Version) message.Packet {
	t.Helper()
	pkt, err := message.NewReader(bufio.NewReader(c), v, 0).ReadPacket()
	require.NoError(t, err)
	return pkt
}

func TestHandshake(t *testing.T) {
	for _, v := range []message.Version{message.V31, message.V311} {
		t.Run(v.String(), func(t *testing.T) {
			p := listen(t)
			c := client(t, p)
			send(t, c, &message.Connect{Version: v, ClientID: "c1", CleanSession: true, KeepAlive: 30}, v)

			cn := p.Expect(t, message.CONNECT).(*message.Connect)
			assert.Equal(t, "c1", cn.ClientID)
			assert.Equal(t, v, cn.Version)
			assert.Equal(t, uint16(30), cn.KeepAlive)
			// The CONNACK is encoded for the CONNECT's version: 3.1 has no
			// session-present flag.
			require.NoError(t, p.SendPacket(&message.Connack{SessionPresent: true}))
			buf := make([]byte, 4)
			_, err := c.Read(buf)
			require.NoError(t, err)
			want := []byte{0x20, 2, 1, 0}
			if v == message.V31 {
				want[2] = 0
			}
			assert.Equal(t, want, buf, "CONNACK bytes")
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
	require.NoError(t, err)
	assert.Equal(t, pub, raw, "ReadRaw")
	first, err := p.ReadPacket()
	require.NoError(t, err)
	p.Expect(t, message.PINGREQ)
	got := first.(*message.Publish)
	assert.Equal(t, "c/d", got.Topic, "PUBLISH changed after the next read")
	assert.Equal(t, "yo", string(got.Payload))
	assert.Equal(t, uint16(8), got.PacketID)
	assert.Equal(t, message.QoS1, got.QoS)
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
			require.Error(t, err)
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("no client", func(t *testing.T) {
		p := listen(t)
		p.SetTimeout(50 * time.Millisecond)
		_, err := p.ReadPacket()
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("silent client", func(t *testing.T) {
		p := listen(t)
		client(t, p)
		p.SetTimeout(50 * time.Millisecond)
		_, err := p.ReadPacket()
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("pipe nobody reads", func(t *testing.T) {
		p, c := Pipe()
		defer c.Close()
		p.SetTimeout(50 * time.Millisecond)
		assert.ErrorIs(t, p.SendPacket(&message.Pingresp{}), os.ErrDeadlineExceeded)
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
		send(t, c, &message.Pingreq{}, message.V311)
		err := p.WaitClosed()
		assert.ErrorIs(t, err, ErrNotClosed)
		assert.ErrorContains(t, err, "PINGREQ")
	})
	t.Run("still open", func(t *testing.T) {
		p := listen(t)
		client(t, p)
		p.SetTimeout(50 * time.Millisecond)
		assert.ErrorIs(t, p.WaitClosed(), os.ErrDeadlineExceeded)
	})
}

func TestReconnect(t *testing.T) {
	p := listen(t)
	c1 := client(t, p)
	send(t, c1, &message.Connect{Version: message.V311, ClientID: "first", CleanSession: true}, message.V311)
	p.Expect(t, message.CONNECT)

	// Drop the connection as a network failure would; the client sees it.
	require.NoError(t, p.CloseConn())
	_, err := c1.Read(make([]byte, 1))
	require.Error(t, err, "client connection still open after CloseConn")

	c2 := client(t, p)
	send(t, c2, &message.Connect{Version: message.V311, ClientID: "second"}, message.V311)
	cn := p.Expect(t, message.CONNECT).(*message.Connect)
	assert.Equal(t, "second", cn.ClientID)

	// Accept takes the next connection and closes the current one.
	c3 := client(t, p)
	require.NoError(t, p.Accept())
	_, err = c2.Read(make([]byte, 1))
	require.Error(t, err, "previous connection still open after Accept")
	send(t, c3, &message.Pingreq{}, message.V311)
	p.Expect(t, message.PINGREQ)
}

func TestClosed(t *testing.T) {
	p, c := Pipe()
	defer c.Close()
	assert.ErrorIs(t, p.Accept(), ErrNoListener, "Accept on a pipe")
	assert.Empty(t, p.Addr(), "Addr on a pipe")
	p.Close()
	assert.NoError(t, p.Close(), "second Close")
	_, err := p.ReadPacket()
	assert.ErrorIs(t, err, ErrClosed, "ReadPacket after Close")
	assert.ErrorIs(t, p.Send([]byte{0xd0, 0}), ErrClosed, "Send after Close")
}

// fakeT records a failure instead of failing the real test.
type fakeT struct {
	testing.TB
	mu     sync.Mutex
	failed string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed += fmt.Sprintf(format, args...)
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeT) FailNow() { runtime.Goexit() }

func (f *fakeT) Logf(string, ...any) {}

func (f *fakeT) message() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// run calls fn with a fakeT on its own goroutine, as a failure ends it,
// and returns the failure message or "".
func run(t *testing.T, fn func(tb testing.TB)) string {
	f := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.message()
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
			if tt.want == "" {
				assert.Empty(t, got, "want success")
			} else {
				assert.Contains(t, got, tt.want)
			}
		})
	}
}

func TestSilenceKeepsConnectionUsable(t *testing.T) {
	p := listen(t)
	c := client(t, p)
	p.ExpectSilence(t, 20*time.Millisecond)
	send(t, c, &message.Pingreq{}, message.V311)
	p.Expect(t, message.PINGREQ)
	require.NoError(t, p.SendPacket(&message.Pingresp{}))
	buf := make([]byte, 2)
	_, err := c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xd0, 0}, buf)
}

func TestOpenClosesWhenTheTestEnds(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		p := Open(t)
		addr = strings.TrimPrefix(p.Addr(), "tcp://")
		require.NotEmpty(t, addr)
		client(t, p)
	})
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the listener of a finished test still accepts")
}

// TestNextKeepsEachConnection: Next hands out the client's connections
// in turn, each its own Conn; taking one leaves the others open.
func TestNextKeepsEachConnection(t *testing.T) {
	p := Open(t)
	c1 := client(t, p)
	a := p.Next(t)
	c2 := client(t, p)
	b := p.Next(t)

	send(t, c2, &message.Pingreq{}, message.V311)
	send(t, c1, &message.Disconnect{}, message.V311)
	b.Expect(message.PINGREQ)
	a.Expect(message.DISCONNECT)

	b.Send(&message.Pingresp{})
	assert.Equal(t, message.PINGRESP, receive(t, c2, message.V311).Type())
	a.SendRaw(0xd0, 0)
	assert.Equal(t, message.PINGRESP, receive(t, c1, message.V311).Type(), "the first connection closed by the second Next")

	require.NoError(t, a.Close())
	_, err := c1.Read(make([]byte, 1))
	require.Error(t, err, "client connection still open after Close")
	send(t, c2, &message.Pingreq{}, message.V311)
	b.Expect(message.PINGREQ)
}

func TestNextFailsWithoutConnection(t *testing.T) {
	p := Open(t)
	p.SetTimeout(50 * time.Millisecond)
	got := run(t, func(tb testing.TB) { p.Next(tb) })
	assert.Contains(t, got, "no connection")
	assert.Contains(t, got, "i/o timeout")
}

func TestExpectNoConnection(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		p := Open(t)
		assert.Empty(t, run(t, func(tb testing.TB) { p.ExpectNoConnection(tb, 30*time.Millisecond) }))
	})
	t.Run("one", func(t *testing.T) {
		p := Open(t)
		client(t, p)
		assert.Contains(t, run(t, func(tb testing.TB) { p.ExpectNoConnection(tb, time.Second) }), "a connection came")
	})
	t.Run("closed", func(t *testing.T) {
		p := Open(t)
		p.Close()
		assert.Contains(t, run(t, func(tb testing.TB) { p.ExpectNoConnection(tb, time.Second) }), "want no connection")
	})
}

// TestConnVersion: a Conn decodes and encodes in 3.1.1 until a CONNECT
// says otherwise, and in the CONNECT's version afterwards.
func TestConnVersion(t *testing.T) {
	for _, v := range []message.Version{message.V31, message.V311, message.V5} {
		t.Run(v.String(), func(t *testing.T) {
			p := Open(t)
			c := client(t, p)
			pc := p.Next(t)
			assert.Equal(t, message.V311, pc.Version())
			send(t, c, &message.Connect{Version: v, ClientID: "c", CleanSession: true}, v)
			cn := pc.Handshake(message.Accepted)
			assert.Equal(t, "c", cn.ClientID)
			assert.Equal(t, v, pc.Version())
			ack := receive(t, c, v).(*message.Connack)
			assert.Equal(t, message.Accepted, ack.ReturnCode)

			pc.Send(&message.Puback{PacketID: 4})
			assert.Equal(t, uint16(4), PacketID(receive(t, c, v)))
		})
	}
}

func TestConnHandshakeCodes(t *testing.T) {
	t.Run("refused at 5.0", func(t *testing.T) {
		p := Open(t)
		c := client(t, p)
		pc := p.Next(t)
		send(t, c, &message.Connect{Version: message.V5, ClientID: "c"}, message.V5)
		pc.Handshake(0x87)
		ack := receive(t, c, message.V5).(*message.Connack)
		assert.Equal(t, message.ConnackCode(0x87), ack.ReturnCode)
	})
	t.Run("refused at 3.1.1", func(t *testing.T) {
		p := Open(t)
		c := client(t, p)
		pc := p.Next(t)
		send(t, c, &message.Connect{Version: message.V311, ClientID: "c"}, message.V311)
		pc.Handshake(message.RefusedNotAuthorized)
		raw := make([]byte, 4)
		_, err := c.Read(raw)
		require.NoError(t, err)
		assert.Equal(t, []byte{0x20, 2, 0, 5}, raw)
	})
	t.Run("5.0 with properties", func(t *testing.T) {
		p := Open(t)
		c := client(t, p)
		pc := p.Next(t)
		send(t, c, &message.Connect{Version: message.V5, ClientID: "c"}, message.V5)
		props := &message.Properties{AssignedClientID: "given", ReceiveMaximum: message.Some[uint16](3)}
		pc.Handshake5(props)
		ack := receive(t, c, message.V5).(*message.Connack)
		require.NotNil(t, ack.Properties)
		assert.Equal(t, "given", ack.Properties.AssignedClientID)
		assert.Equal(t, message.Some[uint16](3), ack.Properties.ReceiveMaximum)
	})
	t.Run("Handshake5 refuses 3.1.1", func(t *testing.T) {
		p := Open(t)
		c := client(t, p)
		send(t, c, &message.Connect{Version: message.V311, ClientID: "c"}, message.V311)
		got := run(t, func(tb testing.TB) { p.Next(tb).Handshake5(nil) })
		assert.Contains(t, got, "CONNECT version")
	})
	t.Run("HandshakeWith", func(t *testing.T) {
		p := Open(t)
		c := client(t, p)
		pc := p.Next(t)
		send(t, c, &message.Connect{Version: message.V5, ClientID: "c"}, message.V5)
		pc.HandshakeWith(&message.Connack{SessionPresent: true,
			Properties: &message.Properties{ReasonString: "welcome back"}})
		ack := receive(t, c, message.V5).(*message.Connack)
		assert.Equal(t, message.Accepted, ack.ReturnCode)
		assert.True(t, ack.SessionPresent)
		assert.Equal(t, "welcome back", ack.Properties.ReasonString)
	})
}

// conn returns a Conn taken by a listening peer and the client's end.
func conn(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	p := Open(t)
	c := client(t, p)
	return p.Next(t), c
}

func TestConnExpectFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		send []byte
		fn   func(pc *Conn)
		want string // part of the failure, "" for success
	}{
		{"expected type", []byte{0xc0, 0}, func(pc *Conn) { pc.Expect(message.PINGREQ) }, ""},
		{"other type", []byte{0x40, 2, 0, 5}, func(pc *Conn) { pc.Expect(message.PINGREQ) }, "got PUBACK 5, want PINGREQ"},
		{"any", []byte{0x40, 2, 0, 5}, func(pc *Conn) { pc.ExpectAny() }, ""},
		{"any, none", nil, func(pc *Conn) { pc.SetTimeout(30 * time.Millisecond); pc.ExpectAny() }, "want a packet"},
		{"ack", []byte{0x40, 2, 0, 5}, func(pc *Conn) { pc.ExpectAck(message.PUBACK, 5) }, ""},
		{"ack for another id", []byte{0x40, 2, 0, 5}, func(pc *Conn) { pc.ExpectAck(message.PUBACK, 6) }, "packet identifier of PUBACK"},
		{"ack of another type", []byte{0x50, 2, 0, 5}, func(pc *Conn) { pc.ExpectAck(message.PUBACK, 5) }, "got PUBREC 5, want PUBACK"},
		{"publish", []byte{0x30, 3, 0, 1, 'a'}, func(pc *Conn) { pc.ExpectPublish() }, ""},
		{"publish, got ping", []byte{0xc0, 0}, func(pc *Conn) { pc.ExpectPublish() }, "got PINGREQ, want PUBLISH"},
		{"silence kept", nil, func(pc *Conn) { pc.ExpectSilence(30 * time.Millisecond) }, ""},
		{"silence broken", []byte{0x62, 2, 0, 3}, func(pc *Conn) { pc.ExpectSilence(time.Second) }, "got PUBREL 3, want nothing"},
		{"silence broken by half a packet", []byte{0x62, 2}, func(pc *Conn) { pc.ExpectSilence(100 * time.Millisecond) }, "start of a packet"},
		{"not closed", []byte{0xc0, 0}, func(pc *Conn) { pc.ExpectClosed() }, "PINGREQ"},
		{"still open", nil, func(pc *Conn) { pc.SetTimeout(30 * time.Millisecond); pc.SkipToClose() }, "still open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := Open(t)
			c := client(t, p)
			c.Write(tt.send)
			got := run(t, func(tb testing.TB) { tt.fn(p.Next(tb)) })
			if tt.want == "" {
				assert.Empty(t, got, "want success")
			} else {
				assert.Contains(t, got, tt.want)
			}
		})
	}
}

func TestConnExpectPublish(t *testing.T) {
	pc, c := conn(t)
	send(t, c, &message.Publish{Message: message.Message{Topic: "a/b", Payload: []byte("x"), QoS: message.QoS2, PacketID: 9}}, message.V311)
	pub := pc.ExpectPublish()
	assert.Equal(t, "a/b", pub.Topic)
	assert.Equal(t, []byte("x"), pub.Payload)
	assert.Equal(t, uint16(9), PacketID(pub))
}

func TestConnClosed(t *testing.T) {
	t.Run("strict", func(t *testing.T) {
		pc, c := conn(t)
		c.Close()
		pc.ExpectClosed()
	})
	t.Run("skipping packets", func(t *testing.T) {
		pc, c := conn(t)
		send(t, c, &message.Pingreq{}, message.V311)
		send(t, c, &message.Disconnect{}, message.V311)
		c.Close()
		before := pc.SkipToClose()
		require.Len(t, before, 2)
		assert.Equal(t, message.PINGREQ, before[0].Type())
		assert.Equal(t, message.DISCONNECT, before[1].Type())
	})
	t.Run("closed by the peer", func(t *testing.T) {
		pc, c := conn(t)
		require.NoError(t, pc.Close())
		_, err := c.Read(make([]byte, 1))
		require.Error(t, err)
		_, err = pc.ReadPacket()
		assert.ErrorIs(t, err, net.ErrClosed)
	})
}

func TestConnReadWithin(t *testing.T) {
	pc, c := conn(t)
	_, err := pc.ReadWithin(20 * time.Millisecond)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	// A timeout before the first byte leaves the stream usable.
	send(t, c, &message.Pingreq{}, message.V311)
	pkt, err := pc.ReadWithin(DefaultTimeout)
	require.NoError(t, err)
	assert.Equal(t, message.PINGREQ, pkt.Type())

	c.Write([]byte{0x40, 2, 0, 0}) // PUBACK with packet id 0
	_, err = pc.ReadPacket()
	assert.ErrorIs(t, err, message.ErrMalformed)
}

func TestConnRaw(t *testing.T) {
	pc, c := conn(t)
	pub := []byte{0x32, 9, 0, 3, 'a', '/', 'b', 0, 7, 'h', 'i'}
	c.Write(pub)
	raw, err := pc.ReadRaw()
	require.NoError(t, err)
	assert.Equal(t, pub, raw)

	pc.SendRaw(0x40, 2, 0, 7)
	got := make([]byte, 4)
	_, err = c.Read(got)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x40, 2, 0, 7}, got)
	assert.Same(t, pc.NetConn(), pc.nc)
}

// TestConnSetVersion: a Conn set to 5.0 without a CONNECT decodes and
// encodes 5.0 packets, properties included.
func TestConnSetVersion(t *testing.T) {
	pc, c := conn(t)
	pc.SetVersion(message.V5)
	assert.Equal(t, message.V5, pc.Version())
	pc.Send(&message.Disconnect{ReasonCode: 0x8e})
	d := receive(t, c, message.V5).(*message.Disconnect)
	assert.Equal(t, message.ReasonCode(0x8e), d.ReasonCode)

	send(t, c, &message.Puback{PacketID: 2, ReasonCode: 0x10, Properties: &message.Properties{ReasonString: "why"}}, message.V5)
	ack := pc.ExpectAck(message.PUBACK, 2).(*message.Puback)
	assert.Equal(t, message.ReasonCode(0x10), ack.ReasonCode)
	assert.Equal(t, "why", ack.Properties.ReasonString)
}

func TestNewConnClosesWhenTheTestEnds(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	t.Run("inner", func(t *testing.T) {
		pc := NewConn(t, a)
		go b.Write([]byte{0xc0, 0})
		pc.Expect(message.PINGREQ)
	})
	b.SetDeadline(time.Now().Add(DefaultTimeout))
	_, err := b.Read(make([]byte, 1))
	require.Error(t, err)
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the Conn of a finished test is still open")
}

func TestPacketID(t *testing.T) {
	for _, tt := range []struct {
		pkt  message.Packet
		want uint16
	}{
		{&message.Publish{Message: message.Message{QoS: message.QoS1, PacketID: 1}}, 1},
		{&message.Puback{PacketID: 2}, 2},
		{&message.Pubrec{PacketID: 3}, 3},
		{&message.Pubrel{PacketID: 4}, 4},
		{&message.Pubcomp{PacketID: 5}, 5},
		{&message.Subscribe{PacketID: 6}, 6},
		{&message.Suback{PacketID: 7}, 7},
		{&message.Unsubscribe{PacketID: 8}, 8},
		{&message.Unsuback{PacketID: 9}, 9},
		{&message.Pingreq{}, 0},
	} {
		assert.Equal(t, tt.want, PacketID(tt.pkt), "%v", tt.pkt.Type())
	}
}
