package priority

import "strconv"

// Level orders handlers and outbound packets: a higher level comes first.
// Any int is a valid level; the named ones are landmarks.
type Level int

// Named levels. Normal is 0, the level of a handler registered without a
// priority, as in Zerynth's on(command, function, condition, priority=0).
const (
	Low      Level = -10
	Normal   Level = 0
	High     Level = 10
	Critical Level = 20
)

// String returns the level's name, or its number for an unnamed level.
func (l Level) String() string {
	switch l {
	case Low:
		return "Low"
	case Normal:
		return "Normal"
	case High:
		return "High"
	case Critical:
		return "Critical"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}
