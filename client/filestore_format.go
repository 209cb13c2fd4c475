package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// The FileStore log, format version 3. Every record is
//
//	0xF9 0x01       sync marker
//	version         1 byte, 3 (2 in a record an older writer wrote)
//	length          uint32, big endian: bytes after the header
//	header CRC      CRC-32C of the 7 bytes above
//	body            stuffed: every 0xF9 of the body is followed by 0x00
//	record CRC      CRC-32C of version, length and the stuffed body
//
// Stuffing keeps the marker out of every body, so a payload can never
// pass for a record, and a reader that lost its place finds the next
// record at the next marker whose header checksum holds. The body is
// one operation byte and its fields (see the op constants); integers
// are big endian. Version 1, the unframed format before it, is read by
// filestore_v1.go and rewritten.
//
// Each record carries its version, and a body is decoded by the rules
// of its record's version: version 3 added the time an outbound message
// was queued to the outbound put (the reference of its message expiry
// interval) and the session record (the MQTT 5.0 session expiry state).
// A version 2 log is read as it is, and records appended to it are
// version 3; it is not rewritten.
//
// A change to a body (a new field, a new operation) takes a new version
// number. A reader refuses a record of a version newer than it knows
// ([ErrStoreVersion]) rather than drop what it cannot read, and it
// rewrites a log in its own version only when every record was one it
// reads. Inbound and outbound puts carry an opaque MQTT 5.0 properties
// field, and held inbound messages the time they arrived, the reference
// of a message expiry interval.
const (
	recMarker0  = 0xF9
	recMarker1  = 0x01
	recEscape   = 0xF9 // in a stuffed body, always followed by 0x00
	recVersion  = 3
	recFramed   = 2 // the first framed version
	recHeader   = 11
	recTrailer  = 4
	maxBody     = 64 + message.MaxRemainingLength // fields, and topic, payload and properties of one packet
	maxRecord   = 2*maxBody + recTrailer          // a body of escapes doubles
	compactMin  = 4096
	keptRegions = 100 // damage offsets reported at most
)

// Record operations of versions 2 and 3.
const (
	opSeq     byte = 1 + iota // lastSeq u64
	opPutOut                  // seq u64, released u8, message, properties; version 3: queued i64 (Unix ns, 0 unknown)
	opDelOut                  // id u16
	opPutIn                   // id u16, held u8; if held: state u8, message, properties, received i64 (Unix ns, 0 unknown)
	opRelIn                   // id u16
	opDelIn                   // id u16
	opSession                 // version 3: interval u32, at i64 (Unix ns, 0 none), ended u8, period i64 (ns)
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// appendRecord frames body as one record at the end of dst.
func appendRecord(dst, body []byte) []byte {
	start := len(dst)
	dst = append(dst, recMarker0, recMarker1, recVersion, 0, 0, 0, 0, 0, 0, 0, 0)
	for {
		i := bytes.IndexByte(body, recEscape)
		if i < 0 {
			dst = append(dst, body...)
			break
		}
		dst = append(append(dst, body[:i+1]...), 0)
		body = body[i+1:]
	}
	binary.BigEndian.PutUint32(dst[start+3:], uint32(len(dst)-start-recHeader+recTrailer))
	binary.BigEndian.PutUint32(dst[start+7:], crc32.Checksum(dst[start:start+7], crcTable))
	sum := crc32.Update(crc32.Checksum(dst[start+2:start+7], crcTable), crcTable, dst[start+recHeader:])
	return binary.BigEndian.AppendUint32(dst, sum)
}

// header reports whether data starts with a record header whose
// checksum holds, and the record's length after the header.
func header(data []byte) (n int, ok bool) {
	if len(data) < recHeader || data[0] != recMarker0 || data[1] != recMarker1 {
		return 0, false
	}
	if binary.BigEndian.Uint32(data[7:]) != crc32.Checksum(data[:7], crcTable) {
		return 0, false
	}
	n = int(binary.BigEndian.Uint32(data[3:]))
	return n, n >= recTrailer && n <= maxRecord
}

// nextHeader returns the offset of the first valid record header in data
// at or after from, or len(data).
func nextHeader(data []byte, from int) int {
	for from < len(data) {
		i := bytes.Index(data[from:], []byte{recMarker0, recMarker1})
		if i < 0 {
			return len(data)
		}
		if _, ok := header(data[from+i:]); ok {
			return from + i
		}
		from += i + 1
	}
	return len(data)
}

// unstuff returns the body of a stuffed record body: b itself when it
// holds no escape, else a copy. ok is false for a malformed escape.
func unstuff(b []byte) (body []byte, ok bool) {
	i := bytes.IndexByte(b, recEscape)
	if i < 0 {
		return b, true
	}
	out := make([]byte, 0, len(b))
	for i >= 0 {
		if i+1 >= len(b) || b[i+1] != 0 {
			return nil, false
		}
		out = append(out, b[:i+1]...)
		b = b[i+2:]
		i = bytes.IndexByte(b, recEscape)
	}
	return append(out, b...), true
}

// errStoreVersion marks a record written by a newer format.
var errStoreVersion = errors.New("newer record version")

// replayLog reads a framed log (versions 2 and 3): apply gets each
// intact record's version and body (valid until data is reused).
// Damaged stretches are skipped up to the next valid record and counted
// in d; an incomplete last record or a zero-filled tail is a torn write. It returns the offset where the
// readable log ends (before a torn tail).
func replayLog(data []byte, d *StoreDamage, apply func(v byte, body []byte) error) (end int, err error) {
	off := 0
	for off < len(data) {
		n, ok := header(data[off:])
		switch {
		case ok && data[off+2] > recVersion:
			return off, errStoreVersion
		case ok && data[off+2] < recFramed:
			ok = false // only versions 2 and up are framed this way
		}
		if !ok || n > len(data)-off-recHeader {
			next := nextHeader(data, off+1)
			if next == len(data) && tornTail(data[off:], ok) {
				d.TornBytes = int64(len(data) - off)
				return off, nil
			}
			d.add(off, next-off)
			off = next
			continue
		}
		rec := data[off : off+recHeader+n]
		stuffed := rec[recHeader : len(rec)-recTrailer]
		sum := crc32.Update(crc32.Checksum(rec[2:7], crcTable), crcTable, stuffed)
		body, ok := unstuff(stuffed)
		if sum != binary.BigEndian.Uint32(rec[len(rec)-recTrailer:]) || !ok || apply(rec[2], body) != nil {
			d.add(off, len(rec))
		}
		off += len(rec)
	}
	return off, nil
}

// tornTail reports whether the unreadable end of a log is what a write
// cut short leaves: the start of a record (its valid header, or the
// first bytes of one), or zeros.
func tornTail(tail []byte, validHeader bool) bool {
	if validHeader {
		return true
	}
	if len(tail) < recHeader {
		want := []byte{recMarker0, recMarker1}
		if bytes.HasPrefix(tail, want[:min(len(tail), len(want))]) &&
			(len(tail) <= 2 || tail[2] >= recFramed && tail[2] <= recVersion) {
			return true
		}
	}
	return bytes.Count(tail, []byte{0}) == len(tail)
}

// Body encoding.

func appendOutbound(b []byte, e *Outbound) []byte {
	b = binary.BigEndian.AppendUint64(append(b, opPutOut), e.Seq)
	b = append(b, boolByte(e.Released))
	b = appendMessage(b, &e.Message)
	b = appendBytes32(b, e.Properties)
	return appendTime(b, e.Queued)
}

func appendSession(b []byte, e *Session) []byte {
	b = binary.BigEndian.AppendUint32(append(b, opSession), e.Interval)
	b = appendTime(b, e.At)
	b = append(b, boolByte(e.Ended))
	return binary.BigEndian.AppendUint64(b, uint64(e.Period))
}

// appendTime encodes t as Unix nanoseconds, 0 for the zero time.
func appendTime(b []byte, t time.Time) []byte {
	var at int64
	if !t.IsZero() {
		at = t.UnixNano()
	}
	return binary.BigEndian.AppendUint64(b, uint64(at))
}

func appendInbound(b []byte, e *Inbound) []byte {
	b = binary.BigEndian.AppendUint16(append(b, opPutIn), e.ID)
	if e.Message == nil {
		return append(b, 0)
	}
	b = append(b, 1, byte(e.State))
	b = appendMessage(b, e.Message)
	b = appendBytes32(b, e.Properties)
	return appendTime(b, e.Received)
}

func appendID(b []byte, op byte, id uint16) []byte {
	return binary.BigEndian.AppendUint16(append(b, op), id)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendBytes32(b, v []byte) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(v))), v...)
}

// appendMessage encodes a message: packet id, QoS, flags, topic, payload.
func appendMessage(b []byte, m *message.Message) []byte {
	b = binary.BigEndian.AppendUint16(b, m.PacketID)
	flags := byte(m.QoS) & 3
	if m.Retain {
		flags |= 4
	}
	if m.Dup {
		flags |= 8
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Topic)))
	b = append(b, m.Topic...)
	return appendBytes32(b, m.Payload)
}

// Body decoding.

var errBadRecord = errors.New("bad record")

// storeState is the content a log replays into.
type storeState struct {
	out     map[uint16]Outbound
	in      map[uint16]Inbound
	lastSeq uint64
	session Session
	records int // records applied
}

func newStoreState() storeState {
	return storeState{out: make(map[uint16]Outbound), in: make(map[uint16]Inbound)}
}

// sizedStoreState returns a storeState whose maps have room for the
// puts of data, counted by walking its record headers up to the first
// damage: a hint that spares the maps' growth while replaying.
func sizedStoreState(data []byte) storeState {
	outs, ins := 0, 0
	for off := 0; ; {
		n, ok := header(data[off:])
		if !ok || n > len(data)-off-recHeader || n == recTrailer {
			break
		}
		switch data[off+recHeader] {
		case opPutOut:
			outs++
		case opPutIn:
			ins++
		}
		off += recHeader + n
	}
	const ids = 1<<16 - 1
	return storeState{out: make(map[uint16]Outbound, min(outs, ids)), in: make(map[uint16]Inbound, min(ins, ids))}
}

// apply decodes one record body of version v (2 or 3) into st. Byte
// slices in the entries alias b.
func (st *storeState) apply(v byte, b []byte) error {
	if len(b) == 0 {
		return errBadRecord
	}
	d := fieldReader{b: b[1:]}
	switch b[0] {
	case opSeq:
		return st.seq(&d)
	case opPutOut:
		e := Outbound{Seq: d.u64()}
		e.Released = d.flag()
		e.Message = d.message()
		e.Properties = d.bytes32()
		if v >= 3 {
			e.Queued = d.time()
		}
		return st.putOut(e, &d)
	case opSession:
		if v < 3 {
			return errBadRecord
		}
		var e Session
		e.Interval = d.u32()
		e.At = d.time()
		e.Ended = d.flag()
		e.Period = time.Duration(d.u64())
		if d.end() != nil || e.Period < 0 || e.At.IsZero() && e != (Session{Interval: e.Interval}) {
			return errBadRecord
		}
		st.session = e
	case opPutIn:
		e := Inbound{ID: d.u16()}
		if d.flag() {
			e.State = InboundState(d.u8())
			m := d.message()
			e.Message = &m
			e.Properties = d.bytes32()
			e.Received = d.time()
			if e.State > InboundReleased || m.PacketID != e.ID {
				d.err = errBadRecord
			}
		}
		if d.end() != nil || e.ID == 0 {
			return errBadRecord
		}
		st.in[e.ID] = e
	case opDelOut, opRelIn, opDelIn:
		id := d.u16()
		if d.end() != nil || id == 0 {
			return errBadRecord
		}
		switch b[0] {
		case opDelOut:
			delete(st.out, id)
		case opRelIn:
			releaseInbound(st.in, id)
		default:
			delete(st.in, id)
		}
	default:
		return errBadRecord
	}
	st.records++
	return nil
}

// seq applies a last-sequence record.
func (st *storeState) seq(d *fieldReader) error {
	seq := d.u64()
	if d.end() != nil {
		return errBadRecord
	}
	st.lastSeq = max(st.lastSeq, seq)
	st.records++
	return nil
}

// putOut applies a decoded outbound put.
func (st *storeState) putOut(e Outbound, d *fieldReader) error {
	if d.end() != nil || e.Message.PacketID == 0 {
		return errBadRecord
	}
	st.out[e.Message.PacketID] = e
	st.lastSeq = max(st.lastSeq, e.Seq)
	st.records++
	return nil
}

// fieldReader decodes record fields; the first error sticks. Byte
// slices it returns alias the record, capacity clipped.
type fieldReader struct {
	b   []byte
	err error
}

func (r *fieldReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// end returns the first error, or one for bytes left over.
func (r *fieldReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errBadRecord
	}
	return r.err
}

func (r *fieldReader) u8() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *fieldReader) flag() bool {
	v := r.u8()
	if v > 1 && r.err == nil {
		r.err = errBadRecord
	}
	return v == 1
}

func (r *fieldReader) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *fieldReader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *fieldReader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// time reads Unix nanoseconds as a UTC time; 0 reads as the zero time.
func (r *fieldReader) time() time.Time {
	if at := int64(r.u64()); at != 0 {
		return time.Unix(0, at).UTC()
	}
	return time.Time{}
}

// bytes32 reads a uint32-prefixed byte string; empty reads as nil.
func (r *fieldReader) bytes32() []byte {
	v := r.take(int(r.u32()))
	if len(v) == 0 {
		return nil
	}
	return v
}

func (r *fieldReader) message() message.Message {
	var m message.Message
	m.PacketID = r.u16()
	flags := r.u8()
	m.QoS, m.Retain, m.Dup = message.QoS(flags&3), flags&4 != 0, flags&8 != 0
	m.Topic = string(r.take(int(r.u16())))
	m.Payload = r.bytes32()
	if r.err == nil && (flags > 15 || !m.QoS.Valid() || m.QoS == message.QoS0) {
		r.err = errBadRecord
	}
	return m
}
