package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/mqtttest"
)

func TestPubSubText(t *testing.T) {
	srv := mqtttest.NewServer(t)
	sub := subscribed(t, srv, "test/x", "-t", "test/#", "-t", "other", "-v", "-C", "4", "-q", "2")
	ok(t, nil, at(srv, "pub", "-t", "test/a", "-m", "hello")...)
	ok(t, nil, at(srv, "pub", "-t", "test/b", "-m", "world", "-q", "1")...)
	ok(t, nil, at(srv, "pub", "-t", "test/c", "-n", "-q", "2")...)
	ok(t, nil, at(srv, "pub", "-t", "other", "-m", "second filter")...)
	r := sub.wait()
	assert.Equal(t, exitOK, r.code, "sub exit status; stderr: %s", r.stderr)
	assert.Equal(t, "test/a hello\ntest/b world\ntest/c \nother second filter\n", r.stdout)
}

// TestPubSources publishes from each source pub offers and checks what a
// subscriber receives, through sub --json.
func TestPubSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "payload")
	require.NoError(t, os.WriteFile(file, []byte("from\na file\n"), 0o644))
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"message", []string{"-m", "from -m"}, "", []string{"from -m"}},
		{"file", []string{"-f", file}, "", []string{"from\na file\n"}},
		{"whole stdin", []string{"-s"}, "all\nof it\n", []string{"all\nof it\n"}},
		{"lines", []string{"-l"}, "one\ntwo\r\n\nlast", []string{"one", "two", "", "last"}},
		{"null", []string{"-n"}, "", []string{""}},
		{"message at QoS 1", []string{"-m", "q1", "-q", "1"}, "", []string{"q1"}},
		{"lines at QoS 2", []string{"-l", "-q", "2"}, "a\nb\n", []string{"a", "b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := mqtttest.NewServer(t)
			sub := subscribed(t, srv, "src", "-t", "src", "--json", "-q", "2", "-C", strconv.Itoa(len(tt.want)))
			ok(t, []byte(tt.stdin), at(srv, "pub", append([]string{"-t", "src"}, tt.args...)...)...)
			r := sub.wait()
			require.Equal(t, exitOK, r.code, "sub: %s", r.stderr)
			var got []string
			for _, m := range decodeJSON(t, r.stdout) {
				got = append(got, m.Payload)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// decodeJSON decodes sub --json output, one object per line.
func decodeJSON(t *testing.T, out string) []jsonMessage {
	t.Helper()
	var ms []jsonMessage
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m jsonMessage
		require.NoError(t, json.Unmarshal([]byte(line), &m), "line %q", line)
		ms = append(ms, m)
	}
	return ms
}

func TestSubJSON(t *testing.T) {
	srv := mqtttest.NewServer(t)
	bin := []byte{0x00, 0xff, 0xfe, 'a', 0x80}
	require.NoError(t, srv.Publish("j/retained", []byte("kept"), 1, true))
	sub := subscribed(t, srv, "j/x", "-t", "j/#", "-q", "1", "--json", "-C", "3")
	require.NoError(t, srv.Publish("j/text", []byte("21.5 °C"), 1, false))
	require.NoError(t, srv.Publish("j/bin", bin, 0, false))
	r := sub.wait()
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	assert.JSONEq(t, `{"topic":"j/retained","qos":1,"retain":true,"dup":false,"payload":"kept","encoding":"text"}`, lines[0])
	assert.JSONEq(t, `{"topic":"j/text","qos":1,"retain":false,"dup":false,"payload":"21.5 °C","encoding":"text"}`, lines[1])
	assert.JSONEq(t, `{"topic":"j/bin","qos":0,"retain":false,"dup":false,"payload":"`+base64.StdEncoding.EncodeToString(bin)+`","encoding":"base64"}`, lines[2])
}

func TestSubHexAndRaw(t *testing.T) {
	srv := mqtttest.NewServer(t)
	payload := []byte{0x00, 0x01, 0xab, 0xff}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"hex", []string{"--hex"}, "0001abff\n"},
		{"hex with topic", []string{"--hex", "-v"}, "h/1 0001abff\n"},
		{"raw without newline", []string{"-N"}, string(payload)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub := subscribed(t, srv, "h/1", append([]string{"-t", "h/1", "-C", "1"}, tt.args...)...)
			require.NoError(t, srv.Publish("h/1", payload, 0, false))
			r := sub.wait()
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, tt.want, r.stdout)
		})
	}
}

func TestSubRetained(t *testing.T) {
	srv := mqtttest.NewServer(t)
	ok(t, nil, at(srv, "pub", "-t", "r/state", "-m", "on", "-r", "-q", "1")...)
	r := ok(t, nil, at(srv, "sub", "-t", "r/state", "-C", "1", "--json")...)
	m := decodeJSON(t, r.stdout)
	require.Len(t, m, 1)
	assert.True(t, m[0].Retain, "retained message")
	assert.Equal(t, "on", m[0].Payload)

	// -R skips the retained message and prints the live one.
	sub := subscribed(t, srv, "r/state", "-t", "r/state", "-C", "1", "-R")
	ok(t, nil, at(srv, "pub", "-t", "r/state", "-m", "off")...)
	r = sub.wait()
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "off\n", r.stdout)
}

func TestSubTimeoutExitStatus(t *testing.T) {
	srv := mqtttest.NewServer(t)
	r := onmqtt(t, nil, at(srv, "sub", "-t", "quiet", "-W", "1")...)
	assert.Equal(t, exitTimeout, r.code, "no message within -W: stderr %s", r.stderr)
	assert.Empty(t, r.stdout)

	// Fewer messages than -C before -W: the messages, then status 27.
	sub := subscribed(t, srv, "few", "-t", "few", "-C", "2", "-W", "2")
	require.NoError(t, srv.Publish("few", []byte("only one"), 0, false))
	r = sub.wait()
	assert.Equal(t, exitTimeout, r.code)
	assert.Equal(t, "only one\n", r.stdout)

	// -C reached before -W: status 0.
	sub = subscribed(t, srv, "enough", "-t", "enough", "-C", "1", "-W", "20")
	require.NoError(t, srv.Publish("enough", []byte("x"), 0, false))
	r = sub.wait()
	assert.Equal(t, exitOK, r.code)
}

func TestExitStatus(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithUser("alice", "pw"), mqtttest.WithDeny("forbidden/#"))
	closed := mqtttest.NewServer(t)
	closedArgs := hostPort(t, closed.URL())
	require.NoError(t, closed.Close())
	auth := []string{"-u", "alice", "-P", "pw"}
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, exitUsage, "usage"},
		{"unknown command", []string{"frob"}, exitUsage, "unknown command"},
		{"unknown flag", at(srv, "pub", "--frob"), exitUsage, "frob"},
		{"pub without topic", at(srv, "pub", "-m", "x"), exitUsage, "no topic"},
		{"pub without message", at(srv, "pub", "-t", "a"), exitUsage, "exactly one of"},
		{"pub with two sources", at(srv, "pub", "-t", "a", "-m", "x", "-n"), exitUsage, "exactly one of"},
		{"pub to a wildcard", at(srv, "pub", "-t", "a/#", "-m", "x"), exitUsage, "a/#"},
		{"pub at QoS 3", at(srv, "pub", "-t", "a", "-m", "x", "-q", "3"), exitUsage, "-q 3"},
		{"pub from a missing file", at(srv, "pub", "-t", "a", "-f", "/nonexistent/file"), exitFailure, "nonexistent"},
		{"unknown protocol version", at(srv, "pub", "-t", "a", "-m", "x", "-V", "4"), exitUsage, "want 31, 311 or 5"},
		{"sub without filter", at(srv, "sub"), exitUsage, "no topic filter"},
		{"sub to an invalid filter", at(srv, "sub", "-t", "a/#/b"), exitUsage, "a/#/b"},
		{"sub with json and hex", at(srv, "sub", "-t", "a", "--json", "--hex"), exitUsage, "exclude"},
		{"explain without routes", at(srv, "sub", "-t", "a", "--explain"), exitUsage, "--route"},
		{"bad route", at(srv, "sub", "--route", "x=color:red"), exitUsage, "color:"},
		{"connection refused", append([]string{"pub", "-t", "a", "-m", "x"}, closedArgs...), exitFailure, "connection refused"},
		{"not authorized", at(srv, "pub", "-t", "a", "-m", "x", "-u", "alice", "-P", "wrong"), exitFailure, "not authorized"},
		{"subscription refused", at(srv, "sub", append(auth, "-t", "forbidden/x")...), exitFailure, "subscribe"},
		{"authorized", at(srv, "pub", append(auth, "-t", "a", "-m", "x", "-q", "1")...), exitOK, ""},
		{"version", []string{"version"}, exitOK, ""},
		{"help", at(srv, "sub", "--help"), exitOK, "-route NAME=CONDITION[@PRIORITY]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := onmqtt(t, nil, tt.args...)
			assert.Equal(t, tt.code, r.code, "exit status; stderr:\n%s", r.stderr)
			assert.Contains(t, r.stderr, tt.stderr)
		})
	}
}

func TestConnectionFlags(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithWebSocket(), mqtttest.WithClientCertificates(),
		mqtttest.WithUnixSocket(), mqtttest.WithUser("u", "p"))
	files, err := srv.WriteCertFiles(t.TempDir())
	require.NoError(t, err)
	tlsFlags := []string{"--cafile", files.CA, "--cert", files.Cert, "--key", files.Key}
	tlsHost := hostPort(t, srv.TLSURL())
	port := strconv.Itoa(srv.Port())
	for _, tt := range []struct {
		name string
		pub  []string
		sub  []string
	}{
		{"-L with user and topic", []string{"-L", "mqtt://u:p@127.0.0.1:" + port + "/via/url"}, []string{"-L", "mqtt://u:p@127.0.0.1:" + port + "/via/url"}},
		{"unix socket", []string{"-L", srv.UnixURL(), "-u", "u", "-P", "p", "-t", "via/url"}, []string{"-L", srv.UnixURL(), "-u", "u", "-P", "p", "-t", "via/url"}},
		{"websocket", []string{"-L", srv.WebSocketURL(), "-u", "u", "-P", "p", "-t", "via/url"}, []string{"-L", srv.WebSocketURL(), "-u", "u", "-P", "p", "-t", "via/url"}},
		{"tls with client certificate", append(append(tlsFlags, tlsHost...), "-u", "u", "-P", "p", "-t", "via/url"), append(append(tlsFlags, tlsHost...), "-u", "u", "-P", "p", "-t", "via/url")},
		{"mqtts URL", append(tlsFlags, "-L", "mqtts://u:p@"+strings.TrimPrefix(srv.TLSURL(), "tls://")+"/via/url"), append(tlsFlags, "-L", "mqtts://u:p@"+strings.TrimPrefix(srv.TLSURL(), "tls://")+"/via/url")},
		{"MQTT 3.1, client id, keepalive", []string{"-L", "mqtt://u:p@127.0.0.1:" + port, "-t", "via/url", "-V", "31", "-i", "pub31", "-k", "5"}, []string{"-L", "mqtt://u:p@127.0.0.1:" + port, "-t", "via/url", "-V", "mqttv31", "-i", "sub31", "-k", "5"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := withID(append([]string{"-C", "1", "-v"}, tt.sub...))
			sub := start(t, nil, append([]string{"sub"}, args...)...)
			waitSubscribed(t, srv, sub, "via/url", args)
			ok(t, nil, append([]string{"pub", "-m", tt.name}, tt.pub...)...)
			r := sub.wait()
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, "via/url "+tt.name+"\n", r.stdout)
		})
	}
}

// TestSubInterrupt stops sub with SIGINT once it has printed a message:
// the exit status is 0, as with mosquitto_sub.
func TestSubInterrupt(t *testing.T) {
	srv := mqtttest.NewServer(t)
	cmd := exec.Command(onmqttBinary, at(srv, "sub", "-t", "live")...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	require.NoError(t, srv.WaitSubscribed(t.Context(), "live", 1))
	require.NoError(t, srv.Publish("live", []byte("before the signal"), 1, false))
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "before the signal\n", line)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Empty(t, rest)
	err = cmd.Wait()
	assert.NoError(t, err, "exit status after SIGINT; stderr: %s", &stderr)
}

// TestSubConnectionLost drops sub's connection: it exits with status 1
// and says why.
func TestSubConnectionLost(t *testing.T) {
	srv := mqtttest.NewServer(t)
	sub := subscribed(t, srv, "t", "-t", "t", "-i", "doomed")
	require.NoError(t, srv.Drop("doomed"))
	r := sub.wait()
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "connection lost")
}
