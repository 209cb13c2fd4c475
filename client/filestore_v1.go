package client

import (
	"encoding/binary"
	"hash/crc32"
)

// Version 1 of the FileStore log, written before the framed format of
// filestore_format.go: records of a length (uint32, big endian, of the
// body), a CRC-32C of the body, and the body, with no marker to find a
// record after a damaged length. It is read so that a store written then
// opens, and is rewritten in version 2.
const (
	v1Header    = 8
	v1MaxRecord = 1 + 8 + 1 + 2 + 1 + 2 + 4 + 268435455
)

// Version 1 operations.
const (
	v1PutOut byte = 1 + iota // seq u64, released u8, message
	v1DelOut                 // id u16
	v1PutIn                  // id u16, held u8, message if held
	v1DelIn                  // id u16
	v1Reset                  // no fields
	v1Seq                    // lastSeq u64
)

// replayV1 reads a version 1 log into st. A record whose checksum or
// fields fail is skipped; an impossible length ends the readable log,
// and everything after it counts as damage. It returns the offset where
// the readable log ends (before a torn tail).
func replayV1(data []byte, st *storeState, d *StoreDamage) int {
	off := 0
	for off < len(data) {
		if len(data)-off < v1Header {
			d.TornBytes = int64(len(data) - off)
			return off
		}
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n == 0 || n > v1MaxRecord {
			d.add(off, len(data)-off)
			return len(data)
		}
		if n > len(data)-off-v1Header {
			d.TornBytes = int64(len(data) - off)
			return off
		}
		body := data[off+v1Header : off+v1Header+n]
		if crc32.Checksum(body, crcTable) != binary.BigEndian.Uint32(data[off+4:]) || st.applyV1(body) != nil {
			d.add(off, v1Header+n)
		}
		off += v1Header + n
	}
	return off
}

// applyV1 decodes one version 1 record body into st.
func (st *storeState) applyV1(b []byte) error {
	d := fieldReader{b: b[1:]}
	switch b[0] {
	case v1PutOut:
		e := Outbound{Seq: d.u64()}
		e.Released = d.flag()
		e.Message = d.message()
		return st.putOut(e, &d)
	case v1PutIn:
		e := Inbound{ID: d.u16()}
		if d.flag() {
			m := d.message()
			e.Message = &m
		}
		if d.end() != nil {
			return errBadRecord
		}
		st.in[e.ID] = e
	case v1DelOut, v1DelIn:
		id := d.u16()
		if d.end() != nil {
			return errBadRecord
		}
		if b[0] == v1DelOut {
			delete(st.out, id)
		} else {
			delete(st.in, id)
		}
	case v1Reset:
		clear(st.out)
		clear(st.in)
	case v1Seq:
		return st.seq(&d)
	default:
		return errBadRecord
	}
	st.records++
	return nil
}
