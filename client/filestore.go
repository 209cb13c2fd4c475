package client

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileStore is a durable [Store]: an append-only log of framed,
// checksummed records in one file, replayed when opened.
//
// Every change appends one record with a single write call, followed by
// fsync unless [FileStoreOptions].NoSync is set; a write that fails is
// cut off again. A process killed at any moment therefore leaves every
// completed record and at most one incomplete record at the end, which
// the next open cuts off ([StoreDamage].TornBytes).
//
// # Damage
//
// Each record starts with a sync marker that no record body can contain
// and carries a checksum of its header and one of the whole record (see
// filestore_format.go). A damaged record costs that record only: the
// reader skips to the next marker whose header checksum holds and reads
// on. [OpenFileStore] refuses a log with unreadable records, returning a
// [*StoreDamage] that matches [ErrStoreCorrupt] and leaving the file as
// it is, unless [FileStoreOptions].AllowDamage is set; then it keeps the
// original file beside the log as path.corrupt-<time> before rewriting
// the log without the damage, and [FileStore.Damage] reports the loss.
//
// A log written in the earlier, unframed format (version 1) is read and
// rewritten in the current one, the original kept as path.v1-<time>. A
// log of framed version 2 records is read as it is, and what is
// appended to it is version 3, which an older reader refuses
// ([ErrStoreVersion]).
//
// # Content
//
// Besides the outbound and inbound flows of [Store], with the time each
// outbound message was queued (see [Outbound].Queued), the log keeps the
// last [Session] put: the store is a [SessionStore].
//
// # Locking
//
// The store holds an exclusive flock on path.lock (created beside the
// log, never removed) while it is open: a second [OpenFileStore] of the
// same path, in this process or another, fails with [ErrStoreLocked].
// On systems without flock the lock only holds within one process.
// [OpenFileStoreReadOnly] takes a shared lock when the lock file exists,
// so it also works on a read-only file system. Files are created 0600,
// directories 0700.
//
// # Compaction
//
// When the log holds at least 4096 records and four times more records
// than live entries, the live entries are written to path.tmp, which is
// synced and renamed over the log, and the directory is synced.
type FileStore struct {
	// Set by open, then read-only.
	path     string
	opts     FileStoreOptions
	readOnly bool
	lock     *os.File // holds the flock; nil for a read-only store without a lock file
	damage   *StoreDamage

	// wmu serializes the changes: it is held across the write and fsync
	// of a record (and a compaction), then mu is taken to update st.
	// Lock order: wmu before mu. Load takes mu only, so it never waits
	// for the disk; code holding wmu may read st without mu, since every
	// writer of st holds wmu.
	wmu     sync.Mutex
	f       *os.File // the log, opened for appending; nil when read-only
	records int      // records in the log
	size    int64    // bytes in the log
	buf     []byte
	body    []byte
	closed  bool

	mu sync.Mutex // guards st
	st storeState
}

// FileStoreOptions configures [OpenFileStore].
type FileStoreOptions struct {
	// NoSync skips every fsync (after each record and when compacting):
	// the log then survives a process crash but not a power loss.
	// Default false.
	NoSync bool
	// AllowDamage opens a log with unreadable records instead of
	// returning a [*StoreDamage]: the store holds what could be read,
	// [FileStore.Damage] says what could not, and (unless read-only) the
	// original file is kept as path.corrupt-<time> before the log is
	// rewritten. Default false.
	AllowDamage bool
	// Logger receives a line about any damage, a cut-off torn record, and
	// a format migration. Default: none.
	Logger *slog.Logger
}

// OpenFileStore opens the session log at path for reading and writing,
// creating it and its directory when missing, and replays it. See
// [FileStore] for what it does with damage, an older format and a log
// another opener holds.
func OpenFileStore(path string, opts FileStoreOptions) (*FileStore, error) {
	return openFileStore(path, opts, false)
}

// OpenFileStoreReadOnly opens an existing session log for reading only:
// it never writes, truncates or creates a file, so it works on a
// read-only file or file system, for recovery tools. Damage is reported
// as by [OpenFileStore]. The store's writes return [ErrStoreReadOnly].
func OpenFileStoreReadOnly(path string, opts FileStoreOptions) (*FileStore, error) {
	return openFileStore(path, opts, true)
}

func openFileStore(path string, opts FileStoreOptions, readOnly bool) (_ *FileStore, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &FileStore{path: path, opts: opts, readOnly: readOnly}
	if !readOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("onmqtt: file store: %w", err)
		}
	}
	if err := s.takeLock(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.releaseLock()
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil && (readOnly || !errors.Is(err, os.ErrNotExist)) {
		return nil, fmt.Errorf("onmqtt: file store: %w", err)
	}
	d := &StoreDamage{Path: path}
	st, end, v1, err := readLog(data, d)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrStoreVersion, path)
	}
	s.st, s.records = st, st.records
	if d.Records > 0 {
		opts.Logger.Warn("session store: unreadable records", "file", path, "records", d.Records, "bytes", d.Bytes, "offsets", d.Offsets)
		if !opts.AllowDamage {
			return nil, d
		}
	}
	if d.TornBytes > 0 {
		opts.Logger.Warn("session store: cutting off an incomplete last record", "file", path, "bytes", d.TornBytes)
	}
	if !d.empty() {
		s.damage = d
	}
	s.detach(len(data))
	if readOnly {
		return s, nil
	}
	switch {
	case v1 || d.Records > 0:
		suffix := ".v1-"
		if d.Records > 0 {
			suffix = ".corrupt-"
		}
		kept, err := keepOriginal(path, suffix, !opts.NoSync)
		if err != nil {
			return nil, err
		}
		if d.Records > 0 {
			d.Kept = kept
		}
		opts.Logger.Info("session store: rewriting the log", "file", path, "original", kept)
		if err := s.compact(); err != nil {
			return nil, err
		}
		return s, nil
	case s.records >= compactMin && s.records >= 4*(len(st.out)+len(st.in)):
		if err := s.compact(); err != nil {
			return nil, err
		}
		return s, nil
	}
	s.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil && int64(end) < int64(len(data)) {
		err = s.f.Truncate(int64(end))
		if err == nil {
			err = s.f.Sync()
		}
	}
	if err == nil && data == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		if s.f != nil {
			s.f.Close()
		}
		return nil, fmt.Errorf("onmqtt: file store: %w", err)
	}
	s.size = int64(end)
	return s, nil
}

// readLog replays data in whichever format it is in. A log that does not
// start with a version 2 marker is version 1 if it reads as one, or if
// nothing in it reads as version 2.
func readLog(data []byte, d *StoreDamage) (st storeState, end int, v1 bool, err error) {
	if len(data) > 0 && data[0] != recMarker0 {
		var d1 StoreDamage
		st1 := newStoreState()
		end = replayV1(data, &st1, &d1)
		if d1.Records == 0 || nextHeader(data, 0) == len(data) {
			d1.Path = d.Path
			*d = d1
			return st1, end, true, nil
		}
	}
	st = sizedStoreState(data)
	end, err = replayLog(data, d, st.apply)
	return st, end, false, err
}

// detach copies the entries' byte slices out of the file image when the
// live entries hold less than half of it, so that it can be freed.
func (s *FileStore) detach(size int) {
	live := 0
	for _, e := range s.st.out {
		live += len(e.Message.Payload) + len(e.Properties)
	}
	for _, e := range s.st.in {
		if e.Message != nil {
			live += len(e.Message.Payload) + len(e.Properties)
		}
	}
	if live >= size/2 {
		return
	}
	for id, e := range s.st.out {
		e.Message.Payload, e.Properties = bytes.Clone(e.Message.Payload), bytes.Clone(e.Properties)
		s.st.out[id] = e
	}
	for id, e := range s.st.in {
		if e.Message != nil {
			m := *e.Message
			m.Payload, e.Properties = bytes.Clone(m.Payload), bytes.Clone(e.Properties)
			e.Message = &m
			s.st.in[id] = e
		}
	}
}

// takeLock opens path.lock and locks it.
func (s *FileStore) takeLock() error {
	name := s.path + ".lock"
	var f *os.File
	var err error
	if s.readOnly {
		f, err = os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
	} else {
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	}
	if err != nil {
		return fmt.Errorf("onmqtt: file store lock: %w", err)
	}
	if err := lockFile(f, !s.readOnly); err != nil {
		f.Close()
		if errors.Is(err, ErrStoreLocked) {
			return fmt.Errorf("%w: %s", ErrStoreLocked, s.path)
		}
		return fmt.Errorf("onmqtt: file store lock: %w", err)
	}
	s.lock = f
	return nil
}

func (s *FileStore) releaseLock() {
	if s.lock != nil {
		unlockFile(s.lock)
		s.lock.Close()
		s.lock = nil
	}
}

// keepOriginal makes the file at path also available as
// path+suffix+<time>, by a hard link or else a copy, and returns that
// name. sync makes the new name durable.
func keepOriginal(path, suffix string, sync bool) (string, error) {
	kept := path + suffix + time.Now().UTC().Format("20060102T150405.000000000Z")
	err := os.Link(path, kept)
	if err != nil && !errors.Is(err, os.ErrExist) {
		err = copyFile(path, kept)
	}
	if err == nil && sync {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return "", fmt.Errorf("onmqtt: file store: keeping %s before rewriting it: %w", path, err)
	}
	return kept, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	return errors.Join(err, dst.Close())
}

// Damage reports what the store could not read when it opened its log,
// or nil when it read everything. The caller must not modify it.
func (s *FileStore) Damage() *StoreDamage { return s.damage }

// Skipped returns how many records were dropped when the store was
// opened: the unreadable ones, and an incomplete last one.
func (s *FileStore) Skipped() int {
	if s.damage == nil {
		return 0
	}
	return s.damage.Records + int(min(s.damage.TornBytes, 1))
}

// Load implements [Store].
func (s *FileStore) Load() (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot(s.st.out, s.st.in, s.st.lastSeq)
	snap.Session = s.st.session
	return snap, nil
}

// PutSession implements [SessionStore]: one record, kept by compaction
// while it is not the zero Session.
func (s *FileStore) PutSession(e Session) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if e == s.st.session {
		return nil
	}
	if err := s.write(appendSession(s.body[:0], &e)); err != nil {
		return err
	}
	s.mu.Lock()
	s.st.session = e
	s.mu.Unlock()
	return nil
}

// PutOutbound implements [Store].
func (s *FileStore) PutOutbound(e Outbound) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.write(appendOutbound(s.body[:0], &e)); err != nil {
		return err
	}
	s.mu.Lock()
	s.st.out[e.Message.PacketID] = e
	s.st.lastSeq = max(s.st.lastSeq, e.Seq)
	s.mu.Unlock()
	return nil
}

// DeleteOutbound implements [Store].
func (s *FileStore) DeleteOutbound(id uint16) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, ok := s.st.out[id]; !ok {
		return nil
	}
	if err := s.write(appendID(s.body[:0], opDelOut, id)); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.st.out, id)
	s.mu.Unlock()
	return s.maybeCompact()
}

// PutInbound implements [Store].
func (s *FileStore) PutInbound(e Inbound) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.write(appendInbound(s.body[:0], &e)); err != nil {
		return err
	}
	s.mu.Lock()
	s.st.in[e.ID] = e
	s.mu.Unlock()
	return nil
}

// ReleaseInbound implements [Store].
func (s *FileStore) ReleaseInbound(id uint16) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if e, ok := s.st.in[id]; !ok || e.Message == nil {
		return nil
	}
	if err := s.write(appendID(s.body[:0], opRelIn, id)); err != nil {
		return err
	}
	s.mu.Lock()
	releaseInbound(s.st.in, id)
	s.mu.Unlock()
	return nil
}

// DeleteInbound implements [Store].
func (s *FileStore) DeleteInbound(id uint16) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, ok := s.st.in[id]; !ok {
		return nil
	}
	if err := s.write(appendID(s.body[:0], opDelIn, id)); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.st.in, id)
	s.mu.Unlock()
	return s.maybeCompact()
}

// Close implements [Store]: it closes the log and releases the lock.
func (s *FileStore) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.f != nil {
		err = s.f.Close()
	}
	s.releaseLock()
	return err
}

// write appends body as one record. A failed write is cut off again, so
// the log never keeps half a record in its middle. The caller holds wmu.
func (s *FileStore) write(body []byte) error {
	s.body = body[:0]
	switch {
	case s.closed:
		return fmt.Errorf("%w: %s", ErrStoreClosed, s.path)
	case s.readOnly:
		return fmt.Errorf("%w: %s", ErrStoreReadOnly, s.path)
	}
	rec := appendRecord(s.buf[:0], body)
	s.buf = rec[:0]
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

// maybeCompact rewrites the log when it is mostly dead records. The
// caller holds wmu.
func (s *FileStore) maybeCompact() error {
	live := len(s.st.out) + len(s.st.in)
	if s.records < compactMin || s.records < 4*live {
		return nil
	}
	return s.compact()
}

// compact writes the live entries to a new log and renames it over the
// old one, syncing the file and its directory. The caller holds wmu (or
// is opening the store).
func (s *FileStore) compact() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("onmqtt: file store: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	records, size := 0, int64(0)
	add := func(body []byte) {
		rec := appendRecord(s.buf[:0], body)
		s.buf, s.body = rec[:0], body[:0]
		w.Write(rec) // a failure sticks in w and shows in Flush
		records++
		size += int64(len(rec))
	}
	add(binary.BigEndian.AppendUint64(append(s.body[:0], opSeq), s.st.lastSeq))
	for _, e := range s.st.out {
		add(appendOutbound(s.body[:0], &e))
	}
	for _, e := range s.st.in {
		add(appendInbound(s.body[:0], &e))
	}
	if !s.st.session.IsZero() {
		add(appendSession(s.body[:0], &s.st.session))
	}
	err = w.Flush()
	if err == nil && !s.opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err == nil && !s.opts.NoSync {
		err = syncDir(filepath.Dir(s.path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("onmqtt: file store: compacting %s: %w", s.path, err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, err = os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("onmqtt: file store: %w", err)
	}
	s.records, s.size = records, size
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
