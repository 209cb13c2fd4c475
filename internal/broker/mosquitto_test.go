package broker

import (
	"crypto/tls"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// startMosquitto is brokertest.Mosquitto, which this package's own tests
// cannot import.
func startMosquitto(t *testing.T, opts MosquittoOptions) *Mosquitto {
	t.Helper()
	m, err := StartMosquitto(opts)
	if errors.Is(err, ErrNoMosquitto) || errors.Is(err, ErrNoDynsec) {
		require.False(t, MosquittoRequired(), "%v", err)
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", m.Log())
		}
		assert.NoError(t, m.Close(), "Close")
	})
	return m
}

func TestMosquittoListeners(t *testing.T) {
	set := newCerts(t)
	m := startMosquitto(t, MosquittoOptions{TLS: set, WebSocket: true, Unix: true})
	require.False(t, strings.HasSuffix(m.Addr(), ":1883"), "Addr() = %s, the standard port", m.Addr())
	for _, tt := range []struct {
		name string
		url  string
		tls  *tls.Config
	}{
		{"tcp", m.Addr(), nil},
		{"tls", m.TLSAddr(), set.ClientTLS(false)},
		{"websocket", m.WSAddr(), nil},
		{"unix", m.UnixAddr(), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.url, "no address")
			c := dialRaw(t, tt.url, tt.tls)
			c.mustConnect("listener-" + tt.name)
			c.roundTrip("test/" + tt.name)
		})
	}
}

func TestMosquittoMutualTLS(t *testing.T) {
	set := newCerts(t)
	m := startMosquitto(t, MosquittoOptions{TLS: set, RequireCertificate: true})

	c := dialRaw(t, m.TLSAddr(), set.ClientTLS(true))
	c.mustConnect("with-cert")

	require.Error(t, tryConnect(t, m.TLSAddr(), set.ClientTLS(false)), "connected without a client certificate")
}

func TestMosquittoUsers(t *testing.T) {
	m := startMosquitto(t, MosquittoOptions{Users: map[string]string{"alice": "s3cret:with$signs", "bob": "x"}})
	for _, tt := range []struct {
		name string
		cn   message.Connect
		want message.ConnackCode
	}{
		{"right password", message.Connect{UsernameFlag: true, Username: "alice", PasswordFlag: true, Password: []byte("s3cret:with$signs")}, message.Accepted},
		{"other user", message.Connect{UsernameFlag: true, Username: "bob", PasswordFlag: true, Password: []byte("x")}, message.Accepted},
		{"wrong password", message.Connect{UsernameFlag: true, Username: "alice", PasswordFlag: true, Password: []byte("guess")}, message.RefusedNotAuthorized},
		{"no password", message.Connect{UsernameFlag: true, Username: "alice"}, message.RefusedNotAuthorized},
		{"unknown user", message.Connect{UsernameFlag: true, Username: "carol", PasswordFlag: true, Password: []byte("x")}, message.RefusedNotAuthorized},
		{"anonymous", message.Connect{}, message.RefusedNotAuthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, m.Addr(), nil)
			tt.cn.ClientID, tt.cn.CleanSession = "user-test", true
			ack := c.connect(tt.cn)
			require.Equal(t, tt.want, ack.ReturnCode, "CONNACK")
			if tt.want != message.Accepted {
				c.expectClosed()
			}
		})
	}
}

func TestMosquittoDenyFilters(t *testing.T) {
	for _, tt := range []struct {
		name  string
		users map[string]string
		cn    message.Connect
	}{
		{"anonymous", nil, message.Connect{}},
		{"user", map[string]string{"alice": "pw"}, message.Connect{UsernameFlag: true, Username: "alice", PasswordFlag: true, Password: []byte("pw")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := startMosquitto(t, MosquittoOptions{DenyFilters: []string{"secret/#", "private"}, Users: tt.users})
			c := dialRaw(t, m.Addr(), nil)
			tt.cn.ClientID, tt.cn.CleanSession = "acl", true
			ack := c.connect(tt.cn)
			require.Equal(t, message.Accepted, ack.ReturnCode, "CONNACK")
			filters := []string{"secret/#", "secret/+", "secret/a/b", "secret", "private", "public/#", "privateer"}
			want := []message.SubackCode{0x80, 0x80, 0x80, 0x80, 0x80, 1, 1}
			got := c.subscribe(7, filters...)
			require.Len(t, got, len(want), "SUBACK codes")
			for i := range want {
				assert.Equal(t, want[i], got[i], "SUBACK for %q", filters[i])
			}

			// A publication to a denied topic is acknowledged and dropped:
			// the subscription to "#" sees only the allowed one.
			got = c.subscribe(8, "#")
			require.Equal(t, message.SubackCode(1), got[0], "SUBACK for # = %v", got)
			c.send(&message.Publish{Message: message.Message{Topic: "secret/x", Payload: []byte("no"), QoS: 1, PacketID: 9}})
			c.send(&message.Publish{Message: message.Message{Topic: "public/x", Payload: []byte("yes"), QoS: 1, PacketID: 10}})
			// Messages to one subscriber keep their order, so a delivery of
			// the denied message would come before the allowed one.
			acked := map[uint16]bool{}
			delivered := false
			for len(acked) < 2 || !delivered {
				switch p := c.expectAny(message.PUBACK, message.PUBLISH).(type) {
				case *message.Puback:
					acked[p.PacketID] = true
				case *message.Publish:
					require.Equal(t, "public/x", p.Topic, "delivered a denied topic")
					c.send(&message.Puback{PacketID: p.PacketID})
					delivered = true
				}
			}
			assert.True(t, acked[9] && acked[10], "acknowledged %v, want 9 and 10", acked)
		})
	}
}

func TestMosquittoRestart(t *testing.T) {
	for _, tt := range []struct {
		name        string
		persistence bool
		kill        bool
		wantSession bool
	}{
		{"no persistence", false, false, false},
		{"persistence", true, false, true},
		{"persistence, killed", true, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := startMosquitto(t, MosquittoOptions{Persistence: tt.persistence})
			addr := m.Addr()
			c := dialRaw(t, addr, nil)
			ack := c.connect(message.Connect{ClientID: "restart", KeepAlive: 60})
			require.Equal(t, message.Accepted, ack.ReturnCode, "CONNACK")
			c.subscribe(1, "keep/#")
			if tt.kill {
				require.NoError(t, m.Kill())
				require.False(t, m.Running(), "Running() after Kill")
			}
			require.NoError(t, m.Restart())
			c.expectClosed()
			require.Equal(t, addr, m.Addr(), "address after restart")
			c = dialRaw(t, addr, nil)
			ack = c.connect(message.Connect{ClientID: "restart", KeepAlive: 60})
			assert.Equal(t, message.Accepted, ack.ReturnCode, "CONNACK after restart %+v, want session present %v", ack, tt.wantSession)
			assert.Equal(t, tt.wantSession, ack.SessionPresent, "CONNACK after restart %+v, want session present %v", ack, tt.wantSession)
		})
	}
}

func TestMosquittoStartErrors(t *testing.T) {
	_, err := StartMosquitto(MosquittoOptions{Binary: "/nonexistent/mosquitto"})
	assert.ErrorIs(t, err, ErrNoMosquitto, "missing binary")
	if _, err := FindMosquitto(); err != nil {
		require.False(t, MosquittoRequired(), "%v", err)
		t.Skip(err)
	}
	_, err = StartMosquitto(MosquittoOptions{ExtraConfig: "no_such_option 1"})
	require.Error(t, err, "bad configuration: no error")
	assert.ErrorIs(t, err, ErrNotReady, "bad configuration: want ErrNotReady quoting the log")
	assert.Contains(t, err.Error(), "no_such_option", "bad configuration: want ErrNotReady quoting the log")
}

func TestMosquittoCloseRemovesDir(t *testing.T) {
	m := startMosquitto(t, MosquittoOptions{Persistence: true})
	dir := m.Dir()
	require.NoError(t, m.Close())
	_, err := os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "%s still there after Close: %v", dir, err)
	assert.ErrorIs(t, m.Restart(), ErrClosed, "Restart after Close")
}

// TestPasswdLine checks the password-file line against mosquitto_passwd
// itself, using the salt it chose.
func TestPasswdLine(t *testing.T) {
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		require.False(t, MosquittoRequired(), "%v", err)
		t.Skip(err)
	}
	for _, pw := range []string{"secret", "", "päss wörd:$7$", strings.Repeat("x", 200)} {
		file := filepath.Join(t.TempDir(), "pw")
		out, err := exec.Command(bin, "-b", "-c", file, "alice", pw).CombinedOutput()
		require.NoError(t, err, "mosquitto_passwd:\n%s", out)
		want, err := os.ReadFile(file)
		require.NoError(t, err)
		fields := strings.Split(strings.TrimSpace(string(want)), "$")
		require.True(t, len(fields) == 5 && fields[1] == "7", "mosquitto_passwd wrote %q, want user:$7$iterations$salt$hash", want)
		salt, err := decodeB64(fields[3])
		require.NoError(t, err)
		got, err := passwdLine("alice", pw, salt)
		require.NoError(t, err)
		assert.Equal(t, string(want), got, "password %q", pw)
	}
}
