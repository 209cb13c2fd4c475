package client_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// connectSession connects c to the scripted peer p, which answers
// CONNACK with the session-present flag present, and returns the peer's
// end.
func connectSession(t *testing.T, c *client.Client, p *peer.Peer, present bool) *peer.Conn {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.Expect(message.CONNECT)
	pc.Send(&message.Connack{SessionPresent: present})
	require.NoError(t, <-errc)
	return pc
}

// deliveries records the QoS 2 messages a client's handlers got; with
// hold set, the first handler waits for release before it returns.
type deliveries struct {
	got     chan string
	hold    bool
	started chan struct{}
	release chan struct{}
}

func newDeliveries(hold bool) *deliveries {
	return &deliveries{got: make(chan string, 16), hold: hold, started: make(chan struct{}), release: make(chan struct{})}
}

func (d *deliveries) handler() router.Handler {
	first := true
	return func(e *router.Event) {
		if e.Message == nil {
			return
		}
		d.got <- string(e.Message.Payload)
		if d.hold && first {
			first = false
			close(d.started)
			<-d.release
		}
	}
}

// onBoth registers h for PUBLISH and PUBREL events.
func onBoth(c *client.Client, h router.Handler) {
	c.On(message.PUBLISH, h, nil, 0)
	c.On(message.PUBREL, h, nil, 0)
}

// How far the first life's handler got before Close.
const (
	queued   = iota // the handler never ran: no loop dispatched
	inside          // the handler was running
	returned        // the handler returned
)

// TestInboundQoS2SurvivesClose acknowledges a QoS 2 message with PUBREC,
// closes the client before its handler ran, while it runs or after it
// returned, and starts a second client on the same store (a MemoryStore,
// or a FileStore opened again) and session: the message is delivered
// exactly once over both lives, in both delivery modes, whether the
// broker kept the session or not, and the store is empty at the end.
func TestInboundQoS2SurvivesClose(t *testing.T) {
	modes := []struct {
		name     string
		onPubrel bool
	}{{"deliver on PUBLISH", false}, {"deliver on PUBREL", true}}
	cases := []struct {
		name string
		// stage is how far the first life's handler got before Close.
		stage int
		// present: the broker kept the session for the second life.
		present bool
	}{
		{"closed before the handler ran, session kept", queued, true},
		{"closed inside the handler, session kept", inside, true},
		{"closed inside the handler, session lost", inside, false},
		{"closed after the handler, session kept", returned, true},
	}
	stores := []struct {
		name string
		// open returns the store of a new life; a MemoryStore is the
		// same value for both.
		open func(t *testing.T) func() client.Store
	}{
		{"MemoryStore", func(t *testing.T) func() client.Store {
			s := client.NewMemoryStore()
			return func() client.Store { return s }
		}},
		{"FileStore", func(t *testing.T) func() client.Store {
			path := filepath.Join(t.TempDir(), "session.log")
			return func() client.Store {
				s, err := client.OpenFileStore(path, client.FileStoreOptions{})
				require.NoError(t, err)
				return s
			}
		}},
	}
	for _, st := range stores {
		for _, mode := range modes {
			for _, tc := range cases {
				t.Run(st.name+"/"+mode.name+"/"+tc.name, func(t *testing.T) {
					inboundSurvivesClose(t, st.open(t), mode.onPubrel, tc.stage, tc.present)
				})
			}
		}
	}
}

// inboundSurvivesClose is one case of TestInboundQoS2SurvivesClose.
func inboundSurvivesClose(t *testing.T, open func() client.Store, onPubrel bool, stage int, present bool) {
	store := open()
	opts := []client.Option{
		client.WithClientID("inbound-restart"),
		client.WithCleanSession(false),
	}
	if onPubrel {
		opts = append(opts, client.WithDeliverOnPubrel())
	}
	p := peer.Open(t)

	// First life: PUBLISH, PUBREC, PUBREL; the handler runs
	// on PUBLISH or on PUBREL and is held there.
	first := newDeliveries(stage == inside)
	defer close(first.release)
	opts1 := opts
	if stage == queued {
		opts1 = append(opts1[:len(opts1):len(opts1)], client.WithManualLoop())
	}
	c1 := newClient(t, append(opts1, client.WithStore(store))...)
	onBoth(c1, first.handler())
	pc := connectSession(t, c1, p, false)
	pc.Send(&message.Publish{Message: message.Message{Topic: "t", Payload: []byte("m1"), QoS: message.QoS2, PacketID: 7}})
	pc.ExpectAck(message.PUBREC, 7)
	pc.Send(&message.Pubrel{PacketID: 7})
	switch stage {
	case queued:
		// PUBREC came, so the message is stored; no PUBCOMP
		// can come without a loop.
		pc.ExpectSilence(50 * time.Millisecond)
	case inside:
		require.Equal(t, "m1", recv(t, first.got))
		<-first.started
	case returned:
		require.Equal(t, "m1", recv(t, first.got))
		// Closed once the store has recorded that the
		// handler returned (dying between the two runs the
		// handler again, as documented).
		require.Eventually(t, func() bool {
			snap, err := store.Load()
			return err == nil && (len(snap.Inbound) == 0 || snap.Inbound[0].Message == nil)
		}, waitLimit, time.Millisecond)
	}
	require.NoError(t, c1.Close())
	store = open()
	snap, err := store.Load()
	require.NoError(t, err)
	if stage != returned {
		require.Len(t, snap.Inbound, 1, "an acknowledged message whose handler did not return")
		require.NotNil(t, snap.Inbound[0].Message)
		assert.Equal(t, "m1", string(snap.Inbound[0].Message.Payload))
	}

	// Second life on the same store.
	second := newDeliveries(false)
	c2 := newClient(t, append(opts, client.WithStore(store))...)
	onBoth(c2, second.handler())
	pc = connectSession(t, c2, p, present)
	if present {
		// The broker has no PUBCOMP: it sends PUBREL again.
		pc.Send(&message.Pubrel{PacketID: 7})
		pc.ExpectAck(message.PUBCOMP, 7)
	}
	if stage == returned {
		assertNoDelivery(t, second.got)
	} else {
		require.Equal(t, "m1", recv(t, second.got))
		assertNoDelivery(t, second.got)
	}
	require.Eventually(t, func() bool {
		snap, err := store.Load()
		return err == nil && len(snap.Inbound) == 0
	}, waitLimit, time.Millisecond, "the flow's record is deleted once it is complete")
}

func recv(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(waitLimit):
		require.FailNow(t, fmt.Sprintf("no delivery within %v", waitLimit))
		return ""
	}
}

// assertNoDelivery checks that nothing more was delivered. The client
// has queued everything it will deliver for what the peer sent: the
// PUBCOMP, or the connection's CONNACK event, came after it.
func assertNoDelivery(t *testing.T, ch <-chan string) {
	t.Helper()
	select {
	case s := <-ch:
		assert.Fail(t, fmt.Sprintf("delivered %q again", s))
	case <-time.After(50 * time.Millisecond):
	}
}

// TestInboundQoS2PublishResentAfterPubrel pins what Mosquitto 2.0.11 does
// when a subscriber's connection drops twice in a row: a QoS 2 message
// whose PUBREL it had sent comes again as a PUBLISH (DUP set) instead of
// its PUBREL. Here the client got the PUBREL, ran the PUBREL event and
// queued PUBCOMP, but the connection died before the PUBCOMP was
// written; the broker cannot have reused the identifier, so the PUBLISH
// on the next connection is a re-send: acknowledged, not delivered again.
func TestInboundQoS2PublishResentAfterPubrel(t *testing.T) {
	for _, onPubrel := range []bool{false, true} {
		t.Run(fmt.Sprintf("onPubrel=%v", onPubrel), func(t *testing.T) {
			g := newGate()
			opts := []client.Option{
				client.WithClientID("resent-after-pubrel"),
				client.WithCleanSession(false),
				client.WithDialer(g.dial),
			}
			if onPubrel {
				opts = append(opts, client.WithDeliverOnPubrel())
			}
			got := newDeliveries(false)
			c := newClient(t, opts...)
			onBoth(c, got.handler())
			p := peer.Open(t)
			pc := connectSession(t, c, p, false)
			pub := &message.Publish{Message: message.Message{Topic: "t", Payload: []byte("m"), QoS: message.QoS2, PacketID: 5}}
			pc.Send(pub)
			pc.ExpectAck(message.PUBREC, 5)

			// PUBREL is handled and PUBCOMP queued, but never written.
			g.hold()
			pc.Send(&message.Pubrel{PacketID: 5})
			require.Equal(t, "m", recv(t, got.got))
			g.waitBlocked(t) // the PUBCOMP's write
			pc.Close()
			g.waitClosed(t)
			g.release()
			require.Eventually(t, func() bool { return c.State() == client.Disconnected }, waitLimit, time.Millisecond)

			pc = connectSession(t, c, p, true)
			pub.Dup = true
			pc.Send(pub)
			pc.ExpectAck(message.PUBREC, 5)
			pc.Send(&message.Pubrel{PacketID: 5})
			pc.ExpectAck(message.PUBCOMP, 5)
			assertNoDelivery(t, got.got)
		})
	}
}
