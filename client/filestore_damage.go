package client

import (
	"errors"
	"fmt"
)

// Errors of the [FileStore].
var (
	// ErrStoreCorrupt is wrapped by the error [OpenFileStore] returns for
	// a log with unreadable records; the error is a [*StoreDamage].
	ErrStoreCorrupt = errors.New("onmqtt: session store corrupt")
	// ErrStoreLocked is returned by [OpenFileStore] when another
	// FileStore, in this process or another, has the log open.
	ErrStoreLocked = errors.New("onmqtt: session store in use by another opener")
	// ErrStoreReadOnly is returned by the writes of a store opened with
	// [OpenFileStoreReadOnly].
	ErrStoreReadOnly = errors.New("onmqtt: session store opened read-only")
	// ErrStoreVersion is returned by [OpenFileStore] for a log written by
	// a newer format than this package reads; the file is left as it is.
	ErrStoreVersion = errors.New("onmqtt: session store written by a newer version")
	// ErrStoreClosed is returned by the writes of a closed store.
	ErrStoreClosed = errors.New("onmqtt: session store closed")
)

// StoreDamage reports what a [FileStore] could not read when it opened
// its log. [OpenFileStore] returns it as its error (matching
// [ErrStoreCorrupt]) when Records is not zero, unless
// [FileStoreOptions].AllowDamage is set; [FileStore.Damage] returns it
// after the store opened.
type StoreDamage struct {
	// Path is the log's path.
	Path string
	// Records counts unreadable records: each damaged record, and each
	// damaged stretch the reader skipped to find the next record, which
	// may have held more than one.
	Records int
	// Bytes counts the bytes of the unreadable records.
	Bytes int64
	// Offsets are the file offsets where the unreadable records start,
	// the first 100 of them.
	Offsets []int64
	// TornBytes counts the bytes of an incomplete record at the end: a
	// write the process did not finish, so one whose success the caller
	// was never told of. The store cuts it off; it is not an error.
	TornBytes int64
	// Kept is where the original file was kept before the store
	// rewrote it without the damage; empty when it was not rewritten.
	Kept string
}

// Error implements the error interface.
func (d *StoreDamage) Error() string {
	msg := fmt.Sprintf("%v: %s: %d unreadable record(s), %d bytes", ErrStoreCorrupt, d.Path, d.Records, d.Bytes)
	if len(d.Offsets) > 0 {
		msg += fmt.Sprintf(", first at offset %d", d.Offsets[0])
	}
	if d.Kept != "" {
		msg += "; original kept as " + d.Kept
	}
	return msg
}

// Unwrap returns [ErrStoreCorrupt].
func (d *StoreDamage) Unwrap() error { return ErrStoreCorrupt }

// add counts an unreadable stretch of n bytes at off.
func (d *StoreDamage) add(off, n int) {
	d.Records++
	d.Bytes += int64(n)
	if len(d.Offsets) < keptRegions {
		d.Offsets = append(d.Offsets, int64(off))
	}
}

// empty reports whether nothing was dropped.
func (d *StoreDamage) empty() bool { return d.Records == 0 && d.TornBytes == 0 }
