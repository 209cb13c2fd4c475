package client

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/onmqtt/onmqtt/message"
)

// ErrStoreCorrupt is wrapped by the error [OpenFileStore] returns for a
// session file it cannot read past.
var ErrStoreCorrupt = errors.New("onmqtt: session store corrupt")

// FileStore is a durable [Store]: an append-only log of checksummed
// records in one file, replayed when opened.
//
// Every change appends one record with a single write call, followed by
// fsync unless [FileStoreOptions].NoSync is set. A process killed at any
// moment therefore leaves the file holding every completed record and at
// most one partial record at its end, which the next open drops with a
// log line. A record whose checksum fails is skipped with a log line and
// the rest is still read; a record whose length field is impossible stops
// the replay with an error wrapping [ErrStoreCorrupt], because nothing
// after it can be located safely. When the log holds many more records
// than live entries it is compacted: the live entries are written to a
// temporary file, which is synced and renamed over the log.
//
// Record layout: length (uint32, big endian, of what follows the
// checksum), CRC-32C of that body (uint32), then the body: one operation
// byte and its fields.
type FileStore struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	opts    FileStoreOptions
	out     map[uint16]Outbound
	in      map[uint16]Inbound
	lastSeq uint64
	records int   // records in the log
	size    int64 // bytes in the log
	buf     []byte
	frame   []byte
	closed  bool
	// Skipped counts records dropped while opening (corrupt or torn).
	skipped int
}

// FileStoreOptions configures [OpenFileStore].
type FileStoreOptions struct {
	// NoSync skips fsync after each record: the log then survives a
	// process crash but not a power loss. Default false.
	NoSync bool
	// Logger receives the lines about skipped records. Default: none.
	Logger *slog.Logger
}

// Record operations.
const (
	opPutOut byte = 1 + iota
	opDelOut
	opPutIn
	opDelIn
	opReset
	opSeq
)

const (
	recordHeader = 8
	maxRecord    = 1 + 8 + 1 + 2 + 1 + 2 + 4 + message.MaxRemainingLength
	compactMin   = 4096
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// OpenFileStore opens the session log at path, creating it and its
// directory when missing, and replays it.
func OpenFileStore(path string, opts FileStoreOptions) (*FileStore, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("onmqtt: file store: %w", err)
	}
	s := &FileStore{path: path, opts: opts, out: make(map[uint16]Outbound), in: make(map[uint16]Inbound)}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("onmqtt: file store: %w", err)
	}
	if err := s.replay(data); err != nil {
		return nil, err
	}
	// Start from a clean log: drops torn tails and skipped records.
	if err := s.compact(); err != nil {
		return nil, err
	}
	return s, nil
}

// Skipped returns how many damaged records were dropped when the store
// was opened.
func (s *FileStore) Skipped() int { return s.skipped }

// replay applies every readable record of data.
func (s *FileStore) replay(data []byte) error {
	off := 0
	for off < len(data) {
		if len(data)-off < recordHeader {
			s.skip(off, "truncated record header at the end of the log")
			return nil
		}
		n := int(binary.BigEndian.Uint32(data[off:]))
		sum := binary.BigEndian.Uint32(data[off+4:])
		if n == 0 || n > maxRecord {
			return fmt.Errorf("%w: %s: impossible record length %d at offset %d", ErrStoreCorrupt, s.path, n, off)
		}
		if len(data)-off-recordHeader < n {
			s.skip(off, "truncated record at the end of the log")
			return nil
		}
		body := data[off+recordHeader : off+recordHeader+n]
		off += recordHeader + n
		if crc32.Checksum(body, crcTable) != sum {
			s.skip(off-n-recordHeader, "checksum mismatch")
			continue
		}
		if err := s.apply(body); err != nil {
			s.skip(off-n-recordHeader, err.Error())
		}
	}
	return nil
}

func (s *FileStore) skip(off int, why string) {
	s.skipped++
	s.opts.Logger.Warn("session store: skipping record", "file", s.path, "offset", off, "reason", why)
}

// apply decodes one record body into the maps.
func (s *FileStore) apply(b []byte) error {
	d := fieldReader{b: b[1:]}
	switch b[0] {
	case opPutOut:
		e := Outbound{Seq: d.u64()}
		e.Released = d.u8() == 1
		e.Message = d.message()
		if d.err != nil || e.Message.PacketID == 0 {
			return errors.New("bad outbound record")
		}
		s.out[e.Message.PacketID] = e
		s.lastSeq = max(s.lastSeq, e.Seq)
	case opDelOut:
		id := d.u16()
		if d.err != nil {
			return d.err
		}
		delete(s.out, id)
	case opPutIn:
		e := Inbound{ID: d.u16()}
		if d.u8() == 1 {
			m := d.message()
			e.Message = &m
		}
		if d.err != nil {
			return errors.New("bad inbound record")
		}
		s.in[e.ID] = e
	case opDelIn:
		id := d.u16()
		if d.err != nil {
			return d.err
		}
		delete(s.in, id)
	case opReset:
		clear(s.out)
		clear(s.in)
	case opSeq:
		seq := d.u64()
		if d.err != nil {
			return d.err
		}
		s.lastSeq = max(s.lastSeq, seq)
	default:
		return fmt.Errorf("unknown operation %d", b[0])
	}
	return nil
}

// Load implements [Store].
func (s *FileStore) Load() (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshot(s.out, s.in, s.lastSeq), nil
}

// PutOutbound implements [Store].
func (s *FileStore) PutOutbound(e Outbound) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(appendOutbound(s.begin(opPutOut), e)); err != nil {
		return err
	}
	s.out[e.Message.PacketID] = e
	s.lastSeq = max(s.lastSeq, e.Seq)
	return nil
}

// DeleteOutbound implements [Store].
func (s *FileStore) DeleteOutbound(id uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.out[id]; !ok {
		return nil
	}
	if err := s.append(binary.BigEndian.AppendUint16(s.begin(opDelOut), id)); err != nil {
		return err
	}
	delete(s.out, id)
	return s.maybeCompact()
}

// PutInbound implements [Store].
func (s *FileStore) PutInbound(e Inbound) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(appendInbound(s.begin(opPutIn), e)); err != nil {
		return err
	}
	s.in[e.ID] = e
	return nil
}

// DeleteInbound implements [Store].
func (s *FileStore) DeleteInbound(id uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.in[id]; !ok {
		return nil
	}
	if err := s.append(binary.BigEndian.AppendUint16(s.begin(opDelIn), id)); err != nil {
		return err
	}
	delete(s.in, id)
	return s.maybeCompact()
}

// Reset implements [Store].
func (s *FileStore) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(s.begin(opReset)); err != nil {
		return err
	}
	clear(s.out)
	clear(s.in)
	return nil
}

// Close implements [Store].
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.f.Close()
}

// begin starts a record body in the reusable buffer.
func (s *FileStore) begin(op byte) []byte { return append(s.buf[:0], op) }

// append frames body and writes it as one record. A failed write is cut
// off again, so the log never keeps half a record in its middle.
func (s *FileStore) append(body []byte) error {
	if s.closed {
		return fmt.Errorf("onmqtt: file store %s: closed", s.path)
	}
	rec := frame(s.frame[:0], body)
	s.buf, s.frame = body[:0], rec[:0]
	_, err := s.f.Write(rec)
	if err == nil && !s.opts.NoSync {
		err = s.f.Sync()
	}
	if err != nil {
		if terr := s.f.Truncate(s.size); terr != nil {
			err = errors.Join(err, terr)
		}
		return fmt.Errorf("onmqtt: file store %s: %w", s.path, err)
	}
	s.size += int64(len(rec))
	s.records++
	return nil
}

// maybeCompact rewrites the log when it is mostly dead records.
func (s *FileStore) maybeCompact() error {
	live := len(s.out) + len(s.in)
	if s.records < compactMin || s.records < 4*live {
		return nil
	}
	return s.compact()
}

// compact writes the live entries to a new log and renames it over the
// old one, syncing the file and its directory.
func (s *FileStore) compact() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("onmqtt: file store: %w", err)
	}
	var buf []byte
	records := 0
	add := func(body []byte) {
		buf = frame(buf, body)
		records++
	}
	add(binary.BigEndian.AppendUint64([]byte{opSeq}, s.lastSeq))
	snap := snapshot(s.out, s.in, s.lastSeq)
	for _, e := range snap.Outbound {
		add(appendOutbound([]byte{opPutOut}, e))
	}
	for _, e := range snap.Inbound {
		add(appendInbound([]byte{opPutIn}, e))
	}
	_, err = f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(s.path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("onmqtt: file store: compacting %s: %w", s.path, err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, err = os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("onmqtt: file store: %w", err)
	}
	s.records, s.size = records, int64(len(buf))
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// frame appends body to dst with its length and checksum in front.
func frame(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(body, crcTable))
	return append(dst, body...)
}

func appendOutbound(b []byte, e Outbound) []byte {
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	if e.Released {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return appendMessage(b, &e.Message)
}

func appendInbound(b []byte, e Inbound) []byte {
	b = binary.BigEndian.AppendUint16(b, e.ID)
	if e.Message == nil {
		return append(b, 0)
	}
	return appendMessage(append(b, 1), e.Message)
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
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Payload)))
	return append(b, m.Payload...)
}

// fieldReader decodes record fields; the first error sticks.
type fieldReader struct {
	b   []byte
	err error
}

func (r *fieldReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *fieldReader) u8() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
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

func (r *fieldReader) message() message.Message {
	var m message.Message
	m.PacketID = r.u16()
	flags := r.u8()
	m.QoS, m.Retain, m.Dup = message.QoS(flags&3), flags&4 != 0, flags&8 != 0
	m.Topic = string(r.take(int(r.u16())))
	m.Payload = append([]byte(nil), r.take(int(r.u32()))...)
	if r.err == nil && (!m.QoS.Valid() || m.QoS == message.QoS0) {
		r.err = errors.New("bad QoS")
	}
	return m
}
