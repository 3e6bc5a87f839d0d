package web

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/session"
)

// frameOutcome is what (*conn).frame makes of a text frame, without the
// socket: the refusal, or the frame it accepted.
type frameOutcome struct {
	refused *refusal
	typ     string
	auth    *AuthFrame
	msg     *MessageFrame
	dec     *DecisionFrame
	resume  *ResumeFrame
}

// parseFrame runs a frame through the parsing (*conn).frame does, in its
// order: peekType, then the strict decoding and the checks of its type.
// signedIn says whether the socket has signed in (only auth before).
func parseFrame(b []byte, signedIn bool) frameOutcome {
	typ, id, rf := peekType(b)
	o := frameOutcome{typ: typ, refused: rf}
	if rf != nil {
		return o
	}
	if !signedIn {
		if typ != TypeAuth {
			o.refused = refuse(CodeAuthRequired, "", `The first frame must be {"type":"auth","token":"…"}.`)
			return o
		}
		var f AuthFrame
		if o.refused = decodeStrict(b, "", &f); o.refused == nil {
			o.auth = &f
		}
		return o
	}
	switch typ {
	case TypeAuth:
		o.refused = refuse(session.CodeBadRequest, "", "This socket is already signed in.")
	case TypeMessage:
		var f MessageFrame
		if o.refused = decodeStrict(b, id, &f); o.refused == nil {
			if o.refused = f.check(); o.refused == nil {
				o.msg = &f
			}
		}
	case TypeDecision:
		var f DecisionFrame
		if o.refused = decodeStrict(b, id, &f); o.refused == nil {
			if o.refused = f.check(); o.refused == nil {
				o.dec = &f
			}
		}
	case TypeResume:
		var f ResumeFrame
		if o.refused = decodeStrict(b, "", &f); o.refused == nil {
			o.resume = &f
		}
	default:
		o.refused = refuse(CodeUnknownType, id, "Unknown frame type %q; see docs/web.md.", clip(typ, 32))
	}
	return o
}

// FuzzFrame: any text frame, before and after sign-in. A refusal has a
// stable code and a plain message, and its in_reply_to is a valid client
// id or empty; a frame accepted is one JSON object with no name twice and
// only its type's members (matched exactly), and what the channel takes
// from it is what the frame says: the auth frame's token, a message's id
// and text within their limits, a decision's id, proposal and
// accept/reject; nothing decoded differs from the frame's own members.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"auth","token":"demo-alice"}`,
		`{"type":"auth","token":"nope","Token":"demo-alice"}`,
		`{"type":"auth","token":"nope","token":"demo-alice"}`,
		`{"type":"auth","TOKEN":"demo-alice"}`,
		`{"type":"auth","Type":"auth","token":"demo-alice"}`,
		`{"type":"message","id":"m1","text":"restart web-1"}`,
		`{"type":"message","id":"m1","text":"a","Text":"b"}`,
		`{"type":"message","id":"bad id!","text":"x"}`,
		`{"type":"message","id":"m2","text":"   "}`,
		`{"type":"decision","id":"d1","proposal_id":"p_abc234","decision":"accept","phrase":"staging-1"}`,
		`{"type":"decision","id":"d1","proposal_id":"p_abc234","decision":"reject","decision":"accept"}`,
		`{"type":"decision","id":"d1","proposal_id":"","decision":"accept"}`,
		`{"type":"resume","after":12}`, `{"type":"resume","after":-1}`,
		`{"type":"hello"}`, `{"type":5}`, `{}`, `[]`, `"auth"`, ``, `{"type":"message"} {}`, "\xff",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, signedIn bool) {
		o := parseFrame(b, signedIn)
		if o.refused != nil {
			fuzzcheck.Refusal(t, o.refused.code, o.refused.msg, b)
			if o.refused.id != "" && !validID(o.refused.id) {
				t.Fatalf("in_reply_to %q is not a client id", o.refused.id)
			}
			return
		}
		if !jsontext.Value(b).IsValid() {
			t.Fatalf("accepted a frame with a name twice or invalid UTF-8: %q", b)
		}
		var g map[string]any
		if err := json.Unmarshal(b, &g); err != nil || g == nil {
			t.Fatalf("accepted a frame that is not one object: %q", b)
		}
		str := func(k string) string { s, _ := g[k].(string); return s }
		switch {
		case o.auth != nil:
			onlyMembers(t, g, "type", "token")
			if signedIn || o.auth.Token != str("token") || o.auth.Type != str("type") {
				t.Fatalf("auth frame %q decoded as %+v", b, o.auth)
			}
		case o.msg != nil:
			onlyMembers(t, g, "type", "id", "text")
			m := o.msg
			if !validID(m.ID) || m.ID != str("id") || m.Text != str("text") || strings.TrimSpace(m.Text) == "" || utf8.RuneCountInString(m.Text) > session.MaxTextLen {
				t.Fatalf("message frame %q decoded as %+v", b, m)
			}
		case o.dec != nil:
			onlyMembers(t, g, "type", "id", "proposal_id", "decision", "phrase")
			d := o.dec
			if !validID(d.ID) || !validID(d.ProposalID) || (d.Decision != "accept" && d.Decision != "reject") ||
				d.ID != str("id") || d.ProposalID != str("proposal_id") || d.Decision != str("decision") || d.Phrase != str("phrase") {
				t.Fatalf("decision frame %q decoded as %+v", b, d)
			}
		case o.resume != nil:
			onlyMembers(t, g, "type", "after")
		default:
			t.Fatalf("frame %q neither refused nor accepted", b)
		}
	})
}

func onlyMembers(t *testing.T, g map[string]any, names ...string) {
	t.Helper()
	for k := range g {
		found := false
		for _, n := range names {
			found = found || k == n
		}
		if !found {
			t.Fatalf("accepted unknown member %q", k)
		}
	}
}
