package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// Stable codes this channel adds to the session's (docs/errors.md).
const (
	// CodeAuthRequired: the first frame was not an auth frame.
	CodeAuthRequired = "auth_required"
	// CodeAuthTimeout: no auth frame arrived in time.
	CodeAuthTimeout = "auth_timeout"
	// CodeOriginNotAllowed: the socket's Origin is not on the allow-list.
	CodeOriginNotAllowed = "origin_not_allowed"
	// CodeFrameTooLarge: a frame exceeded the read limit.
	CodeFrameTooLarge = "frame_too_large"
	// CodeUnknownType: a frame's "type" is not part of the protocol.
	CodeUnknownType = "unknown_type"
)

// Close codes. 4xxx are this application's; the reason text is the
// stable code.
const (
	CloseUnauthenticated = 4401 // auth_required, unauthenticated, auth_timeout
	CloseBadRequest      = 4400 // too many refused frames
	// 1009 (message too big): frame_too_large; 1001 (going away): shutdown.
)

// Frame types.
const (
	TypeAuth     = "auth"
	TypeMessage  = "message"
	TypeDecision = "decision"
	TypeResume   = "resume"
	TypeReady    = "ready"
	TypeTurn     = "turn"
	TypeEvent    = "event"
	TypeError    = "error"
)

// AuthFrame is the first client frame.
type AuthFrame struct {
	Type  string `json:"type"`
	Token string `json:"token"`
}

// MessageFrame is a text message; ID is the client's unique id for it
// (the dedupe key).
type MessageFrame struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Text string `json:"text"`
}

// DecisionFrame accepts or rejects a proposal; ID is the client's unique
// id for the decision (the dedupe key).
type DecisionFrame struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Decision   string `json:"decision"`
	Phrase     string `json:"phrase,omitempty"`
	// Grant: "once", "session" or a window such as "1h" (docs/approvals.md).
	Grant string `json:"grant,omitempty"`
}

// ResumeFrame asks for the session's events after an event id.
type ResumeFrame struct {
	Type  string `json:"type"`
	After int64  `json:"after"`
}

// ReadyFrame answers a good auth frame.
type ReadyFrame struct {
	Type         string                `json:"type"`
	Actor        session.ActorID       `json:"actor"`
	Tenant       session.TenantID      `json:"tenant"`
	Roles        []string              `json:"roles"`
	Session      session.SessionID     `json:"session"`
	Capabilities channels.Capabilities `json:"capabilities"`
	ServerTime   time.Time             `json:"server_time"`
	MaxFrame     int64                 `json:"max_frame_bytes"`
}

// TurnFrame is the outcome of a message or decision.
type TurnFrame struct {
	Type      string            `json:"type"`
	InReplyTo string            `json:"in_reply_to"`
	Turn      session.TurnID    `json:"turn_id"`
	Replies   []json.RawMessage `json:"replies"`
}

// EventFrame is a delivery from the session's event stream (task progress
// and results); Outbound is {"turn_id", "replies"}.
type EventFrame struct {
	Type     string          `json:"type"`
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Outbound json.RawMessage `json:"outbound"`
}

// ErrorFrame is a refusal by the channel (not a turn's error part).
type ErrorFrame struct {
	Type      string `json:"type"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	InReplyTo string `json:"in_reply_to,omitempty"`
}

// MaxIDLen bounds a client id.
const MaxIDLen = 128

// refusal is a frame the channel turned away.
type refusal struct {
	code, msg, id string
}

func (r *refusal) Error() string { return r.code + ": " + r.msg }

func refuse(code, id, format string, a ...any) *refusal {
	return &refusal{code: code, id: id, msg: fmt.Sprintf(format, a...)}
}

// peekType reads the frame's type and id (for in_reply_to), skipping the
// other members; a frame that is not one JSON object, or holds a name
// twice, is refused here.
func peekType(b []byte) (typ, id string, err *refusal) {
	var head struct {
		Type jsontext.Value `json:"type"`
		ID   jsontext.Value `json:"id"`
	}
	if code, msg := httpjson.Lenient(b, &head, "frame"); code != "" {
		return "", "", refuse(code, "", "%s", msg)
	}
	_ = json.Unmarshal(head.ID, &id)
	if len(id) > MaxIDLen || !validID(id) {
		id = ""
	}
	if head.Type == nil {
		return "", id, refuse(session.CodeBadRequest, id, `The frame has no "type".`)
	}
	if e := json.Unmarshal(head.Type, &typ); e != nil {
		return "", id, refuse(session.CodeBadRequest, id, `The field "type" must be a string.`)
	}
	return typ, id, nil
}

// decodeStrict decodes one JSON object into v, refusing unknown fields
// (names match exactly, so a case variant is unknown), a name given
// twice, wrong types and trailing data.
func decodeStrict(b []byte, id string, v any) *refusal {
	if code, msg := httpjson.Strict(b, v, "frame"); code != "" {
		return refuse(code, id, "%s", msg)
	}
	return nil
}

// validID accepts 1–128 characters of [A-Za-z0-9._:-].
func validID(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func (f *MessageFrame) check() *refusal {
	if !validID(f.ID) {
		return refuse(session.CodeBadRequest, "", `The field "id" is required: 1–%d characters of A–Z, a–z, 0–9, ".", "_", ":", "-", unique per message.`, MaxIDLen)
	}
	if strings.TrimSpace(f.Text) == "" {
		return refuse(session.CodeBadRequest, f.ID, `The field "text" is required.`)
	}
	// The kernel's limit: an overlong message is refused before it is sent on.
	if utf8.RuneCountInString(f.Text) > session.MaxTextLen {
		return refuse(session.CodeBadRequest, f.ID, "The message is longer than %d characters.", session.MaxTextLen)
	}
	return nil
}

func (f *DecisionFrame) check() *refusal {
	if !validID(f.ID) {
		return refuse(session.CodeBadRequest, "", `The field "id" is required: 1–%d characters of A–Z, a–z, 0–9, ".", "_", ":", "-", unique per decision.`, MaxIDLen)
	}
	if f.Decision != string(session.ActionAccept) && f.Decision != string(session.ActionReject) {
		return refuse(session.CodeBadRequest, f.ID, `The field "decision" must be "accept" or "reject".`)
	}
	if f.ProposalID == "" || len(f.ProposalID) > 64 || !validID(f.ProposalID) {
		// A well-formed but unknown id goes to the kernel, which answers
		// proposal_not_found and audits it.
		return refuse(session.CodeBadRequest, f.ID, `The field "proposal_id" must be a proposal id such as p_abc234.`)
	}
	if utf8.RuneCountInString(f.Phrase) > 256 {
		return refuse(session.CodeBadRequest, f.ID, "The confirmation phrase is too long.")
	}
	if len(f.Grant) > 16 {
		return refuse(session.CodeBadRequest, f.ID, `The field "grant" must be "once", "session" or a window such as "1h".`)
	}
	return nil
}

func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func turnFrame(id string, out session.Outbound) ([]byte, error) {
	f := TurnFrame{Type: TypeTurn, InReplyTo: id, Turn: out.Turn, Replies: make([]json.RawMessage, 0, len(out.Parts))}
	for _, p := range out.Parts {
		b, err := session.MarshalPart(p)
		if err != nil {
			return nil, err
		}
		f.Replies = append(f.Replies, b)
	}
	return encode(f), nil
}
