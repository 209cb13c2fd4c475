package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/mqtttest"
)

// buildFlags are passed to go build for the command under test.
var buildFlags []string

// onmqttBinary is the command built for the tests.
var onmqttBinary string

// runTimeout bounds one run of the command; runs take well under a
// second, the bound only stops a hung one.
const runTimeout = 30 * time.Second

// TestMain builds the command once into a temporary directory: the tests
// run the binary as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onmqtt-cmd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	onmqttBinary = filepath.Join(dir, "onmqtt")
	args := append([]string{"build", "-o", onmqttBinary}, buildFlags...)
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is how one run of the command ended.
type result struct {
	stdout, stderr string
	code           int
}

// proc is a run of the command in the background.
type proc struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

// start runs the command with args and stdin in the background. The test
// ends it if it is still running when the test ends.
func start(t *testing.T, stdin []byte, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	p := &proc{t: t, done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, onmqttBinary, args...)
	p.cmd.Stdin = bytes.NewReader(stdin)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	// A binary built with -race exits with status 66 when it finds a
	// race; this keeps it from sleeping a second before exiting.
	p.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	p.cmd.WaitDelay = time.Second
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// exited reports whether the run has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the run to end and returns its result.
func (p *proc) wait() result {
	p.t.Helper()
	<-p.done
	code := 0
	if p.err != nil {
		ee, ok := p.err.(*exec.ExitError)
		require.True(p.t, ok, "onmqtt %s: %v\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), p.err, &p.stderr)
		code = ee.ExitCode()
	}
	r := result{stdout: p.stdout.String(), stderr: p.stderr.String(), code: code}
	require.NotEqual(p.t, 66, r.code, "race detected:\n%s", r.stderr)
	return r
}

// onmqtt runs the command with args and stdin to the end.
func onmqtt(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	return start(t, stdin, args...).wait()
}

// ok runs the command and requires exit status 0.
func ok(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	r := onmqtt(t, stdin, args...)
	require.Equal(t, exitOK, r.code, "onmqtt %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	return r
}

// hostPort returns the -h and -p flags for a listener URL.
func hostPort(t *testing.T, rawURL string) []string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(u.Host)
	require.NoError(t, err)
	return []string{"-h", host, "-p", port}
}

// at returns the arguments of a subcommand run against srv's TCP
// listener: the subcommand, -h and -p, then args.
func at(srv *mqtttest.Server, cmd string, args ...string) []string {
	return append([]string{cmd, "-h", srv.Host(), "-p", strconv.Itoa(srv.Port())}, args...)
}

// subscribers numbers the subscribers started by subscribed.
var subscribers atomic.Int64

// subscribed starts sub with args against srv and returns once it has
// subscribed to a filter matching probe. Unless args give -i, the
// subscriber gets a client identifier of its own, so that a subscriber
// of an earlier test that is still leaving is not taken for this one.
func subscribed(t *testing.T, srv *mqtttest.Server, probe string, args ...string) *proc {
	t.Helper()
	args = withID(args)
	p := start(t, nil, at(srv, "sub", args...)...)
	waitSubscribed(t, srv, p, probe, args)
	return p
}

// withID prepends a new -i to sub's args when they have none.
func withID(args []string) []string {
	if clientID(args) != "" {
		return args
	}
	return append([]string{"-i", fmt.Sprintf("onmqtt-test-sub-%d", subscribers.Add(1))}, args...)
}

// clientID returns the identifier the last -i of args gives, or "".
func clientID(args []string) string {
	id := ""
	for i, a := range args {
		if a == "-i" && i+1 < len(args) {
			id = args[i+1]
		}
	}
	return id
}

// waitSubscribed waits until the sub run p, started with args, has a
// subscription matching probe on srv.
func waitSubscribed(t *testing.T, srv *mqtttest.Server, p *proc, probe string, args []string) {
	t.Helper()
	id := clientID(args)
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(srv.Subscribers(probe), id) {
		if time.Now().After(deadline) || p.exited() {
			p.cmd.Process.Kill()
			r := p.wait()
			require.FailNowf(t, "no subscription", "sub %v did not subscribe to %s (exit %d)\nstderr:\n%s", args, probe, r.code, r.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
