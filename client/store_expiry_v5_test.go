package client_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// connect5Session connects c to p at 5.0; the peer answers CONNACK with
// the session-present flag present and props, and returns its end and
// the CONNECT it read.
func connect5Session(t *testing.T, c *client.Client, p *peer.Peer, present bool, props *message.Properties) (*peer.Conn, *message.Connect) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	cp := *pc.HandshakeWith(&message.Connack{SessionPresent: present, Properties: props})
	require.Equal(t, message.V5, cp.Version)
	require.NoError(t, <-errc, "Connect")
	return pc, &cp
}

// openStore opens the FileStore at path, closed when the test ends.
func openStore(t *testing.T, path string) *client.FileStore {
	t.Helper()
	s, err := client.OpenFileStore(path, client.FileStoreOptions{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// storedOutbound returns the topics of the outbound flows the closed
// store at path holds.
func storedOutbound(t *testing.T, path string) []string {
	t.Helper()
	s, err := client.OpenFileStoreReadOnly(path, client.FileStoreOptions{})
	require.NoError(t, err)
	defer s.Close()
	snap, err := s.Load()
	require.NoError(t, err)
	topics := []string{}
	for _, e := range snap.Outbound {
		topics = append(topics, e.Message.Topic)
	}
	return topics
}

// sleepPast waits until d has passed since from.
func sleepPast(from time.Time, d time.Duration) {
	time.Sleep(time.Until(from.Add(d)))
}

// TestV5RestartDropsExpiredMessages: a message whose Message Expiry
// Interval ran out while the process was down is dropped, counted and
// deleted from the store, not sent; one still alive is sent with what
// remains of its interval, counted from when Publish took it. An expired
// QoS 2 message is not sent either, but a resumed session gets a PUBREL
// for its identifier, which the broker may hold from before the restart.
func TestV5RestartDropsExpiredMessages(t *testing.T) {
	for _, tt := range []struct {
		name string
		sent bool // published while connected, left unacknowledged
	}{
		{"queued offline", false},
		{"sent unacknowledged", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.log")
			opts := []client.Option{client.WithVersion(message.V5), client.WithClientID("expiry5"), client.WithCleanSession(false)}
			c1, err := client.New(append(opts, client.WithStore(openStore(t, path)))...)
			require.NoError(t, err)
			t.Cleanup(func() { c1.Close() })
			var pc *peer.Conn
			if tt.sent {
				pc, _ = connect5Session(t, c1, peer.Open(t), false, nil)
			}
			queued := time.Now()
			_, err = c1.Publish(testContext(t), "exp/short", []byte("short"), message.QoS1, client.WithMessageExpiry(time.Second))
			require.NoError(t, err)
			tok2, err := c1.Publish(testContext(t), "exp/short2", []byte("short2"), message.QoS2, client.WithMessageExpiry(time.Second))
			require.NoError(t, err)
			id2 := tok2.ID()
			_, err = c1.Publish(testContext(t), "exp/long", []byte("long"), message.QoS1, client.WithMessageExpiry(time.Hour))
			require.NoError(t, err)
			if tt.sent {
				assert.Equal(t, "exp/short", pc.ExpectPublish().Topic)
				assert.Equal(t, "exp/short2", pc.ExpectPublish().Topic)
				assert.Equal(t, "exp/long", pc.ExpectPublish().Topic)
			}
			require.NoError(t, c1.Close())
			assert.Equal(t, []string{"exp/short", "exp/short2", "exp/long"}, storedOutbound(t, path))

			sleepPast(queued, 1500*time.Millisecond)
			c2 := newClient(t, append(opts, client.WithStore(openStore(t, path)))...)
			assert.Equal(t, uint64(2), c2.Stats().Expired, "the short messages expired while the process was down")
			assert.Zero(t, c2.Stats().SessionDiscarded)
			pc2, cp := connect5Session(t, c2, peer.Open(t), tt.sent, nil)
			assert.False(t, cp.CleanSession, "the session is resumed")
			if tt.sent {
				pc2.ExpectAck(message.PUBREL, id2)
				pc2.Send(&message.Pubcomp{PacketID: id2, ReasonCode: message.PacketIdentifierNotFound})
			}
			pub := pc2.ExpectPublish()
			assert.Equal(t, "exp/long", pub.Topic)
			require.NotNil(t, pub.Properties)
			exp, ok := pub.Properties.MessageExpiry.Get()
			require.True(t, ok)
			assert.Less(t, exp, uint32(3600), "the interval less the time the message waited")
			assert.Greater(t, exp, uint32(3000))
			pc2.ExpectSilence(300 * time.Millisecond)
			require.NoError(t, c2.Close())
			assert.Equal(t, []string{"exp/long"}, storedOutbound(t, path), "the expired message is deleted from the store")
		})
	}
}

// TestV5ExpiredSessionDiscardedOnRestart: a client restarted after its
// session's expiry interval ran out discards the stored outbound flows
// and connects with Clean Start; the interval in force is CONNECT's,
// CONNACK's when the broker sent one, or DISCONNECT's.
func TestV5ExpiredSessionDiscardedOnRestart(t *testing.T) {
	for _, tt := range []struct {
		name       string
		expiry     time.Duration             // the client's WithSessionExpiry
		connack    *message.Properties       // the first CONNACK's properties
		disconnect []client.DisconnectOption // nil: Close alone
	}{
		{"CONNECT's interval", time.Second, nil, nil},
		{"CONNACK's interval", time.Hour, &message.Properties{SessionExpiry: message.Some(uint32(1))}, nil},
		{"DISCONNECT's interval", time.Hour, nil, []client.DisconnectOption{client.DisconnectSessionExpiry(time.Second)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.log")
			opts := []client.Option{client.WithVersion(message.V5), client.WithClientID("sess5"), client.WithCleanSession(false),
				client.WithSessionExpiry(tt.expiry)}
			c1, err := client.New(append(opts, client.WithStore(openStore(t, path)))...)
			require.NoError(t, err)
			t.Cleanup(func() { c1.Close() })
			pc, _ := connect5Session(t, c1, peer.Open(t), false, tt.connack)
			_, err = c1.Publish(testContext(t), "sess/x", []byte("x"), message.QoS1)
			require.NoError(t, err)
			assert.Equal(t, "sess/x", pc.ExpectPublish().Topic)
			if tt.disconnect != nil {
				require.NoError(t, c1.Disconnect(testContext(t), tt.disconnect...))
				d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
				require.NotNil(t, d.Properties)
				assert.Equal(t, uint32(1), d.Properties.SessionExpiry.Or(0))
			}
			require.NoError(t, c1.Close())
			ended := time.Now()
			require.Equal(t, []string{"sess/x"}, storedOutbound(t, path))

			sleepPast(ended, 2*time.Second)
			c2 := newClient(t, append(opts, client.WithStore(openStore(t, path)))...)
			assert.Equal(t, uint64(1), c2.Stats().SessionDiscarded, "the expired session's publish")
			assert.Zero(t, c2.Stats().Expired)
			assert.Zero(t, c2.Stats().Inflight, "nothing restored")
			pc2, cp := connect5Session(t, c2, peer.Open(t), false, nil)
			assert.True(t, cp.CleanSession, "Clean Start after discarding the session")
			pc2.ExpectSilence(300 * time.Millisecond)
			require.NoError(t, c2.Close())
			assert.Empty(t, storedOutbound(t, path))
		})
	}
}

// TestV5LiveSessionResumedOnRestart: within its expiry interval the
// stored session is resumed: Clean Start 0, the publish sent again.
func TestV5LiveSessionResumedOnRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	opts := []client.Option{client.WithVersion(message.V5), client.WithClientID("live5"), client.WithCleanSession(false),
		client.WithSessionExpiry(time.Hour)}
	c1, err := client.New(append(opts, client.WithStore(openStore(t, path)))...)
	require.NoError(t, err)
	t.Cleanup(func() { c1.Close() })
	pc, _ := connect5Session(t, c1, peer.Open(t), false, nil)
	_, err = c1.Publish(testContext(t), "live/x", []byte("x"), message.QoS1)
	require.NoError(t, err)
	first := pc.ExpectPublish()
	require.NoError(t, c1.Close())
	ended := time.Now()

	sleepPast(ended, 2*time.Second)
	c2 := newClient(t, append(opts, client.WithStore(openStore(t, path)))...)
	assert.Zero(t, c2.Stats().SessionDiscarded)
	pc2, cp := connect5Session(t, c2, peer.Open(t), true, nil)
	assert.False(t, cp.CleanSession)
	pub := pc2.ExpectPublish()
	assert.Equal(t, "live/x", pub.Topic)
	assert.Equal(t, first.PacketID, pub.PacketID)
	assert.True(t, pub.Dup, "a resend")
	pc2.Send(&message.Puback{PacketID: pub.PacketID})
	require.Eventually(t, func() bool { return c2.Stats().Inflight == 0 }, waitLimit, 10*time.Millisecond)
	require.NoError(t, c2.Close())
	assert.Empty(t, storedOutbound(t, path))
}

// TestV5CrashedSessionLivenessRule: a process that stopped without
// recording the end of its connection leaves a record of when the
// connection was last known up; the session counts as expired only once
// that time, the record's period and the interval have all passed.
func TestV5CrashedSessionLivenessRule(t *testing.T) {
	t.Run("copy of a live client's log: resumed", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "session.log")
		opts := []client.Option{client.WithVersion(message.V5), client.WithClientID("crash5"), client.WithCleanSession(false),
			client.WithSessionExpiry(time.Second)}
		c1 := newClient(t, append(opts, client.WithStore(openStore(t, path)))...)
		pc, _ := connect5Session(t, c1, peer.Open(t), false, nil)
		_, err := c1.Publish(testContext(t), "crash/x", []byte("x"), message.QoS1)
		require.NoError(t, err)
		pc.ExpectPublish()
		// The log as a crash would leave it: the connection recorded, no end.
		crashed := filepath.Join(dir, "crashed.log")
		var rec client.Session
		require.Eventually(t, func() bool {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(crashed, data, 0o600))
			s, err := client.OpenFileStoreReadOnly(crashed, client.FileStoreOptions{})
			require.NoError(t, err)
			defer s.Close()
			snap, err := s.Load()
			require.NoError(t, err)
			rec = snap.Session
			return !rec.At.IsZero() && len(snap.Outbound) == 1
		}, waitLimit, 10*time.Millisecond)
		assert.False(t, rec.Ended)
		assert.Equal(t, uint32(1), rec.Interval)
		assert.Equal(t, 2*time.Minute, rec.Period)

		// Past the interval, not past period and interval: the connection
		// may have lasted until a moment ago.
		sleepPast(rec.At, 2*time.Second)
		c2 := newClient(t, append(opts, client.WithStore(openStore(t, crashed)))...)
		assert.Zero(t, c2.Stats().SessionDiscarded)
		pc2, cp := connect5Session(t, c2, peer.Open(t), true, nil)
		assert.False(t, cp.CleanSession)
		pub := pc2.ExpectPublish()
		assert.Equal(t, "crash/x", pub.Topic)
		assert.True(t, pub.Dup)
	})

	// A record written long ago: the session expired; held inbound
	// messages are still delivered, the identifiers awaiting PUBREL go.
	heldMsg := message.Message{Topic: "in/held", Payload: []byte("held"), QoS: message.QoS2, PacketID: 5}
	writeCrashed := func(t *testing.T, path string, at time.Time) {
		s, err := client.OpenFileStore(path, client.FileStoreOptions{})
		require.NoError(t, err)
		require.NoError(t, s.PutOutbound(client.Outbound{Seq: 1, Message: message.Message{Topic: "crash/y", Payload: []byte("y"), QoS: message.QoS1, PacketID: 1},
			Queued: at}))
		require.NoError(t, s.PutInbound(client.Inbound{ID: 5, Message: &heldMsg, State: client.InboundReceived, Received: at}))
		require.NoError(t, s.PutInbound(client.Inbound{ID: 6}))
		require.NoError(t, s.PutSession(client.Session{Interval: 1, At: at, Period: 2 * time.Minute}))
		require.NoError(t, s.Close())
	}
	t.Run("record older than period and interval: discarded", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "session.log")
		writeCrashed(t, path, time.Now().Add(-2*time.Minute-2*time.Second))
		got := make(chan string, 4)
		c2 := newClient(t, client.WithVersion(message.V5), client.WithClientID("crash5"), client.WithCleanSession(false),
			client.WithStore(openStore(t, path)))
		c2.On(message.PUBLISH, func(e *router.Event) {
			if e.Message != nil {
				got <- string(e.Message.Payload)
			}
		}, nil, 0)
		assert.Equal(t, uint64(1), c2.Stats().SessionDiscarded)
		pc, cp := connect5Session(t, c2, peer.Open(t), false, nil)
		assert.True(t, cp.CleanSession)
		select {
		case m := <-got:
			assert.Equal(t, "held", m, "the held message is delivered")
		case <-time.After(waitLimit):
			t.Fatal("the held message was not delivered")
		}
		// Identifier 6 is forgotten: a PUBLISH with it is a new message.
		pc.Send(&message.Publish{Message: message.Message{Topic: "in/new", Payload: []byte("new"), QoS: message.QoS2, PacketID: 6}})
		pc.ExpectAck(message.PUBREC, 6)
		pc.Send(&message.Pubrel{PacketID: 6})
		pc.ExpectAck(message.PUBCOMP, 6)
		select {
		case m := <-got:
			assert.Equal(t, "new", m)
		case <-time.After(waitLimit):
			t.Fatal("the new message was not delivered")
		}
		pc.ExpectSilence(300 * time.Millisecond)
		require.NoError(t, c2.Close())
		assert.Empty(t, storedOutbound(t, path))
	})
	t.Run("record within period and interval: resumed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "session.log")
		writeCrashed(t, path, time.Now().Add(-2*time.Minute+time.Minute))
		c2 := newClient(t, client.WithVersion(message.V5), client.WithClientID("crash5"), client.WithCleanSession(false),
			client.WithStore(openStore(t, path)))
		assert.Zero(t, c2.Stats().SessionDiscarded)
		pc, cp := connect5Session(t, c2, peer.Open(t), true, nil)
		assert.False(t, cp.CleanSession)
		assert.Equal(t, "crash/y", pc.ExpectPublish().Topic)
	})
	t.Run("MQTT 3.1.1 ignores the session record", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "session.log")
		writeCrashed(t, path, time.Now().Add(-time.Hour))
		c2 := newClient(t, client.WithVersion(message.V311), client.WithClientID("crash311"), client.WithCleanSession(false),
			client.WithStore(openStore(t, path)))
		assert.Zero(t, c2.Stats().SessionDiscarded)
		p := peer.Open(t)
		errc := make(chan error, 1)
		go func() {
			_, err := c2.Connect(testContext(t), p.Addr())
			errc <- err
		}()
		pc := p.Next(t)
		cp := pc.HandshakeWith(&message.Connack{SessionPresent: true})
		assert.False(t, cp.CleanSession)
		require.NoError(t, <-errc)
		assert.Equal(t, "crash/y", pc.ExpectPublish().Topic)
	})
}

// TestV5MemoryStoreSessionExpiry: the MemoryStore, given to a later
// client of the same process, carries the session record too.
func TestV5MemoryStoreSessionExpiry(t *testing.T) {
	store := client.NewMemoryStore()
	opts := []client.Option{client.WithVersion(message.V5), client.WithClientID("mem5"), client.WithCleanSession(false),
		client.WithSessionExpiry(time.Second), client.WithStore(store)}
	c1 := newClient(t, opts...)
	pc, _ := connect5Session(t, c1, peer.Open(t), false, nil)
	_, err := c1.Publish(testContext(t), "mem/x", []byte("x"), message.QoS1, client.WithMessageExpiry(time.Hour))
	require.NoError(t, err)
	pc.ExpectPublish()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	require.NoError(t, c1.Disconnect(ctx))
	snap, err := store.Load()
	require.NoError(t, err)
	require.Len(t, snap.Outbound, 1)
	assert.False(t, snap.Outbound[0].Queued.IsZero(), "the queued time of a message with an expiry is kept")
	require.Eventually(t, func() bool {
		snap, err := store.Load()
		require.NoError(t, err)
		return snap.Session.Ended
	}, waitLimit, 10*time.Millisecond, "the end of the connection is recorded")
	require.NoError(t, c1.Close())
	snap, err = store.Load()
	require.NoError(t, err)
	assert.Equal(t, uint32(1), snap.Session.Interval)

	sleepPast(snap.Session.At, 2*time.Second)
	c2 := newClient(t, opts...)
	assert.Equal(t, uint64(1), c2.Stats().SessionDiscarded)
	snap, err = store.Load()
	require.NoError(t, err)
	assert.Empty(t, snap.Outbound)
	assert.True(t, snap.Session.IsZero(), "no session recorded until the next connection")
}

// gatedSessionStore is a MemoryStore whose PutSession of a connection's
// start waits for release.
type gatedSessionStore struct {
	*client.MemoryStore
	started chan client.Session
	release chan struct{}
}

func (s *gatedSessionStore) PutSession(e client.Session) error {
	if !e.Ended && !e.At.IsZero() {
		s.started <- e
		<-s.release
	}
	return s.MemoryStore.PutSession(e)
}

// TestV5SessionRecordedBeforeResend: a connection's start is in the
// store before anything is sent on it, so that a crash cannot leave
// publishes sent in a session the store does not know of.
func TestV5SessionRecordedBeforeResend(t *testing.T) {
	store := &gatedSessionStore{MemoryStore: client.NewMemoryStore(), started: make(chan client.Session, 1), release: make(chan struct{})}
	require.NoError(t, store.PutOutbound(client.Outbound{Seq: 1, Message: message.Message{Topic: "gate/x", QoS: message.QoS1, PacketID: 1}}))
	c := newClient(t, client.WithVersion(message.V5), client.WithClientID("gate5"), client.WithCleanSession(false),
		client.WithSessionExpiry(time.Minute), client.WithStore(store))
	var once sync.Once
	release := func() { once.Do(func() { close(store.release) }) }
	t.Cleanup(release) // before the client's Close, should the test fail
	p := peer.Open(t)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.HandshakeWith(&message.Connack{SessionPresent: true, Properties: &message.Properties{SessionExpiry: message.Some(uint32(30))}})
	var rec client.Session
	select {
	case rec = <-store.started:
	case <-time.After(waitLimit):
		t.Fatal("the connection was not recorded")
	}
	assert.Equal(t, uint32(30), rec.Interval, "CONNACK's interval")
	assert.Equal(t, 2*time.Minute, rec.Period)
	pc.ExpectSilence(300 * time.Millisecond)
	release()
	assert.Equal(t, "gate/x", pc.ExpectPublish().Topic)
	require.NoError(t, <-errc)
}
