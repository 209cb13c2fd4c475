package client_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The restart test runs a publisher in a child process, the test binary
// itself started again in child mode, kills it with SIGKILL at random
// moments and starts it again; the child's file store must make every
// QoS 2 message arrive exactly once across the kills.
const (
	restartMessages = 2000
	restartKills    = 5
	// restartChildEnv selects child mode and carries its settings; the
	// other variables are only read in child mode.
	restartChildEnv   = "ONMQTT_RESTART_CHILD"
	restartURLEnv     = "ONMQTT_RESTART_URL"
	restartStoreEnv   = "ONMQTT_RESTART_STORE"
	restartIDEnv      = "ONMQTT_RESTART_ID"
	restartTopicEnv   = "ONMQTT_RESTART_TOPIC"
	restartCountEnv   = "ONMQTT_RESTART_COUNT"
	restartChildLimit = time.Minute
)

// TestRestartChild is not a test of its own: it is the publishing child
// process of TestRestart, which starts the test binary with
// -test.run=^TestRestartChild$ and ONMQTT_RESTART_CHILD=1. Run any other
// way it returns at once and passes.
//
// The child opens the file store, connects with a persistent session and
// publishes QoS 2 messages numbered by LastSeq — the number of publishes
// the store has recorded, across every earlier life of the process —
// until LastSeq reaches the count. It then waits until every flow is
// complete, the ones recovered from the store included, and disconnects.
func TestRestartChild(t *testing.T) {
	if os.Getenv(restartChildEnv) != "1" {
		return
	}
	n, err := strconv.ParseUint(os.Getenv(restartCountEnv), 10, 64)
	require.NoError(t, err, restartCountEnv)
	topic := os.Getenv(restartTopicEnv)
	ctx, cancel := context.WithTimeout(context.Background(), restartChildLimit)
	defer cancel()

	store, err := client.OpenFileStore(os.Getenv(restartStoreEnv), client.FileStoreOptions{})
	require.NoError(t, err, "open store")
	c, err := client.New(
		client.WithClientID(os.Getenv(restartIDEnv)),
		client.WithCleanSession(false),
		client.WithStore(store),
		client.WithAutoReconnect(10*time.Millisecond, 100*time.Millisecond),
		client.WithMaxInflight(chaosWindow),
		client.WithKeepAlive(30*time.Second),
	)
	require.NoError(t, err, "client.New")
	defer c.Close()
	startSeq := c.LastSeq()
	fmt.Printf("child: started at LastSeq %d with %d flows recovered from the store\n", startSeq, c.Stats().Inflight)
	_, err = c.Connect(ctx, os.Getenv(restartURLEnv))
	require.NoError(t, err, "connect")
	var toks []*client.Token
	for {
		seq := c.LastSeq()
		if seq >= n {
			break
		}
		tok, err := c.Publish(ctx, topic, []byte(strconv.FormatUint(seq, 10)), message.QoS2)
		require.NoError(t, err, "publish %d", seq)
		toks = append(toks, tok)
	}
	for _, tok := range toks {
		require.NoError(t, tok.Wait(ctx), "token %d", tok.ID())
	}
	// Flows recovered from the store have no token here: wait for the
	// window to empty.
	for c.Stats().Inflight > 0 {
		select {
		case <-ctx.Done():
			require.Failf(t, "flows still in flight", "%d of them: %v", c.Stats().Inflight, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	assert.Equal(t, n, c.LastSeq(), "LastSeq() at the end")
	assert.NoError(t, c.Disconnect(ctx), "disconnect")
	fmt.Printf("child: published %d from LastSeq %d, ended at %d\n", len(toks), startSeq, c.LastSeq())
}

// restartCounter counts deliveries of the numbered QoS 2 messages.
type restartCounter struct {
	mu     sync.Mutex
	counts []int
	got    int // distinct
	bad    []string
}

func (rc *restartCounter) handler() router.Handler {
	return func(e *router.Event) {
		if e.Message == nil {
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		seq, err := strconv.Atoi(string(e.Message.Payload))
		if err != nil || seq < 0 || seq >= len(rc.counts) || e.Message.QoS != message.QoS2 {
			rc.bad = append(rc.bad, fmt.Sprintf("%q q%d", e.Message.Payload, e.Message.QoS))
			return
		}
		if rc.counts[seq]++; rc.counts[seq] == 1 {
			rc.got++
		}
	}
}

func (rc *restartCounter) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got
}

// TestRestart kills a publishing process with SIGKILL restartKills times
// at random moments and restarts it; a final run completes. The
// subscriber must get each of the restartMessages QoS 2 messages exactly
// once.
func TestRestart(t *testing.T) {
	eachBroker(t, func(t *testing.T, b chaosBroker) {
		ctx, cancel := context.WithTimeout(context.Background(), chaosLimit)
		defer cancel()
		const topic = "restart/numbers"
		pubID := chaosClientID(t, "pub")
		if b.witness != nil {
			b.witness.watch(pubID, "")
		}

		rc := &restartCounter{counts: make([]int, restartMessages)}
		sub := newClient(t, client.WithClientID(chaosClientID(t, "sub")), client.WithKeepAlive(30*time.Second))
		sub.On(message.PUBLISH, rc.handler(), nil, 0)
		connect(t, sub, b.url)
		_, err := sub.Subscribe(testContext(t), message.Subscription{Filter: topic, QoS: message.QoS2})
		require.NoError(t, err, "subscribe")

		seed := chaosSeed(t)
		rng := rand.New(rand.NewPCG(seed, seed))
		env := append(os.Environ(),
			restartChildEnv+"=1",
			restartURLEnv+"="+b.url,
			restartStoreEnv+"="+filepath.Join(t.TempDir(), "session.log"),
			restartIDEnv+"="+pubID,
			restartTopicEnv+"="+topic,
			restartCountEnv+"="+strconv.Itoa(restartMessages),
		)
		start := time.Now()
		kills := 0
		for run := 1; ; run++ {
			final := kills == restartKills
			var out bytes.Buffer
			cmd := exec.Command(os.Args[0], "-test.run=^TestRestartChild$", "-test.count=1", "-test.v")
			cmd.Env = env
			cmd.Stdout, cmd.Stderr = &out, &out
			require.NoError(t, cmd.Start(), "start child")
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()

			if final {
				select {
				case err := <-exited:
					require.NoError(t, err, "final run %d\n%s", run, out.Bytes())
				case <-ctx.Done():
					cmd.Process.Kill()
					<-exited
					require.Failf(t, "final run did not finish", "run %d\n%s", run, out.Bytes())
				}
				t.Logf("run %d (final): %s", run, childLines(out.Bytes()))
				break
			}

			// Kill once a random number of new messages has arrived, plus
			// a random fraction of a millisecond, so that the kill falls
			// anywhere in a flow.
			base, step := rc.distinct(), 100+rng.IntN(250)
			for rc.distinct() < base+step {
				select {
				case err := <-exited:
					require.Failf(t, "child ended before it was killed", "run %d (%v)\n%s", run, err, out.Bytes())
				case <-ctx.Done():
					cmd.Process.Kill()
					<-exited
					require.Failf(t, "child made no progress", "run %d: %d messages\n%s", run, rc.distinct(), out.Bytes())
				case <-time.After(time.Millisecond):
				}
			}
			time.Sleep(time.Duration(rng.IntN(1000)) * time.Microsecond)
			require.NoError(t, cmd.Process.Kill(), "kill run %d", run)
			<-exited
			kills++
			t.Logf("run %d: %s; killed after %d messages in all", run, childLines(out.Bytes()), rc.distinct())
		}

		// Wait for the last messages, or until nothing arrived for a while
		// (a broker that lost some).
		for last, since := rc.distinct(), time.Now(); last < restartMessages && time.Since(since) < chaosQuiet; {
			time.Sleep(time.Millisecond)
			if n := rc.distinct(); n != last {
				last, since = n, time.Now()
			}
		}
		time.Sleep(chaosSettle)

		rc.mu.Lock()
		defer rc.mu.Unlock()
		var lost, dup, theirLost, theirDup []int
		for seq, n := range rc.counts {
			key := witnessKey(topic, []byte(strconv.Itoa(seq)))
			switch {
			case n == 0 && b.witness != nil && b.witness.brokerLost("publisher", key):
				theirLost = append(theirLost, seq)
			case n == 0:
				lost = append(lost, seq)
			case n > 1 && b.witness != nil && b.witness.brokerDuplicated("publisher", key):
				theirDup = append(theirDup, seq)
			case n > 1:
				dup = append(dup, seq)
			}
		}
		summary := fmt.Sprintf("%s, restart: %d QoS 2 messages, %d kills, %d restarts, lost %d, duplicated %d",
			b.name, restartMessages, kills, kills, len(lost)+len(theirLost), len(dup)+len(theirDup))
		if b.witness != nil {
			summary += fmt.Sprintf(" (broker's own: %d lost, %d duplicated)", len(theirLost), len(theirDup))
		}
		t.Logf("%s, %v", summary, time.Since(start).Round(time.Millisecond))
		assert.Zero(t, len(lost), "messages lost (first %v), want none", first(lost))
		assert.Zero(t, len(dup), "messages delivered more than once (first %v), want exactly once", first(dup))
		assert.Empty(t, rc.bad, "deliveries that match no published message")
	})
}

// childLines returns the child's own report lines from its output.
func childLines(out []byte) string {
	var lines [][]byte
	for _, line := range bytes.Split(out, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("child: ")) {
			lines = append(lines, line[len("child: "):])
		}
	}
	return string(bytes.Join(lines, []byte("; ")))
}
