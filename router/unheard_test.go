package router_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// TestUnheard checks that Unheard says an event would reach nothing
// exactly when no registration of its type and no unhandled hook
// exists, and that it then counts the event as Dispatch would.
func TestUnheard(t *testing.T) {
	r := router.New()
	nop := func(*router.Event) {}

	assert.True(t, r.Unheard(message.PUBACK))
	assert.Equal(t, uint64(1), r.Stats().UnhandledByType[message.PUBACK])

	reg, err := r.On(message.PUBACK, nop, nil, priority.Normal)
	require.NoError(t, err)
	assert.False(t, r.Unheard(message.PUBACK), "a fallback of the type hears it")
	assert.True(t, r.Unheard(message.PUBCOMP), "another type's handler does not")
	assert.Equal(t, uint64(1), r.Stats().UnhandledByType[message.PUBACK], "not counted when heard")
	reg.Remove()
	assert.True(t, r.Unheard(message.PUBACK), "heard by nothing once the handler is removed")

	id, err := r.OnID(message.PUBCOMP, 7, nop)
	require.NoError(t, err)
	assert.False(t, r.Unheard(message.PUBCOMP), "an id handler of the type hears it")
	id.Remove()

	obs, err := r.Observe(message.PUBREC, nop)
	require.NoError(t, err)
	assert.False(t, r.Unheard(message.PUBREC), "an observer hears it")
	obs.Remove()

	r.OnUnhandled(nop)
	assert.False(t, r.Unheard(message.PUBREC), "the unhandled hook hears everything")
	st := r.Stats()
	assert.Equal(t, uint64(1), st.UnhandledByType[message.PUBCOMP], "counted once, while it was unheard")
	assert.Zero(t, st.UnhandledByType[message.PUBREC], "never unheard")
}
