package client

import (
	"errors"
	"fmt"
	"io"
)

// readLoop decodes packets and hands them to the client until the
// connection fails.
func (cn *conn) readLoop() {
	defer cn.done()
	for {
		p, err := cn.r.ReadPacket()
		if err != nil {
			cn.abort(cn.readErr(err)) // at 5.0, DISCONNECT 0x95 or 0x81 first
			return
		}
		if cn.ctx.Err() != nil {
			// The connection failed with packets still buffered: the
			// session has moved on, and the broker sends again what
			// needs it.
			return
		}
		cn.c.stats.in(p.Type())
		if err := cn.c.handle(cn, p); err != nil {
			cn.abort(err) // at 5.0, DISCONNECT with the reason code first
			return
		}
	}
}

func (cn *conn) readErr(err error) error {
	if cn.ctx.Err() != nil {
		return ErrConnectionLost
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("onmqtt: broker closed the connection: %w", err)
	}
	return fmt.Errorf("onmqtt: reading from broker: %w", err)
}
