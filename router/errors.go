package router

import "errors"

// Errors returned by [Router.On] and the other registration methods. A
// rejected topic filter wraps both [ErrInvalidCondition] and
// message.ErrInvalidFilter; a rejected glob pattern wraps
// [ErrInvalidCondition], [ErrInvalidGlob] and the glob package's
// *glob.SyntaxError.
var (
	ErrNilHandler       = errors.New("onmqtt: nil handler")
	ErrInvalidType      = errors.New("onmqtt: packet type cannot be routed")
	ErrInvalidCondition = errors.New("onmqtt: invalid condition")
	ErrInvalidGlob      = errors.New("onmqtt: invalid glob pattern")
)

// Errors returned by [Decode]. Payload conditions do not hold when
// decoding fails with either; [Router.Explain] shows the error.
var (
	ErrNoPayload = errors.New("onmqtt: event has no message")
	ErrDecode    = errors.New("onmqtt: payload does not decode")
)

// ErrReplyCanceled is returned by [Reply.Wait] after [Reply.Cancel].
var ErrReplyCanceled = errors.New("onmqtt: reply canceled")
