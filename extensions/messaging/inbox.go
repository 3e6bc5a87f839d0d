package messaging

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/steward-os/steward/sdk"
)

// The inbox: every message sent through send_message is also kept in the
// recipient's inbox (extension state, collection "inbox:<recipient>",
// keyed by the message id), so that the recipient can list and read it.
// A caller only ever sees its own inbox: the collection is chosen from the
// Caller, never from a parameter.

// Received is one message in an inbox.
type Received struct {
	ID      string `json:"id"`
	From    string `json:"from"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
	Read    bool   `json:"read"`
	Seq     int64  `json:"seq"` // the delivery order
}

// ListParams are list_messages' parameters.
type ListParams struct {
	Unread bool `json:"unread,omitempty"`
}

// Inbox is list_messages' result, newest first.
type Inbox struct {
	To       string     `json:"to"`
	Total    int        `json:"total"`
	Unread   int        `json:"unread"`
	Messages []Received `json:"messages"`
}

// ReadParams are read_message's parameters.
type ReadParams struct {
	Message string `json:"message"`
}

// maxListed bounds the messages list_messages returns.
const maxListed = 50

func inboxOf(a sdk.ActorID) string { return "inbox:" + string(a) }

// keep stores a delivered message in its recipient's inbox. Keys sort in
// delivery order: the id's number, zero-padded.
func keep(ctx context.Context, st sdk.State, to sdk.ActorID, m Received) error {
	return st.Put(ctx, inboxOf(to), fmt.Sprintf("%020d", m.Seq), m)
}

func listMessages(ctx context.Context, c sdk.Call[ListParams]) (Inbox, error) {
	raws, err := c.Env.State().List(ctx, inboxOf(c.Caller.Actor))
	if err != nil {
		return Inbox{}, fmt.Errorf("messaging: inbox: %w", err)
	}
	out := Inbox{To: string(c.Caller.Actor), Messages: []Received{}}
	for _, raw := range slices.Backward(raws) {
		var m Received
		if err := json.Unmarshal(raw, &m); err != nil {
			return Inbox{}, fmt.Errorf("messaging: inbox: %w", err)
		}
		out.Total++
		if !m.Read {
			out.Unread++
		}
		if (c.Params.Unread && m.Read) || len(out.Messages) >= maxListed {
			continue
		}
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}

// readMessage shows one message of the caller's inbox ("m-3" or "3") and
// marks it read. Reading is not a change the kernel gates: it is the
// caller's own inbox.
func readMessage(ctx context.Context, c sdk.Call[ReadParams]) (Received, error) {
	seq := trailingNumber(strings.TrimSpace(c.Params.Message))
	if seq <= 0 {
		return Received{}, sdk.Errorf(sdk.CodeInvalid, "a message id looks like m-3")
	}
	st := c.Env.State()
	var m Received
	ok, err := st.Get(ctx, inboxOf(c.Caller.Actor), fmt.Sprintf("%020d", seq), &m)
	if err != nil {
		return Received{}, fmt.Errorf("messaging: inbox: %w", err)
	}
	if !ok {
		return Received{}, sdk.Errorf(sdk.CodeNotFound, "no message %q in your inbox", strings.TrimSpace(c.Params.Message))
	}
	if !m.Read {
		m.Read = true
		if err := keep(ctx, st, c.Caller.Actor, m); err != nil {
			return Received{}, fmt.Errorf("messaging: inbox: %w", err)
		}
	}
	return m, nil
}

// trailingNumber is the number an id ends with ("m-12" → 12), 0 when none:
// the delivery order of a note (the kernel's ids grow).
func trailingNumber(id string) int64 {
	var n, mul int64 = 0, 1
	for i := len(id) - 1; i >= 0 && id[i] >= '0' && id[i] <= '9' && mul <= 1e15; i-- {
		n += int64(id[i]-'0') * mul
		mul *= 10
	}
	return n
}
