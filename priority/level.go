package priority

import (
	"math"
	"strconv"
)

// Level orders handlers and outbound packets: a higher level comes first.
// Any int is a valid level; the named ones are landmarks.
type Level int

// Named levels. Normal is 0, the level of a handler registered without a
// priority, as in Zerynth's on(command, function, condition, priority=0).
//
// Min and Max are the lowest and highest levels there are: nothing can be
// placed below Min or above Max. The router registers its per-packet-id
// handlers at Max so that they come before everything else.
const (
	Min      Level = math.MinInt
	Low      Level = -10
	Normal   Level = 0
	High     Level = 10
	Critical Level = 20
	Max      Level = math.MaxInt
)

// String returns the level's name, or its number for an unnamed level.
func (l Level) String() string {
	switch l {
	case Min:
		return "Min"
	case Low:
		return "Low"
	case Normal:
		return "Normal"
	case High:
		return "High"
	case Critical:
		return "Critical"
	case Max:
		return "Max"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}
