package client_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// This file keeps the former names of the scripted-peer helpers for the
// test files that still use them: dispatch_test.go, flow_test.go,
// keepalive_test.go, protocol_test.go, qos2_test.go, store_v5_test.go,
// subscribe_test.go and ws_test.go. Every name here is a call into internal/peer's Conn, which
// does all the reading and writing. Moving a file off it is mechanical:
//
//	connectPeer       -> connectScripted
//	newPeer(t)        -> peer.Open(t)
//	connectTo5        -> connectScriptedTo5
//	*peerConn         -> *peer.Conn (ws_test.go: peer.NewConn(t, nc))
//	pc.read(d)        -> pc.ReadWithin(d)
//	pc.expect(typ)    -> pc.Expect(typ)
//	pc.expectAck      -> pc.ExpectAck
//	pc.expectPublish  -> pc.ExpectPublish (now a *message.Publish)
//	pc.expectNone(d)  -> pc.ExpectSilence(d)
//	pc.expectClosed() -> pc.SkipToClose()
//	pc.send, sendRaw  -> pc.Send, pc.SendRaw
//	pc.handshake      -> pc.Handshake
//	pc.nc.Close()     -> pc.Close()
//	ackID             -> peer.PacketID
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

// newPeer is peer.Open under its former name.
func newPeer(t testing.TB) *peer.Peer { return peer.Open(t) }

// connectTo5 is connectScriptedTo5 under its former name.
func connectTo5(t testing.TB, c *client.Client, p *peer.Peer, props *message.Properties) (*peerConn, *message.Connect) {
	t.Helper()
	pc, cp := connectScriptedTo5(t, c, p, props)
	return &peerConn{t: t, nc: pc.NetConn(), c: pc}, cp
}

func (pc *peerConn) read(d time.Duration) (message.Packet, error) { return pc.conn().ReadWithin(d) }

func (pc *peerConn) expect(typ message.Type) message.Packet {
	pc.t.Helper()
	return pc.conn().Expect(typ)
}

func (pc *peerConn) expectAck(typ message.Type, id uint16) {
	pc.t.Helper()
	pc.conn().ExpectAck(typ, id)
}

func (pc *peerConn) expectPublish() message.Publish {
	pc.t.Helper()
	return *pc.conn().ExpectPublish()
}

func (pc *peerConn) expectNone(d time.Duration) {
	pc.t.Helper()
	pc.conn().ExpectSilence(d)
}

func (pc *peerConn) expectClosed() {
	pc.t.Helper()
	pc.conn().SkipToClose()
}

func (pc *peerConn) send(p message.Packet) {
	pc.t.Helper()
	pc.conn().Send(p)
}

func (pc *peerConn) sendRaw(b ...byte) {
	pc.t.Helper()
	pc.conn().SendRaw(b...)
}

func (pc *peerConn) handshake(code message.ConnackCode) *message.Connect {
	pc.t.Helper()
	return pc.conn().Handshake(code)
}

// ackID is peer.PacketID under its former name.
func ackID(p message.Packet) uint16 { return peer.PacketID(p) }
