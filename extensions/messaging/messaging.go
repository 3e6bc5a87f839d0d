// Package messaging is the first-party messaging extension: send a note to
// a colleague of the same organisation, and list and read one's own inbox.
//
// Contract. Extension returns the embedded manifest and the send_message
// handler. The recipient must be a member of the caller's tenant, checked
// through the Directory (scope directory:read); the note is handed to the
// kernel's Outbox (scope messages:deliver), which cannot reach another
// tenant. The sender is always the Caller, never a parameter. A sent note
// is also kept in the recipient's inbox (extension state, inbox.go), which
// list_messages and read_message show to the recipient only: the inbox
// read is always the Caller's. The extension describes no resources. This package
// imports only the SDK and the standard library.
package messaging

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/steward-os/steward/sdk"
)

//go:embed manifest.yaml
var manifest []byte

// MaxBody is the longest message body accepted, in characters.
const MaxBody = 4000

// MaxSubject is the longest subject accepted, in characters.
const MaxSubject = 200

// The extension registers itself as the module "extensions.messaging".
func init() { sdk.RegisterExtension("messaging", Extension) }

// Extension returns the messaging extension.
func Extension() sdk.Extension {
	return sdk.Extension{
		Manifest: manifest,
		Handlers: []sdk.Handler{sdk.Tool("send_message", send), sdk.Tool("list_messages", listMessages), sdk.Tool("read_message", readMessage)},
		Context: sdk.ContextFunc(func(context.Context, sdk.TenantID, sdk.State) ([]sdk.Resource, error) {
			return nil, nil
		}),
		Seed: seed,
	}
}

// SendParams are send_message's parameters.
type SendParams struct {
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
}

// Sent is send_message's result: the delivered note.
type Sent struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
}

func send(ctx context.Context, c sdk.Call[SendParams]) (Sent, error) {
	body := strings.TrimSpace(c.Params.Body)
	subject := strings.TrimSpace(c.Params.Subject)
	switch {
	case body == "":
		return Sent{}, sdk.Errorf(sdk.CodeInvalid, "the message has no text")
	case utf8.RuneCountInString(body) > MaxBody:
		return Sent{}, sdk.Errorf(sdk.CodeInvalid, "the message is longer than %d characters", MaxBody)
	case utf8.RuneCountInString(subject) > MaxSubject || strings.ContainsAny(subject, "\r\n"):
		return Sent{}, sdk.Errorf(sdk.CodeInvalid, "the subject must be one line of at most %d characters", MaxSubject)
	}
	to, err := recipient(ctx, c)
	if err != nil {
		return Sent{}, err
	}
	out, err := c.Env.Outbox()
	if err != nil {
		return Sent{}, fmt.Errorf("messaging: outbox: %w", err)
	}
	id, err := out.Deliver(ctx, sdk.Note{To: to, From: c.Caller.Actor, Subject: subject, Body: body})
	if err != nil {
		return Sent{}, fmt.Errorf("messaging: deliver: %w", err)
	}
	if seq := trailingNumber(id); seq > 0 {
		if err := keep(ctx, c.Env.State(), to, Received{ID: id, From: string(c.Caller.Actor), Subject: subject, Body: body, Seq: seq}); err != nil {
			return Sent{}, fmt.Errorf("messaging: inbox: %w", err)
		}
	}
	return Sent{ID: id, To: string(to), Subject: subject, Body: body}, nil
}

// recipient resolves "to" to a member of the caller's tenant; "manager" and
// "my manager" mean the caller's manager.
func recipient(ctx context.Context, c sdk.Call[SendParams]) (sdk.ActorID, error) {
	to := strings.TrimPrefix(strings.TrimSpace(c.Params.To), "@")
	if to == "" {
		return "", sdk.Errorf(sdk.CodeInvalid, "to is required")
	}
	if l := strings.ToLower(to); l == "manager" || l == "my manager" {
		if c.Caller.Manager == "" {
			return "", sdk.Errorf(sdk.CodeNotFound, "you have no manager on record")
		}
		to = string(c.Caller.Manager)
	}
	m, ok, err := sdk.FindMember(ctx, c.Env, to)
	if err != nil {
		return "", fmt.Errorf("messaging: directory: %w", err)
	}
	if !ok {
		return "", sdk.Errorf(sdk.CodeNotFound, "no colleague named %q", to)
	}
	return m.ID, nil
}

// seed accepts the messaging section of the world file, which has nothing
// to seed: null or {}.
func seed(_ context.Context, _ sdk.State, data json.RawMessage) error {
	var d struct{}
	if err := sdk.DecodeSeed(data, &d); err != nil {
		return fmt.Errorf("messaging: seed: %w", err)
	}
	return nil
}
