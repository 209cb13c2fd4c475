package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Ceiling is a minimal MQTT 3.1.1 client written for this benchmark: it
// encodes the PUBLISH header once, writes through a 64 KiB bufio.Writer
// that it flushes only when the window is full, a buffer fills or the
// publisher is done (in a paced run, after every publish), and
// acknowledges from its reader goroutine, flushing acknowledgements when
// nothing more is buffered to read. It keeps no
// session, no store, no handles and no routing; it shows the rate the
// broker and the loopback allow on this machine.
type Ceiling struct{}

// Name implements [Adapter].
func (Ceiling) Name() string { return "ceiling" }

const ceilingBuf = 64 << 10

// Packet types and fixed-header first bytes.
const (
	rawCONNACK  = 0x20
	rawPUBLISH  = 0x30
	rawPUBACK   = 0x40
	rawPUBREC   = 0x50
	rawPUBREL   = 0x62
	rawPUBCOMP  = 0x70
	rawSUBACK   = 0x90
	rawDISCONN  = 0xe0
	rawPINGRESP = 0xd0
)

// appendLength appends an MQTT remaining-length integer.
func appendLength(b []byte, n int) []byte {
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// ceilingDial connects and performs CONNECT/CONNACK (clean session, no
// keepalive).
func ceilingDial(ctx context.Context, cfg ClientConfig) (net.Conn, *bufio.Reader, *bufio.Writer, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	body := appendString(nil, "MQTT")
	body = append(body, 4, 0x02, 0, 0) // level 4, clean session, keepalive 0
	body = appendString(body, cfg.ID)
	pkt := appendLength([]byte{0x10}, len(body))
	pkt = append(pkt, body...)
	br := bufio.NewReaderSize(nc, ceilingBuf)
	bw := bufio.NewWriterSize(nc, ceilingBuf)
	if _, err := nc.Write(pkt); err != nil {
		nc.Close()
		return nil, nil, nil, err
	}
	var ack [4]byte
	if _, err := io.ReadFull(br, ack[:]); err != nil {
		nc.Close()
		return nil, nil, nil, err
	}
	if ack[0] != rawCONNACK || ack[1] != 2 || ack[3] != 0 {
		nc.Close()
		return nil, nil, nil, fmt.Errorf("e2e: CONNACK % x", ack)
	}
	return nc, br, bw, nil
}

// readHeader reads a fixed header: the first byte and the remaining
// length.
func readHeader(br *bufio.Reader) (byte, int, error) {
	first, err := br.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	n, shift := 0, 0
	for i := 0; i < 4; i++ {
		c, err := br.ReadByte()
		if err != nil {
			return 0, 0, err
		}
		n |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			return first, n, nil
		}
		shift += 7
	}
	return 0, 0, errors.New("e2e: remaining length over 4 bytes")
}

// Subscriber implements [Adapter].
func (Ceiling) Subscriber(ctx context.Context, cfg ClientConfig, deliver func([]byte)) (Subscriber, error) {
	nc, br, bw, err := ceilingDial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	body := binary.BigEndian.AppendUint16(nil, 1)
	body = appendString(body, cfg.Topic)
	body = append(body, cfg.QoS)
	pkt := appendLength([]byte{0x82}, len(body))
	bw.Write(append(pkt, body...))
	if err := bw.Flush(); err != nil {
		nc.Close()
		return nil, err
	}
	first, n, err := readHeader(br)
	if err == nil && (first != rawSUBACK || n != 3) {
		err = fmt.Errorf("e2e: expected SUBACK, got %#x", first)
	}
	var sa [3]byte
	if err == nil {
		_, err = io.ReadFull(br, sa[:])
	}
	if err == nil && sa[2] != cfg.QoS {
		err = fmt.Errorf("e2e: SUBACK return code %#x", sa[2])
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(noDeadline)
	s := &ceilingSub{nc: nc, br: br, bw: bw, deliver: deliver, done: make(chan struct{})}
	go s.read()
	return s, nil
}

type ceilingSub struct {
	nc      net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	deliver func([]byte)
	done    chan struct{}
}

// read delivers PUBLISH packets and answers them: PUBACK at QoS 1,
// PUBREC at QoS 2 and PUBCOMP for PUBREL. Answers are flushed when no
// more input is buffered.
func (s *ceilingSub) read() {
	defer close(s.done)
	buf := make([]byte, 0, ceilingBuf)
	var ack [4]byte
	for {
		first, n, err := readHeader(s.br)
		if err != nil {
			return
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		if _, err := io.ReadFull(s.br, b); err != nil {
			return
		}
		switch first & 0xf0 {
		case rawPUBLISH:
			qos := (first >> 1) & 3
			if len(b) < 2 {
				return
			}
			off := 2 + int(binary.BigEndian.Uint16(b))
			if qos > 0 {
				ack[0] = rawPUBACK
				if qos == 2 {
					ack[0] = rawPUBREC
				}
				ack[1], ack[2], ack[3] = 2, b[off], b[off+1]
				off += 2
			}
			s.deliver(b[off:])
			if qos > 0 {
				s.bw.Write(ack[:])
			}
		case rawPUBREL & 0xf0:
			ack[0], ack[1], ack[2], ack[3] = rawPUBCOMP, 2, b[0], b[1]
			s.bw.Write(ack[:])
		}
		if s.br.Buffered() == 0 && s.bw.Buffered() > 0 {
			if s.bw.Flush() != nil {
				return
			}
		}
	}
}

func (s *ceilingSub) Close() error {
	s.nc.Write([]byte{rawDISCONN, 0})
	err := s.nc.Close()
	<-s.done
	return err
}

// Publisher implements [Adapter].
func (Ceiling) Publisher(ctx context.Context, cfg ClientConfig) (Publisher, error) {
	nc, br, bw, err := ceilingDial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(noDeadline)
	p := &ceilingPub{nc: nc, br: br, bw: bw, cfg: cfg, ctx: ctx, done: make(chan struct{}), hdrLen: -1}
	if cfg.QoS > 0 {
		p.slots = make(chan struct{}, cfg.Window)
	}
	go p.read()
	return p, nil
}

type ceilingPub struct {
	nc  net.Conn
	br  *bufio.Reader
	cfg ClientConfig
	ctx context.Context

	mu sync.Mutex // guards bw
	bw *bufio.Writer

	slots chan struct{} // one per unacknowledged QoS 1 or 2 publish
	done  chan struct{} // closed when the reader stops
	err   error         // why the reader stopped

	hdr    []byte // fixed header and topic for payloads of hdrLen bytes
	hdrLen int
	id     uint16
}

func (p *ceilingPub) header(n int) []byte {
	if n != p.hdrLen {
		rem := 2 + len(p.cfg.Topic) + n
		if p.cfg.QoS > 0 {
			rem += 2
		}
		p.hdr = appendLength([]byte{rawPUBLISH | p.cfg.QoS<<1}, rem)
		p.hdr = appendString(p.hdr, p.cfg.Topic)
		p.hdrLen = n
	}
	return p.hdr
}

func (p *ceilingPub) Publish(payload []byte) error {
	if p.slots != nil {
		select {
		case p.slots <- struct{}{}:
		default:
			// The window is full: send what is buffered so that
			// acknowledgements come back, then wait for one.
			if err := p.flush(); err != nil {
				return err
			}
			select {
			case p.slots <- struct{}{}:
			case <-p.done:
				return p.readErr()
			case <-p.ctx.Done():
				return p.ctx.Err()
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bw.Write(p.header(len(payload)))
	if p.cfg.QoS > 0 {
		p.id++
		if p.id == 0 {
			p.id = 1
		}
		p.bw.WriteByte(byte(p.id >> 8))
		p.bw.WriteByte(byte(p.id))
	}
	if _, err := p.bw.Write(payload); err != nil {
		return err
	}
	if p.cfg.Paced {
		return p.bw.Flush() // the next publish is not imminent: send this one now
	}
	return nil
}

func (p *ceilingPub) flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bw.Flush()
}

func (p *ceilingPub) readErr() error {
	if p.err != nil {
		return p.err
	}
	return io.ErrUnexpectedEOF
}

// Flush writes what is buffered and waits until every slot of the window
// is free again.
func (p *ceilingPub) Flush(ctx context.Context) error {
	if err := p.flush(); err != nil {
		return err
	}
	if p.slots == nil {
		return nil
	}
	for i := 0; i < cap(p.slots); i++ {
		select {
		case p.slots <- struct{}{}:
		case <-p.done:
			return p.readErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i := 0; i < cap(p.slots); i++ {
		<-p.slots
	}
	return nil
}

// read takes acknowledgements: PUBACK and PUBCOMP free a slot, PUBREC is
// answered with PUBREL.
func (p *ceilingPub) read() {
	defer close(p.done)
	var b [2]byte
	rel := [4]byte{rawPUBREL, 2}
	pending := false
	for {
		first, n, err := readHeader(p.br)
		if err == nil && n != 2 {
			err = fmt.Errorf("e2e: unexpected packet %#x of %d bytes", first, n)
		}
		if err == nil {
			_, err = io.ReadFull(p.br, b[:])
		}
		if err != nil {
			p.err = err
			return
		}
		switch first {
		case rawPUBACK, rawPUBCOMP:
			<-p.slots
		case rawPUBREC:
			p.mu.Lock()
			rel[2], rel[3] = b[0], b[1]
			p.bw.Write(rel[:])
			p.mu.Unlock()
			pending = true
		}
		if pending && p.br.Buffered() == 0 {
			pending = false
			if err := p.flush(); err != nil {
				p.err = err
				return
			}
		}
	}
}

func (p *ceilingPub) Close() error {
	p.mu.Lock()
	p.bw.Write([]byte{rawDISCONN, 0})
	p.bw.Flush()
	p.mu.Unlock()
	err := p.nc.Close()
	<-p.done
	return err
}
