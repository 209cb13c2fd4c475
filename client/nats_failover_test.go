package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// nodeTracker tells which node of a cluster a client uses: the node of
// the URL in use, or, while the client is not connected, of the last
// connection its OnConnect hook saw.
type nodeTracker struct {
	urls []string
	last atomic.Int32
}

func newNodeTracker(urls []string) *nodeTracker {
	w := &nodeTracker{urls: urls}
	w.last.Store(-1)
	return w
}

// onConnect records the node connected to; it is the client's OnConnect
// hook, or called from it.
func (w *nodeTracker) onConnect(c *client.Client) {
	if i := slices.Index(w.urls, c.Server()); i >= 0 {
		w.last.Store(int32(i))
	}
}

// node returns the index in urls of the node c uses, -1 before any.
func (w *nodeTracker) node(c *client.Client) int {
	if i := slices.Index(w.urls, c.Server()); i >= 0 {
		return i
	}
	return int(w.last.Load())
}

// clusterClient makes a client for the cluster of urls: Connect is given
// them all, starting with urls[start], and the client's reconnect loop
// walks the list from the node after the one that failed.
func clusterClient(t *testing.T, urls []string, start int, onConnect func(present bool), opts ...client.Option) (*client.Client, func(context.Context) (bool, error), *nodeTracker) {
	t.Helper()
	w := newNodeTracker(urls)
	opts = append([]client.Option{
		client.WithAutoReconnect(50*time.Millisecond, 500*time.Millisecond),
		client.WithOnConnect(func(c *client.Client, present bool) {
			w.onConnect(c)
			if onConnect != nil {
				onConnect(present)
			}
		}),
	}, opts...)
	c := newClient(t, opts...)
	order := append(slices.Clone(urls[start:]), urls[:start]...)
	connect := func(ctx context.Context) (bool, error) {
		present, err := c.Connect(ctx, order[0], order[1:]...)
		if err == nil {
			w.onConnect(c)
		}
		return present, err
	}
	return c, connect, w
}

// failoverRow is one line of the failover table.
type failoverRow struct {
	killed         int           // the node killed
	at             time.Duration // when, since the run began
	subFrom, subTo int           // the subscriber's node before and after
	pubMoved       bool          // the publisher was on the killed node
	pubLost        uint64        // the publisher's lost connections from this kill to the next (or the end)
	pubLostAt      uint64        // the publisher's lost connections before the kill
	present        bool          // the subscriber's reconnect found its session
	outage         time.Duration // kill to the subscriber's CONNACK
	lost, dup      int           // of the messages published in the round
	attempts       int           // the subscriber's failed attempts, one per node that failed
	restart        time.Duration // until the killed node accepted MQTT again
}

// natsAckWait is the MQTT ack wait of the failover cluster. nats-server
// 2.9 does not send a resumed session the QoS 1 messages it had sent on
// the lost connection and not had acknowledged, as [MQTT-4.4.0-1] asks:
// the JetStream consumer behind the subscription sends them again when
// their ack wait expires, 30 s by default, on whatever node the session
// is on by then; when as many wait as the consumer's max ack pending
// (1,024), nothing newer is delivered until they expire. The failover
// runs shorten it so that those messages come back within the run.
const natsAckWait = 2 * time.Second

// TestNATSClusterFailoverShort is the failover run of the default test
// run: 1,000 QoS 1 messages, 2 kills.
func TestNATSClusterFailoverShort(t *testing.T) {
	runNATSFailover(t, 1_000, 2)
}

// TestNATSClusterFailover: a subscriber with a persistent session and a
// publisher, on different nodes of a 3-node NATS cluster whose MQTT
// streams are replicated to all three, while 5,000 QoS 1 messages flow.
// The node the subscriber is connected to is killed 5 times (each killed
// node is started again before the next kill): the subscriber reconnects
// to another node, finds its session there (session present) without
// subscribing again, and no message is lost. It takes about a minute of
// both cores, so it runs only on request.
func TestNATSClusterFailover(t *testing.T) {
	if !longRun() && os.Getenv("ONMQTT_NATS_FAILOVER") != "1" {
		t.Skip("set ONMQTT_NATS_FAILOVER=1 (or ONMQTT_LONG=1) to run the long NATS cluster failover test; TestNATSClusterFailoverShort is the short one")
	}
	n, kills := 5_000, 5
	if longRun() {
		n, kills = 20_000, 10
	}
	runNATSFailover(t, n, kills)
}

// runNATSFailover publishes n numbered QoS 1 messages while the
// subscriber's node is killed kills times, and checks that every one
// arrives and that each reconnect resumed the session.
//
// ONMQTT_NATS_LOG=1 logs the MQTT message stream and its consumer as
// each node sees them, every message missing when the deliveries
// stopped, and the nodes' warnings. Two knobs serve investigations:
// ONMQTT_NATS_ACK_WAIT (a duration; "30s" is the server's default)
// replaces natsAckWait, and ONMQTT_NATS_HANDLER_DELAY makes the
// subscriber's handler sleep, so that the broker has many messages in
// flight to it when its node dies.
func runNATSFailover(t *testing.T, n, kills int) {
	ackWait := natsAckWait
	if d, err := time.ParseDuration(os.Getenv("ONMQTT_NATS_ACK_WAIT")); err == nil && d > 0 {
		ackWait = d
	}
	delay, _ := time.ParseDuration(os.Getenv("ONMQTT_NATS_HANDLER_DELAY"))
	began := time.Now()
	cluster := brokertest.NATS(t, broker.NATSOptions{Nodes: 3, AckWait: ackWait})
	t.Logf("cluster up in %v", time.Since(began).Round(time.Millisecond))
	urls := cluster.Addrs()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute+time.Duration(kills)*30*time.Second)
	defer cancel()

	failures := &failureLog{}
	counts := make([]atomic.Int32, n)
	firstAt := make([]atomic.Int64, n) // first delivery, since began
	ackAt := make([]atomic.Int64, n)   // the publisher's PUBACK, since began
	pubNode := make([]atomic.Int32, n) // the publisher's node when it published
	var distinct, dupFlag atomic.Int64
	connects := make(chan bool, 4*kills+4)
	sub, connectSub, sw := clusterClient(t, urls, 0, func(present bool) { connects <- present },
		client.WithClientID(chaosClientID(t, "sub")),
		client.WithCleanSession(false),
		client.WithLogger(slog.New(failures)),
	)
	_, err := sub.On(message.PUBLISH, func(e *router.Event) {
		if delay > 0 {
			time.Sleep(delay)
		}
		if e.Message.Dup {
			dupFlag.Add(1)
		}
		seq, err := strconv.Atoi(string(e.Message.Payload))
		if err == nil && seq >= 0 && seq < n && counts[seq].Add(1) == 1 {
			firstAt[seq].Store(int64(time.Since(began)))
			distinct.Add(1)
		}
	}, router.Topic("fo/#"), 0)
	require.NoError(t, err)
	present, err := connectSub(ctx)
	require.NoError(t, err)
	require.False(t, present)
	<-connects
	_, err = sub.Subscribe(ctx, message.Subscription{Filter: "fo/#", QoS: message.QoS1})
	require.NoError(t, err)

	pub, connectPub, pw := clusterClient(t, urls, 1, nil,
		client.WithClientID(chaosClientID(t, "pub")),
		client.WithCleanSession(false),
		client.WithMaxInflight(20),
	)
	_, err = connectPub(ctx)
	require.NoError(t, err)
	require.Equal(t, urls[0], sub.Server())
	require.Equal(t, urls[1], pub.Server())

	// Round k ends at kill point k; the publisher may run lag messages
	// past it before the kill of round k is over, so messages are in
	// flight when the node dies.
	round := n / (kills + 1)
	lag := round / 2
	var published, killsDone atomic.Int64
	acks := newAckWatch(ctx, 4, began, ackAt)
	pubErr := make(chan error, 1)
	go func() {
		defer close(pubErr)
		for seq := range n {
			for int64(seq) >= int64(killsDone.Load()+1)*int64(round)+int64(lag) && killsDone.Load() < int64(kills) {
				select {
				case <-ctx.Done():
					pubErr <- ctx.Err()
					return
				case <-time.After(time.Millisecond):
				}
			}
			pubNode[seq].Store(int32(pw.node(pub)))
			tok, err := pub.Publish(ctx, fmt.Sprintf("fo/%d", seq%8), []byte(strconv.Itoa(seq)), message.QoS1)
			if err != nil {
				pubErr <- fmt.Errorf("publish %d: %w", seq, err)
				return
			}
			acks.ch <- seqToken{seq, tok}
			published.Add(1)
		}
	}()

	rows := make([]failoverRow, 0, kills) // not reallocated: restarts write to their row
	var restart chan error
	extra := 0 // reconnects of the subscriber between kills
	for k := 1; k <= kills; k++ {
		for published.Load() < int64(k*round) {
			select {
			case err := <-pubErr:
				require.Failf(t, "publisher stopped", "publisher stopped before kill %d: %v", k, err)
			case <-time.After(time.Millisecond):
			}
		}
		if restart != nil {
			require.NoError(t, <-restart, "restart node %d", rows[len(rows)-1].killed)
		}
		// A reconnect that no kill caused would be taken for the next
		// kill's: count them apart.
		for len(connects) > 0 {
			extra++
			assert.True(t, <-connects, "before kill %d: an unplanned reconnect found no session", k)
		}
		row := failoverRow{killed: sw.node(sub), subFrom: sw.node(sub)}
		row.pubMoved = pw.node(pub) == row.killed
		row.pubLostAt = pub.Stats().ConnectionsLost
		if natsLog() {
			logStreams(t, cluster, fmt.Sprintf("before kill %d", k))
		}
		killed := time.Now()
		row.at = killed.Sub(began)
		require.NoError(t, cluster.KillNode(row.killed))
		select {
		case row.present = <-connects:
			row.outage = time.Since(killed)
		case <-time.After(30 * time.Second):
			require.Failf(t, "no reconnect", "kill %d: the subscriber did not reconnect", k)
		}
		row.subTo = sw.node(sub)
		errs := failures.take()
		row.attempts = len(errs)
		for _, e := range errs {
			t.Logf("kill %d: attempt failed: %s", k, e)
		}
		rows = append(rows, row)
		// The killed node starts again while the messages of the next
		// round flow; the next kill waits for it, so that two nodes of
		// three, a JetStream quorum, are always up.
		restart = make(chan error, 1)
		go func(r *failoverRow) {
			began := time.Now()
			err := cluster.RestartNode(r.killed)
			r.restart = time.Since(began)
			restart <- err
		}(&rows[len(rows)-1])
		killsDone.Add(1)
	}
	require.NoError(t, <-restart, "restart node %d", rows[len(rows)-1].killed)
	require.NoError(t, <-pubErr)
	done, failed, errs := acks.close()
	require.Equal(t, n, done)
	require.Zero(t, failed, "publish tokens failed: %v", errs)
	allAcked := time.Since(began)

	// Every publish is acknowledged; wait for the deliveries. Messages
	// the broker had in flight to the subscriber when its node died come
	// one ack wait after they were first sent: wait longer than that
	// past the last delivery.
	quietFor := ackWait + 10*time.Second
	last, since := distinct.Load(), time.Now()
	for distinct.Load() < int64(n) && time.Since(since) < quietFor {
		time.Sleep(10 * time.Millisecond)
		if d := distinct.Load(); d != last {
			last, since = d, time.Now()
		}
	}
	time.Sleep(300 * time.Millisecond) // late duplicates
	if natsLog() || distinct.Load() < int64(n) {
		logStreams(t, cluster, "after the deliveries stopped")
	}

	for i := range rows {
		end := pub.Stats().ConnectionsLost
		if i+1 < len(rows) {
			end = rows[i+1].pubLostAt
		}
		rows[i].pubLost = end - rows[i].pubLostAt
	}
	lost, dup := 0, 0
	var lostSeqs []int
	for seq := range n {
		r := min(seq/round, kills) - 1 // the round a message belongs to, -1 before the first kill
		c := int(counts[seq].Load())
		switch {
		case c == 0:
			lost++
			lostSeqs = append(lostSeqs, seq)
			if r >= 0 {
				rows[r].lost++
			}
		case c > 1:
			dup += c - 1
			if r >= 0 {
				rows[r].dup += c - 1
			}
		}
		if c == 0 && (natsLog() || len(lostSeqs) <= 20) {
			a := time.Duration(ackAt[seq].Load())
			k := 0
			for k < len(rows) && rows[k].at <= a {
				k++
			}
			when := a.Round(time.Millisecond).String() + " (before any kill)"
			if k > 0 {
				when = fmt.Sprintf("kill %d %+v", k, (a - rows[k-1].at).Round(time.Millisecond))
			}
			t.Logf("message %d (published on node %d, PUBACK at %s) never delivered", seq, pubNode[seq].Load(), when)
		}
	}
	// The run used to stop waiting 10 s after the last new delivery, and
	// counted what had not come by then as lost: how many that would be.
	var arrivals []time.Duration
	for seq := range n {
		if f := time.Duration(firstAt[seq].Load()); f > allAcked {
			arrivals = append(arrivals, f)
		}
	}
	slices.Sort(arrivals)
	stop, prev := time.Duration(0), allAcked
	for _, f := range arrivals {
		if f-prev > 10*time.Second {
			stop = prev + 10*time.Second
			break
		}
		prev = f
	}
	if stop > 0 {
		late := 0
		for _, f := range arrivals {
			if f > stop {
				late++
			}
		}
		t.Logf("a 10 s wait for deliveries would have counted %d messages lost that came later", late)
	}
	t.Logf("failover table (%d QoS 1 messages, %d kills, ack wait %v):", n, kills, ackWait)
	t.Logf("kill  node  subscriber  publisher            session present  reconnect  failed attempts  restart  lost  duplicates")
	resumed := 0
	for i, r := range rows {
		moved := "elsewhere"
		if r.pubMoved {
			moved = "same node"
		}
		moved += fmt.Sprintf(" (%d lost)", r.pubLost)
		if r.present {
			resumed++
		}
		t.Logf("%4d  %4d  %d -> %d      %-19s  %-15v  %9v  %15d  %7v  %4d  %10d", i+1, r.killed, r.subFrom, r.subTo, moved, r.present,
			r.outage.Round(time.Millisecond), r.attempts, r.restart.Round(time.Millisecond), r.lost, r.dup)
	}
	t.Logf("total: %d lost, %d duplicates (%d deliveries with DUP), %d of %d reconnects resumed the session; %d reconnects of the subscriber between kills; run took %v",
		lost, dup, dupFlag.Load(), resumed, kills, extra, time.Since(began).Round(time.Millisecond))
	st := pub.Stats()
	t.Logf("publisher: %d PUBLISH sent, %d PUBACK received, %d connects", st.Sent[message.PUBLISH], st.Received[message.PUBACK], st.Connects)

	if natsLog() {
		for i := range cluster.Nodes() {
			for _, line := range strings.Split(cluster.NodeLog(i), "\n") {
				if strings.Contains(line, "[ERR]") || strings.Contains(line, "[WRN]") || strings.Contains(line, "leader") {
					t.Logf("node %d: %s", i, line)
				}
			}
		}
	}
	assert.Zero(t, lost, "lost messages, first: %v", first(lostSeqs))
	assert.Equal(t, kills, resumed, "reconnects that found no session")
	for i, r := range rows {
		assert.NotEqual(t, r.killed, r.subTo, "kill %d: the subscriber came back on the killed node", i+1)
	}
	st = sub.Stats()
	assert.Zero(t, st.Resubscribes, "the client subscribed again: the session did not carry the subscription")
	assert.GreaterOrEqual(t, st.Connects, uint64(kills+1))
}

func natsLog() bool { return os.Getenv("ONMQTT_NATS_LOG") == "1" }

// logStreams logs the MQTT message stream and its consumers as every
// running node reports them; the stream leader's view is the exact one.
func logStreams(t *testing.T, cluster *broker.NATS, when string) {
	t.Helper()
	for i := range cluster.Nodes() {
		if !cluster.Running(i) {
			continue
		}
		streams, err := cluster.Streams(i)
		if err != nil {
			t.Logf("%s: node %d: %v", when, i, err)
			continue
		}
		for _, s := range streams {
			if s.Name != "$MQTT_msgs" {
				continue
			}
			t.Logf("%s: node %d: %v", when, i, s)
			for _, c := range s.Consumers {
				t.Logf("%s: node %d:   %v", when, i, c)
			}
		}
	}
}

// seqToken is a publication's sequence number and completion handle.
type seqToken struct {
	seq int
	tok *client.Token
}

// ackWatch waits for publication tokens on a few goroutines and
// records when each completed.
type ackWatch struct {
	ch     chan seqToken
	wg     sync.WaitGroup
	mu     sync.Mutex
	done   int
	failed int
	errs   []error
}

func newAckWatch(ctx context.Context, workers int, began time.Time, at []atomic.Int64) *ackWatch {
	w := &ackWatch{ch: make(chan seqToken, 1024)}
	w.wg.Add(workers)
	for range workers {
		go func() {
			defer w.wg.Done()
			for st := range w.ch {
				err := st.tok.Wait(ctx)
				at[st.seq].Store(int64(time.Since(began)))
				w.mu.Lock()
				w.done++
				if err != nil {
					w.failed++
					if len(w.errs) < 5 {
						w.errs = append(w.errs, fmt.Errorf("publication %d: %w", st.seq, err))
					}
				}
				w.mu.Unlock()
			}
		}()
	}
	return w
}

// close waits for every token sent and returns the counts.
func (w *ackWatch) close() (done, failed int, errs []error) {
	close(w.ch)
	w.wg.Wait()
	return w.done, w.failed, w.errs
}

// failureLog is a slog handler keeping the errors of the client's
// failed attempts on each broker of its list.
type failureLog struct {
	mu   sync.Mutex
	errs []string
}

func (f *failureLog) Enabled(context.Context, slog.Level) bool { return true }
func (f *failureLog) WithAttrs([]slog.Attr) slog.Handler       { return f }
func (f *failureLog) WithGroup(string) slog.Handler            { return f }

func (f *failureLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "broker failed" {
		return nil
	}
	var broker, msg string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "broker":
			broker = a.Value.String()
		case "err":
			msg = a.Value.String()
		}
		return true
	})
	f.mu.Lock()
	f.errs = append(f.errs, broker+": "+msg)
	f.mu.Unlock()
	return nil
}

// take returns the errors kept since the last call.
func (f *failureLog) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := f.errs
	f.errs = nil
	return errs
}
