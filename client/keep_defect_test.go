package client_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// A handler may keep e.Message and hand it to another goroutine (the
// habit of `go process(e.Message)`): no later message changes it (run
// with -race too).
func TestDefectEventMessageReused(t *testing.T) {
	for _, qos := range []message.QoS{message.QoS0, message.QoS1, message.QoS2} {
		t.Run(qos.String(), func(t *testing.T) {
			const n = 300
			var mu sync.Mutex
			kept := make([]*message.Message, 0, n)
			var wg sync.WaitGroup
			got := make(chan struct{}, n)
			c, pc := connectScripted(t, client.WithKeepAlive(0))
			_, err := c.On(message.PUBLISH, func(e *router.Event) {
				m := e.Message
				wg.Add(1)
				go func() {
					defer wg.Done()
					mu.Lock()
					kept = append(kept, m)
					mu.Unlock()
					got <- struct{}{}
				}()
			}, nil, priority.Normal)
			require.NoError(t, err)
			for i := range n {
				pc.Send(&message.Publish{Message: message.Message{
					Topic: fmt.Sprintf("keep/%d", i), Payload: []byte(fmt.Sprint(i)), QoS: qos, PacketID: uint16(i + 1)}})
				switch qos {
				case message.QoS1:
					pc.ExpectAck(message.PUBACK, uint16(i+1))
				case message.QoS2:
					pc.ExpectAck(message.PUBREC, uint16(i+1))
					pc.Send(&message.Pubrel{PacketID: uint16(i + 1)})
					pc.ExpectAck(message.PUBCOMP, uint16(i+1))
				}
			}
			for range n {
				<-got
			}
			wg.Wait()
			changed := 0
			seen := map[string]bool{}
			for _, m := range kept {
				var i int
				_, err := fmt.Sscan(string(m.Payload), &i)
				if err != nil || m.Topic != fmt.Sprintf("keep/%d", i) || seen[m.Topic] {
					changed++
				}
				seen[m.Topic] = true
			}
			assert.Zero(t, changed, "kept messages changed after their handler returned")
			assert.Len(t, seen, n)
		})
	}
}
