package broker

import (
	"crypto/tls"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onmqtt/onmqtt/message"
)

// startMosquitto is brokertest.Mosquitto, which this package's own tests
// cannot import.
func startMosquitto(t *testing.T, opts MosquittoOptions) *Mosquitto {
	t.Helper()
	m, err := StartMosquitto(opts)
	if errors.Is(err, ErrNoMosquitto) || errors.Is(err, ErrNoDynsec) {
		if MosquittoRequired() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", m.Log())
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func TestMosquittoListeners(t *testing.T) {
	set := newCerts(t)
	m := startMosquitto(t, MosquittoOptions{TLS: set, WebSocket: true, Unix: true})
	if strings.HasSuffix(m.Addr(), ":1883") {
		t.Fatalf("Addr() = %s, the standard port", m.Addr())
	}
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
			if tt.url == "" {
				t.Fatal("no address")
			}
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

	if err := tryConnect(t, m.TLSAddr(), set.ClientTLS(false)); err == nil {
		t.Fatal("connected without a client certificate")
	}
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
			if ack := c.connect(tt.cn); ack.ReturnCode != tt.want {
				t.Fatalf("CONNACK %v, want %v", ack.ReturnCode, tt.want)
			}
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
			if ack := c.connect(tt.cn); ack.ReturnCode != message.Accepted {
				t.Fatalf("CONNACK %v", ack.ReturnCode)
			}
			filters := []string{"secret/#", "secret/+", "secret/a/b", "secret", "private", "public/#", "privateer"}
			want := []message.SubackCode{0x80, 0x80, 0x80, 0x80, 0x80, 1, 1}
			got := c.subscribe(7, filters...)
			if len(got) != len(want) {
				t.Fatalf("SUBACK has %d codes, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("SUBACK for %q = %v, want %v", filters[i], got[i], want[i])
				}
			}

			// A publication to a denied topic is acknowledged and dropped:
			// the subscription to "#" sees only the allowed one.
			if got := c.subscribe(8, "#"); got[0] != 1 {
				t.Fatalf("SUBACK for # = %v", got)
			}
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
					if p.Topic != "public/x" {
						t.Fatalf("delivered %q, a denied topic", p.Topic)
					}
					c.send(&message.Puback{PacketID: p.PacketID})
					delivered = true
				}
			}
			if !acked[9] || !acked[10] {
				t.Errorf("acknowledged %v, want 9 and 10", acked)
			}
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
			if ack := c.connect(message.Connect{ClientID: "restart", KeepAlive: 60}); ack.ReturnCode != 0 {
				t.Fatalf("CONNACK %v", ack.ReturnCode)
			}
			c.subscribe(1, "keep/#")
			if tt.kill {
				if err := m.Kill(); err != nil {
					t.Fatal(err)
				}
				if m.Running() {
					t.Fatal("Running() after Kill")
				}
			}
			if err := m.Restart(); err != nil {
				t.Fatal(err)
			}
			c.expectClosed()
			if m.Addr() != addr {
				t.Fatalf("address after restart %s, want %s", m.Addr(), addr)
			}
			c = dialRaw(t, addr, nil)
			ack := c.connect(message.Connect{ClientID: "restart", KeepAlive: 60})
			if ack.ReturnCode != 0 || ack.SessionPresent != tt.wantSession {
				t.Errorf("CONNACK after restart %+v, want session present %v", ack, tt.wantSession)
			}
		})
	}
}

func TestMosquittoStartErrors(t *testing.T) {
	if _, err := StartMosquitto(MosquittoOptions{Binary: "/nonexistent/mosquitto"}); !errors.Is(err, ErrNoMosquitto) {
		t.Errorf("missing binary: error %v, want ErrNoMosquitto", err)
	}
	if _, err := FindMosquitto(); err != nil {
		if MosquittoRequired() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	_, err := StartMosquitto(MosquittoOptions{ExtraConfig: "no_such_option 1"})
	if err == nil {
		t.Fatal("bad configuration: no error")
	}
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "no_such_option") {
		t.Errorf("bad configuration: error %q, want ErrNotReady quoting the log", err)
	}
}

func TestMosquittoCloseRemovesDir(t *testing.T) {
	m := startMosquitto(t, MosquittoOptions{Persistence: true})
	dir := m.Dir()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after Close: %v", dir, err)
	}
	if err := m.Restart(); !errors.Is(err, ErrClosed) {
		t.Errorf("Restart after Close: %v, want ErrClosed", err)
	}
}

// TestPasswdLine checks the password-file line against mosquitto_passwd
// itself, using the salt it chose.
func TestPasswdLine(t *testing.T) {
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		if MosquittoRequired() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	for _, pw := range []string{"secret", "", "päss wörd:$7$", strings.Repeat("x", 200)} {
		file := filepath.Join(t.TempDir(), "pw")
		if out, err := exec.Command(bin, "-b", "-c", file, "alice", pw).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fields := strings.Split(strings.TrimSpace(string(want)), "$")
		if len(fields) != 5 || fields[1] != "7" {
			t.Fatalf("mosquitto_passwd wrote %q, want user:$7$iterations$salt$hash", want)
		}
		salt, err := decodeB64(fields[3])
		if err != nil {
			t.Fatal(err)
		}
		got, err := passwdLine("alice", pw, salt)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("password %q:\ngot  %q\nwant %q", pw, got, want)
		}
	}
}
