package client

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
