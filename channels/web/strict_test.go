package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/channels/web"
	"github.com/steward-os/steward/session"
)

// The example: an auth frame with "token" and "Token" signed in
// as the second. A case variant is an unknown field, and the socket
// closes without signing in.
func TestAuthFrameCaseVariant(t *testing.T) {
	for _, frame := range []string{
		`{"type":"auth","token":"nope","Token":"demo-alice"}`,
		`{"type":"auth","token":"nope","token":"demo-alice"}`,
		`{"type":"auth","TOKEN":"demo-alice"}`,
		`{"type":"auth","Type":"auth","token":"demo-alice"}`,
	} {
		t.Run(frame, func(t *testing.T) {
			core := newFakeCore()
			srv, _ := start(t, core, web.Options{})
			c := dial(t, srv)
			c.send(t, frame)
			f := c.next(t)
			// A case variant is an unknown field; a frame holding a name
			// twice is not an auth frame at all.
			if f.Type != "error" || (f.Code != session.CodeUnknownField && f.Code != web.CodeAuthRequired) {
				t.Fatalf("signed in or wrong refusal: %+v", f)
			}
			if ce := c.closeCode(t); ce.Code != web.CloseUnauthenticated || ce.Text != f.Code {
				t.Fatalf("close %v", ce)
			}
			if got := core.refusals(); len(got) != 1 || got[0] != "web:"+f.Code {
				t.Fatalf("refusals %v", got)
			}
		})
	}
}

// A frame holding a field twice is refused and runs nothing: a decision
// "reject" then "accept" is neither.
func TestDuplicateFieldsInFrames(t *testing.T) {
	core := newFakeCore()
	c := signedIn(t, core)
	for _, x := range []struct{ frame, code, names string }{
		{`{"type":"decision","id":"d1","proposal_id":"p_known","decision":"reject","decision":"accept"}`, session.CodeBadRequest, `"decision"`},
		{`{"type":"message","id":"m1","text":"hi","text":"delete web-1"}`, session.CodeBadRequest, `"text"`},
		{`{"type":"message","id":"m2","text":"hi","Text":"delete web-1"}`, session.CodeUnknownField, `"Text"`},
		{`{"type":"message","type":"decision","id":"m3","text":"hi"}`, session.CodeBadRequest, `"type"`},
	} {
		c.send(t, x.frame)
		f := c.nextType(t, "error")
		if f.Code != x.code || !strings.Contains(f.Message, x.names) {
			t.Fatalf("%s: %+v, want %s naming %s", x.frame, f, x.code, x.names)
		}
	}
	if core.runs() != 0 {
		t.Fatalf("%d refused frames ran", core.runs())
	}
}

// DNS rebinding: a page on another name that resolves to the gateway
// sends its own name as both Host and Origin. The origin check compares
// with the configured allow-list, never with the request's Host.
func TestOriginIsNotComparedWithHost(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{})
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	for _, host := range []string{"evil.example", "evil.example:" + srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]} {
		h := http.Header{"Host": {host}, "Origin": {"http://" + host}}
		ws, resp, err := websocket.DefaultDialer.Dial(u, h)
		if err == nil {
			ws.Close()
			t.Fatalf("a socket from origin http://%s was accepted", host)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %v %v", host, resp, err)
		}
	}
	// The loopback origin the page itself has is still accepted.
	signIn(t, dial(t, srv))
}

// signedIn is a socket to a new page over core, signed in as alice.
func signedIn(t *testing.T, core *fakeCore) *client {
	srv, _ := start(t, core, web.Options{})
	c := dial(t, srv)
	signIn(t, c)
	return c
}
