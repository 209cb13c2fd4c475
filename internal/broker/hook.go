package broker

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onmqtt/onmqtt/message"
)

// authHook is the embedded broker's only authentication and ACL hook:
// without a hook that allows them, mochi refuses every connection.
type authHook struct {
	mqtt.HookBase
	users map[string]string // nil allows everyone
	deny  []string
	allow func(clientID, username, topic string, write bool) bool // nil allows
	// waitDropped returns once no earlier connection with the client
	// identifier is being dropped (see Embedded.Drop).
	waitDropped func(clientID string)
}

// ID names the hook in mochi's logs.
func (h *authHook) ID() string { return "onmqtt-auth" }

// Provides reports the two methods the hook implements.
func (h *authHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

// OnConnectAuthenticate accepts anyone when no users are configured, and
// otherwise a known user name with its password.
//
// It first waits until no earlier connection with the same client
// identifier is being dropped.
func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	h.waitDropped(cl.ID)
	if h.users == nil {
		return true
	}
	want, ok := h.users[string(pk.Connect.Username)]
	return ok && pk.Connect.UsernameFlag && pk.Connect.PasswordFlag && string(pk.Connect.Password) == want
}

// OnACLCheck refuses a topic name or filter that a denied filter matches,
// wildcards in the checked name taken literally: denying "secret/#" denies
// subscribing to "secret/#", "secret/+" and "secret/a", and publishing to
// "secret/a".
//
// A topic no denied filter matches is then passed to the allow function,
// when there is one.
func (h *authHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if denied(h.deny, topic) {
		return false
	}
	return h.allow == nil || h.allow(cl.ID, string(cl.Properties.Username), topic, write)
}

func denied(filters []string, topic string) bool {
	for _, f := range filters {
		if f == topic || message.MatchFilter(f, topic) {
			return true
		}
	}
	return false
}
