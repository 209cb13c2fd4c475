package router

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gobwas/glob"
	"github.com/onmqtt/onmqtt/message"
)

func pub(topic string) *Event {
	return &Event{Type: message.PUBLISH, Message: &message.Message{Topic: topic}}
}

func TestConditionMatch(t *testing.T) {
	retained := &Event{Type: message.PUBLISH, Message: &message.Message{Topic: "a", Retain: true, QoS: message.QoS1, Dup: true, PacketID: 9}, ID: 9}
	ack := &Event{Type: message.PUBACK, ID: 7, Sent: &message.Message{Topic: "alarms/fire", QoS: message.QoS1, PacketID: 7}}
	bare := &Event{Type: message.PUBACK, ID: 7}
	isAck := func(e *Event) bool { return e.Type == message.PUBACK }
	tests := []struct {
		name string
		cond Condition
		e    *Event
		want bool
	}{
		{"topic exact", Topic("a/b"), pub("a/b"), true},
		{"topic exact mismatch", Topic("a/b"), pub("a/c"), false},
		{"topic plus", Topic("a/+/c"), pub("a/b/c"), true},
		{"topic plus is one level", Topic("a/+"), pub("a/b/c"), false},
		{"topic plus matches an empty level", Topic("a/+"), pub("a/"), true},
		{"topic hash", Topic("a/#"), pub("a/b/c"), true},
		{"topic hash matches the parent", Topic("a/#"), pub("a"), true},
		{"topic root hash", Topic("#"), pub("x/y"), true},
		{"topic root hash skips $", Topic("#"), pub("$SYS/x"), false},
		{"topic root plus skips $", Topic("+/x"), pub("$SYS/x"), false},
		{"topic $ exact", Topic("$SYS/#"), pub("$SYS/broker/load"), true},
		{"topic of the sent message on an ack", Topic("alarms/#"), ack, true},
		{"topic without a message", Topic("#"), bare, false},
		{"glob star within a level", Glob("site/*/temp"), pub("site/1/temp"), true},
		{"glob star stops at /", Glob("site/*"), pub("site/1/temp"), false},
		{"glob super star", Glob("site/**"), pub("site/1/temp"), true},
		{"glob alternatives", Glob("{alarms,alerts}/*"), pub("alerts/x"), true},
		{"glob on an ack", Glob("alarms/fi?e"), ack, true},
		{"glob without a topic", Glob("**"), bare, false},
		{"id", ID(7), ack, true},
		{"id mismatch", ID(8), ack, false},
		{"qos of the message", QoS(message.QoS1), retained, true},
		{"qos of the sent message", QoS(message.QoS1), ack, true},
		{"qos mismatch", QoS(message.QoS2), ack, false},
		{"qos without a message", QoS(message.QoS0), bare, false},
		{"retained", Retained(), retained, true},
		{"not retained", Retained(), pub("a"), false},
		{"retained without a message", Retained(), bare, false},
		{"dup", Dup(), retained, true},
		{"not dup", Dup(), pub("a"), false},
		{"and all hold", And(Topic("a"), QoS(message.QoS1), Retained()), retained, true},
		{"and one fails", And(Topic("a"), QoS(message.QoS2)), retained, false},
		{"or one holds", Or(Topic("b"), ID(9)), retained, true},
		{"or none holds", Or(Topic("b"), ID(8)), retained, false},
		{"not", Not(Topic("b")), pub("a"), true},
		{"not not", Not(Not(Topic("a"))), pub("a"), true},
		{"func", Func(isAck), ack, true},
		{"func false", Func(isAck), pub("a"), false},
		{"nested", Or(And(Topic("alarms/#"), ID(7)), Dup()), ack, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.cond.check(), "check")
			assert.Equal(t, tt.want, tt.cond.match(tt.e), "%v.match", tt.cond)
		})
	}
}

func isCool(*Event) bool { return true }

func TestConditionString(t *testing.T) {
	tests := []struct {
		cond Condition
		want string
	}{
		{Topic("a/+/#"), `topic("a/+/#")`},
		{Glob("a/*"), `glob("a/*")`},
		{ID(42), `id(42)`},
		{QoS(message.QoS2), `qos(2)`},
		{Retained(), `retained`},
		{Dup(), `dup`},
		{And(Topic("a"), Dup()), `and(topic("a"), dup)`},
		{And(And(Topic("a"), ID(1)), Dup()), `and(topic("a"), id(1), dup)`},
		{Or(ID(1), ID(2)), `or(id(1), id(2))`},
		{Not(Retained()), `not(retained)`},
		{Func(isCool), `func(router.isCool)`},
		{NamedFunc("cool", isCool), `func(cool)`},
		{Or(nil), `or(<nil>)`},
		{Not(nil), `not(<nil>)`},
		{Func(nil), `func(<nil>)`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.cond.String())
	}
}

func TestConditionCheck(t *testing.T) {
	var syntax *glob.SyntaxError
	tests := []struct {
		name  string
		cond  Condition
		want  []error // each must match with errors.Is
		glob  bool    // the error must also be a *glob.SyntaxError
		valid bool
	}{
		{"valid topic", Topic("a/+/#"), nil, false, true},
		{"empty topic", Topic(""), []error{ErrInvalidCondition, message.ErrInvalidFilter}, false, false},
		{"hash not last", Topic("a/#/b"), []error{ErrInvalidCondition, message.ErrInvalidFilter}, false, false},
		{"plus inside a level", Topic("a/b+"), []error{ErrInvalidCondition, message.ErrInvalidFilter}, false, false},
		{"invalid glob", Glob("{a,b"), []error{ErrInvalidCondition, ErrInvalidGlob}, true, false},
		{"valid glob", Glob("a/{b,c}/*"), nil, false, true},
		{"id 0", ID(0), []error{ErrInvalidCondition}, false, false},
		{"qos 3", QoS(3), []error{ErrInvalidCondition}, false, false},
		{"empty and", And(), []error{ErrInvalidCondition}, false, false},
		{"empty or", Or(), []error{ErrInvalidCondition}, false, false},
		{"nil operand", And(Topic("a"), nil), []error{ErrInvalidCondition}, false, false},
		{"nil not", Not(nil), []error{ErrInvalidCondition}, false, false},
		{"nil func", Func(nil), []error{ErrInvalidCondition}, false, false},
		{"invalid operand deep down", Or(Dup(), Not(And(ID(1), Topic("#/a")))), []error{ErrInvalidCondition, message.ErrInvalidFilter}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cond.check()
			if tt.valid {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
			if tt.glob {
				assert.ErrorAs(t, err, &syntax, "want a *glob.SyntaxError inside")
			}
		})
	}
}
