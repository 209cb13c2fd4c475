package message

// Auth is the AUTH packet of MQTT 5.0, which carries the rounds of an
// enhanced authentication exchange. A remaining length of 0 means Success
// without properties; Append writes the shortest form. AUTH does not
// exist in 3.1 and 3.1.1: Append refuses to encode it for them and a
// [Reader] for them refuses the packet type 15.
type Auth struct {
	ReasonCode ReasonCode  // Success, ContinueAuthentication or ReAuthenticate
	Properties *Properties // Authentication Method and Data, Reason String, User Property
}

// Type returns AUTH.
func (*Auth) Type() Type { return AUTH }

// Append implements [Packet]. The reason code must be one AUTH may carry
// [MQTT-3.15.2-1].
func (p *Auth) Append(dst []byte, v Version) ([]byte, error) {
	return appendReasonOnly(dst, AUTH, v, p.ReasonCode, p.Properties)
}

func (p *Auth) decode(d *body, _ byte, v Version) error {
	return decodeReasonOnly(d, v, &p.ReasonCode, &p.Properties)
}
