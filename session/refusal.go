package session

import "time"

// Refusal is what a channel tells the audit trail about requests it
// turned away before or outside a turn (Turns.Refuse): one refusal, or a
// summary of several from one client.
type Refusal struct {
	// Actor is who sent it when known; nil for a request that was not
	// authenticated.
	Actor   *Actor
	Channel ChannelID
	// From is the client's network address (an IPv6 client's /64), "" for
	// a refusal that did not come over the network.
	From string
	// Code and Detail describe one refusal: its stable code, and what was
	// refused (at most 300 bytes are kept).
	Code, Detail string
	// Codes, when set, makes this a summary: how many refusals of each
	// code came from From between First and Last that were not recorded
	// one by one.
	Codes       map[string]int
	First, Last time.Time
}
