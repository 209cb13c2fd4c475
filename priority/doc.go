// Package priority orders things by [Level]: the router's handlers and the
// client's outbound packets.
//
// [List] is an immutable, stable priority-ordered list: higher levels
// first, equal levels in insertion order. Insert and Remove return a new
// list and leave the old one untouched, so a snapshot is just a copy of
// the List value and can be read without locks while writers derive the
// next version.
//
// [SendQueue] is the outbound queue of a connection: control packets
// (acknowledgements, PUBREL, pings, subscriptions) leave first and in FIFO
// order, then publishes, highest level first and FIFO within a level. It
// allocates nothing per packet once its ring buffers have grown to the
// working size.
package priority
