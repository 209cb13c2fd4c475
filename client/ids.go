package client

// nextID returns a packet identifier not in use by any pending flow, or
// ErrNoPacketID. The caller holds c.mu.
func (c *Client) nextID() (uint16, error) {
	if len(c.pending) >= 65535 {
		return 0, ErrNoPacketID
	}
	for {
		c.lastID++
		if c.lastID == 0 {
			c.lastID = 1
		}
		if _, used := c.pending[c.lastID]; !used {
			return c.lastID, nil
		}
	}
}
