package client_test

import (
	"net"
	"sync"
	"testing"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// This file keeps the former names of the scripted-peer helpers for the
// two test files that still use them:
//
//	keepalive_test.go: connectPeer, pc.expect, pc.send, pc.expectClosed
//	ws_test.go:        peerConn made as a literal, pc.handshake, pc.expect
//
// Every name here is a call into internal/peer's Conn, which does all the
// reading and writing. Moving a file off it is mechanical:
//
//	connectPeer       -> connectScripted
//	*peerConn         -> *peer.Conn (ws_test.go: peer.NewConn(t, nc))
//	pc.expect(typ)    -> pc.Expect(typ)
//	pc.expectClosed() -> pc.SkipToClose()
//	pc.send           -> pc.Send
//	pc.handshake      -> pc.Handshake
//
// Delete the file when no test uses these names.

// peerConn is a client connection seen from the scripted peer, under its
// former name. Made as a literal from t and nc, it wraps nc in a
// peer.Conn on first use; r is not read.
type peerConn struct {
	t  testing.TB
	nc net.Conn
	r  *message.Reader

	once sync.Once
	c    *peer.Conn
}

func (pc *peerConn) conn() *peer.Conn {
	pc.once.Do(func() {
		if pc.c == nil {
			pc.c = peer.NewConn(pc.t, pc.nc)
		}
	})
	return pc.c
}

// connectPeer is connectScripted under its former name.
func connectPeer(t testing.TB, opts ...client.Option) (*client.Client, *peerConn) {
	t.Helper()
	c, pc := connectScripted(t, opts...)
	return c, &peerConn{t: t, nc: pc.NetConn(), c: pc}
}

func (pc *peerConn) expect(typ message.Type) message.Packet {
	pc.t.Helper()
	return pc.conn().Expect(typ)
}

func (pc *peerConn) expectClosed() {
	pc.t.Helper()
	pc.conn().SkipToClose()
}

func (pc *peerConn) send(p message.Packet) {
	pc.t.Helper()
	pc.conn().Send(p)
}

func (pc *peerConn) handshake(code message.ConnackCode) *message.Connect {
	pc.t.Helper()
	return pc.conn().Handshake(code)
}
