package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
)

// mosquittoTool finds mosquitto_pub or mosquitto_sub, failing the test
// when it is missing and ONMQTT_REQUIRE_MOSQUITTO=1, skipping it
// otherwise.
func mosquittoTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if broker.MosquittoRequired() {
			require.NoErrorf(t, err, "%s not found (%s=1)", name, broker.RequireMosquittoEnv)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

// external is a mosquitto client program running in the background.
type external struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan error
}

func startExternal(t *testing.T, path string, args ...string) *external {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	x := &external{done: make(chan error, 1)}
	x.cmd = exec.CommandContext(ctx, path, args...)
	x.cmd.Stdout, x.cmd.Stderr = &x.stdout, &x.stderr
	require.NoError(t, x.cmd.Start())
	go func() {
		x.done <- x.cmd.Wait()
		cancel()
	}()
	t.Cleanup(func() { x.cmd.Process.Kill() })
	return x
}

// untilExit calls publish every 100 ms until the subscriber exits, and
// returns its exit error: a broker that is not ours gives no way to see
// when a subscription is in place, so the first messages may find none.
func untilExit(t *testing.T, exited func() (bool, error), publish func()) error {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		publish()
		for range 10 {
			if done, err := exited(); done {
				return err
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	require.FailNow(t, "the subscriber received nothing within 20 s")
	return nil
}

// TestInteropMosquitto sends empty, binary and 256 KiB payloads through a
// mosquitto started for the test, from onmqtt pub to mosquitto_sub and
// from mosquitto_pub to onmqtt sub, at every QoS, and requires them to
// arrive byte for byte.
func TestInteropMosquitto(t *testing.T) {
	mosqPub := mosquittoTool(t, "mosquitto_pub")
	mosqSub := mosquittoTool(t, "mosquitto_sub")
	m := brokertest.Mosquitto(t, broker.MosquittoOptions{})
	conn := hostPort(t, m.Addr())

	large := make([]byte, 256<<10)
	_, err := rand.Read(large)
	require.NoError(t, err)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"binary", all},
		{"256KiB", large},
	} {
		file := filepath.Join(dir, tt.name)
		require.NoError(t, os.WriteFile(file, tt.payload, 0o644))
		for qos := range 3 {
			q := strconv.Itoa(qos)
			t.Run(tt.name+"/QoS"+q+"/onmqtt-to-mosquitto", func(t *testing.T) {
				topic := "interop/to-mosquitto/" + tt.name + "/" + q
				sub := startExternal(t, mosqSub, append(conn, "-t", topic, "-q", q, "-C", "1", "-N")...)
				err := untilExit(t, func() (bool, error) {
					select {
					case err := <-sub.done:
						return true, err
					default:
						return false, nil
					}
				}, func() { ok(t, nil, append([]string{"pub", "-t", topic, "-q", q, "-f", file}, conn...)...) })
				require.NoError(t, err, "mosquitto_sub: %s", &sub.stderr)
				assert.True(t, bytes.Equal(tt.payload, sub.stdout.Bytes()), "got %d bytes, want %d", sub.stdout.Len(), len(tt.payload))
			})
			t.Run(tt.name+"/QoS"+q+"/mosquitto-to-onmqtt", func(t *testing.T) {
				topic := "interop/to-onmqtt/" + tt.name + "/" + q
				sub := start(t, nil, append([]string{"sub", "-t", topic, "-q", q, "-C", "1", "-N"}, conn...)...)
				args := append(conn, "-t", topic, "-q", q)
				if len(tt.payload) == 0 {
					args = append(args, "-n")
				} else {
					args = append(args, "-f", file)
				}
				untilExit(t, func() (bool, error) { return sub.exited(), nil }, func() {
					out, err := exec.Command(mosqPub, args...).CombinedOutput()
					require.NoError(t, err, "mosquitto_pub: %s", out)
				})
				r := sub.wait()
				require.Equal(t, exitOK, r.code, r.stderr)
				assert.True(t, bytes.Equal(tt.payload, []byte(r.stdout)), "got %d bytes, want %d", len(r.stdout), len(tt.payload))
			})
		}
	}
}

// TestPersistentSession uses -c and -i: messages published while the
// subscriber is away wait in its session, and the next run with the same
// client id gets them.
func TestPersistentSession(t *testing.T) {
	m := brokertest.Mosquitto(t, broker.MosquittoOptions{})
	conn := hostPort(t, m.Addr())
	session := append([]string{"-t", "queued", "-q", "1", "-c", "-i", "keeper"}, conn...)
	r := onmqtt(t, nil, append([]string{"sub", "-W", "1"}, session...)...)
	require.Equal(t, exitTimeout, r.code, r.stderr)
	ok(t, nil, append([]string{"pub", "-t", "queued", "-q", "1", "-m", "while away"}, conn...)...)
	r = ok(t, nil, append([]string{"sub", "-C", "1"}, session...)...)
	assert.Equal(t, "while away\n", r.stdout)
}

// TestBenchMosquitto runs bench against mosquitto at QoS 2: every
// message reaches both subscribers exactly once.
func TestBenchMosquitto(t *testing.T) {
	m := brokertest.Mosquitto(t, broker.MosquittoOptions{})
	r := ok(t, nil, append([]string{"bench", "--publishers", "2", "--subscribers", "2", "-q", "2", "--count", "100", "--json"}, hostPort(t, m.Addr())...)...)
	var res benchResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	assert.Equal(t, int64(200), res.Completed)
	assert.Equal(t, int64(400), res.Received)
	assert.Zero(t, res.Lost)
}
