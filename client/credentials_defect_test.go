package client_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
)

// User information in the broker URL is the MQTT user name and password;
// WithCredentials wins over it.
func TestDefectURLCredentials(t *testing.T) {
	tests := []struct {
		name         string
		userinfo     string
		opts         []client.Option
		user         string
		userSet      bool
		pass         string
		passwordFlag bool
	}{
		{"user and password", "alice:s3cret@", nil, "alice", true, "s3cret", true},
		{"user alone", "bob@", nil, "bob", true, "", false},
		{"escaped", "c%40rol:p%3Aw@", nil, "c@rol", true, "p:w", true},
		{"explicit credentials win", "alice:s3cret@", []client.Option{client.WithCredentials("dave", []byte("pw"))}, "dave", true, "pw", true},
		{"none", "", nil, "", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := peer.Open(t)
			c := newClient(t, append(tt.opts, client.WithKeepAlive(0))...)
			done := make(chan error, 1)
			url := strings.Replace(p.Addr(), "tcp://", "tcp://"+tt.userinfo, 1)
			go func() {
				_, err := c.Connect(testContext(t), url)
				done <- err
			}()
			cn := peerHandshake(t, p, false)
			require.NoError(t, <-done)
			assert.Equal(t, tt.userSet, cn.UsernameFlag)
			assert.Equal(t, tt.user, cn.Username)
			assert.Equal(t, tt.passwordFlag, cn.PasswordFlag)
			assert.Equal(t, tt.pass, string(cn.Password))
		})
	}
}

// ws://user:pw@ never sends the user information as HTTP Basic
// authentication: it goes in CONNECT only.
func TestDefectWebSocketURLCredentialsNotInHTTP(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	c := newClient(t)
	_, err := c.Connect(testContext(t), strings.Replace(srv.URL, "http://", "ws://alice:s3cret@", 1))
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, auth, "the server saw no request")
	assert.Equal(t, []string{""}, auth)
}
