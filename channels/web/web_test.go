package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/web"
	"github.com/steward-os/steward/session"
)

// fakeCore stands in for the kernel: it dedupes inbound ids the way the
// kernel does (a known id gets the stored outcome back), counts what it
// really ran, and serves an in-memory event stream.
type fakeCore struct {
	session.Deliveries // only Events is used; the rest is nil
	mu                 sync.Mutex
	ran                []session.Inbound
	outcome            map[string]session.Outbound
	refused            []string
	events             []session.Event
	wake               chan struct{}
	turn               int
	hold               chan struct{} // when set, text "slow" waits for it
}

func newFakeCore() *fakeCore {
	return &fakeCore{outcome: map[string]session.Outbound{}, wake: make(chan struct{})}
}

func (f *fakeCore) Handle(_ context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	f.mu.Lock()
	if out, ok := f.outcome[in.ID]; ok && in.ID != "" {
		f.mu.Unlock()
		return out, nil
	}
	f.ran = append(f.ran, in)
	f.turn++
	out := session.Outbound{Turn: session.TurnID(fmt.Sprintf("t_%d", f.turn))}
	hold := f.hold
	f.mu.Unlock()
	switch {
	case in.Action != nil && in.Action.Proposal != "p_known":
		out.Parts = []session.Part{&session.Error{Code: session.CodeProposalNotFound, Message: "There is no proposal with that id."}}
	case in.Action != nil:
		out.Parts = []session.Part{&session.Text{Text: "done: " + string(in.Action.Kind)}}
	case in.Text == "propose":
		out.Parts = []session.Part{&session.ProposalCard{ID: "p_known", Tool: "x.restart", Args: json.RawMessage(`{"server":"web-1"}`), SafetyLevel: 2, ExpiresAt: time.Now().Add(time.Minute)}}
	case in.Text == "slow" && hold != nil:
		<-hold
		out.Parts = []session.Part{&session.Text{Text: "slow done"}}
	default:
		out.Parts = []session.Part{&session.Text{Text: "hello " + string(a.ID) + ": " + in.Text}}
	}
	f.mu.Lock()
	if in.ID != "" {
		f.outcome[in.ID] = out
	}
	f.mu.Unlock()
	return out, nil
}

func (f *fakeCore) Classify(context.Context, session.Actor, string) (session.Classification, error) {
	return session.Classification{}, nil
}

func (f *fakeCore) Refuse(_ context.Context, r session.Refusal) {
	f.mu.Lock()
	f.refused = append(f.refused, string(r.Channel)+":"+r.Code)
	f.mu.Unlock()
}

func (f *fakeCore) Proposal(context.Context, session.Actor, session.ProposalID) (session.Proposal, error) {
	return session.Proposal{}, nil
}

func (f *fakeCore) Events(ctx context.Context, _ session.Actor, after int64, wait time.Duration) ([]session.Event, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		f.mu.Lock()
		var out []session.Event
		for _, e := range f.events {
			if e.ID > after {
				out = append(out, e)
			}
		}
		wake := f.wake
		f.mu.Unlock()
		if len(out) > 0 || wait <= 0 {
			return out, nil
		}
		select {
		case <-wake:
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// publish appends an event with a progress part and wakes waiters.
func (f *fakeCore) publish(pct int) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := int64(len(f.events) + 1)
	out := session.Outbound{Turn: "t_task", Parts: []session.Part{&session.Progress{Task: "t_1", Tool: "x.check", State: "running", Percent: pct}}}
	f.events = append(f.events, session.Event{ID: id, At: time.Now(), Out: out})
	close(f.wake)
	f.wake = make(chan struct{})
	return id
}

func (f *fakeCore) refusals() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refused...)
}

func (f *fakeCore) runs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ran)
}

func directory() *session.StaticDirectory {
	d := session.NewStaticDirectory()
	d.Add(session.Actor{ID: "alice", Tenant: "acme", Roles: []string{"admin"}}, "demo-alice")
	return d
}

func start(t *testing.T, core *fakeCore, opt web.Options) (*httptest.Server, *web.Web) {
	t.Helper()
	w := web.New(channels.Core{Turns: core, Deliveries: core}, directory(), opt)
	srv := httptest.NewServer(w)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Shutdown(ctx)
		srv.Close()
	})
	return srv, w
}

// frame is any server frame.
type frame struct {
	Type         string                `json:"type"`
	Code         string                `json:"code"`
	Message      string                `json:"message"`
	InReplyTo    string                `json:"in_reply_to"`
	Turn         string                `json:"turn_id"`
	Replies      []json.RawMessage     `json:"replies"`
	ID           int64                 `json:"id"`
	Outbound     json.RawMessage       `json:"outbound"`
	Actor        string                `json:"actor"`
	Tenant       string                `json:"tenant"`
	Session      string                `json:"session"`
	Capabilities channels.Capabilities `json:"capabilities"`
	ServerTime   time.Time             `json:"server_time"`
}

// client is a gorilla client whose frames are read by one goroutine.
type client struct {
	ws     *websocket.Conn
	frames chan frame
	closed chan *websocket.CloseError
}

func dialOrigin(t testing.TB, srv *httptest.Server, origin string) (*client, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", h)
	if err != nil {
		return nil, resp, err
	}
	c := &client{ws: ws, frames: make(chan frame, 256), closed: make(chan *websocket.CloseError, 1)}
	go func() {
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				ce, _ := err.(*websocket.CloseError)
				c.closed <- ce
				close(c.frames)
				return
			}
			var f frame
			if err := json.Unmarshal(b, &f); err != nil {
				panic(fmt.Sprintf("server sent non-JSON %q", b))
			}
			c.frames <- f
		}
	}()
	t.Cleanup(func() { ws.Close() })
	return c, resp, nil
}

func dial(t testing.TB, srv *httptest.Server) *client {
	t.Helper()
	c, resp, err := dialOrigin(t, srv, srv.URL)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	return c
}

func (c *client) send(t testing.TB, v any) {
	t.Helper()
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		b, _ = json.Marshal(v)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func (c *client) next(t testing.TB) frame {
	t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			t.Fatalf("socket closed: %v", <-c.closed)
		}
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame within 5s")
	}
	return frame{}
}

// nextType skips event frames when waiting for something else, and the
// other way round.
func (c *client) nextType(t testing.TB, typ string) frame {
	t.Helper()
	for {
		f := c.next(t)
		if f.Type == typ {
			return f
		}
		if typ != "event" && f.Type == "event" {
			continue
		}
		t.Fatalf("want a %s frame, got %+v", typ, f)
	}
}

func (c *client) closeCode(t testing.TB) *websocket.CloseError {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				ce := <-c.closed
				if ce == nil {
					t.Fatal("connection dropped without a close frame")
				}
				return ce
			}
		case <-deadline:
			t.Fatal("not closed within 5s")
		}
	}
}

// poll waits up to d for a frame.
func (c *client) poll(d time.Duration) (frame, bool) {
	select {
	case f, ok := <-c.frames:
		return f, ok
	case <-time.After(d):
		return frame{}, false
	}
}

// quiet asserts that no frame arrives for d.
func (c *client) quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case f, ok := <-c.frames:
		if ok {
			t.Fatalf("unexpected frame %+v", f)
		}
	case <-time.After(d):
	}
}

func signIn(t testing.TB, c *client) frame { return signInAs(t, c, "demo-alice") }

func signInAs(t testing.TB, c *client, token string) frame {
	t.Helper()
	c.send(t, map[string]string{"type": "auth", "token": token})
	f := c.nextType(t, "ready")
	return f
}

func texts(t testing.TB, replies []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, r := range replies {
		p, err := session.UnmarshalPart(r)
		if err != nil {
			t.Fatalf("part %s: %v", r, err)
		}
		switch x := p.(type) {
		case *session.Text:
			out = append(out, x.Text)
		case *session.Error:
			out = append(out, "error:"+x.Code)
		case *session.ProposalCard:
			out = append(out, "proposal:"+string(x.ID))
		case *session.Progress:
			out = append(out, "progress:"+string(x.Task)+":"+x.State)
		}
	}
	return out
}

func TestPageIsServedWithAPolicy(t *testing.T) {
	srv, _ := start(t, newFakeCore(), web.Options{})
	for _, c := range []struct {
		method, path string
		status       int
		ctype        string
	}{
		{"GET", "/", 200, "text/html"},
		{"HEAD", "/", 200, "text/html"},
		{"GET", "/assets/app.js", 200, "text/javascript"},
		{"GET", "/assets/app.css", 200, "text/css"},
		{"GET", "/assets/icon.svg", 200, "image/svg+xml"},
		{"GET", "/assets/nope.js", 404, "application/json"},
		{"GET", "/assets/", 404, "application/json"},
		{"GET", "/etc/passwd", 404, "application/json"},
		{"POST", "/", 405, "application/json"},
		{"GET", "/ws", 400, "application/json"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("%s %s: %d %s %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if c.path == "/" && c.method == "GET" {
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP %q", csp)
			}
			// Nothing is fetched from elsewhere: no absolute URLs in the page.
			if strings.Contains(string(body), "http://") || strings.Contains(string(body), "https://") {
				t.Errorf("the page references another origin")
			}
		}
	}
	// Revalidation by ETag.
	resp, _ := http.Get(srv.URL + "/assets/app.js")
	resp.Body.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/assets/app.js", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", resp2.StatusCode)
	}
}

func TestReadyAfterAuth(t *testing.T) {
	srv, _ := start(t, newFakeCore(), web.Options{})
	c := dial(t, srv)
	f := signIn(t, c)
	if f.Actor != "alice" || f.Tenant != "acme" || f.Session != "s:acme:alice" || f.ServerTime.IsZero() {
		t.Fatalf("ready %+v", f)
	}
	// CHAN-03: the page declares what it renders; the kernel picks the form.
	if f.Capabilities != (channels.Capabilities{Buttons: true, Edits: true, MaxText: 4000}) {
		t.Fatalf("capabilities %+v", f.Capabilities)
	}
	c.send(t, map[string]string{"type": "message", "id": "m1", "text": "hi"})
	turn := c.nextType(t, "turn")
	if turn.InReplyTo != "m1" || turn.Turn == "" || !slices.Equal(texts(t, turn.Replies), []string{"hello alice: hi"}) {
		t.Fatalf("turn %+v", turn)
	}
}

// CHAN-04: nothing reaches the kernel from a socket that has not signed in.
func TestAuthMustComeFirst(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{})
	for name, first := range map[string]string{
		"message":   `{"type":"message","id":"m1","text":"delete staging-1"}`,
		"malformed": `{"type":"auth","token":`,
		"extra":     `{"type":"auth","token":"demo-alice","as":"bob"}`,
		"resume":    `{"type":"resume","after":0}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, srv)
			c.send(t, first)
			f := c.nextType(t, "error")
			ce := c.closeCode(t)
			if ce.Code != web.CloseUnauthenticated || ce.Text != f.Code {
				t.Fatalf("close %v after %+v", ce, f)
			}
			switch name {
			case "extra":
				if f.Code != session.CodeUnknownField {
					t.Fatalf("code %s", f.Code)
				}
			default:
				if f.Code != web.CodeAuthRequired {
					t.Fatalf("code %s", f.Code)
				}
			}
		})
	}
	if core.runs() != 0 {
		t.Fatal("an unauthenticated frame reached the core")
	}
	if n := len(core.refusals()); n != 4 {
		t.Fatalf("refusals audited: %v", core.refusals())
	}
}

func TestBadToken(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{})
	for _, tok := range []string{"demo-mallory", "", "   "} {
		c := dial(t, srv)
		c.send(t, map[string]string{"type": "auth", "token": tok})
		f := c.nextType(t, "error")
		ce := c.closeCode(t)
		if f.Code != session.CodeUnauthenticated || ce.Code != web.CloseUnauthenticated || ce.Text != "unauthenticated" {
			t.Fatalf("token %q: %+v %v", tok, f, ce)
		}
	}
	if got := core.refusals(); len(got) != 3 || got[0] != "web:unauthenticated" {
		t.Fatalf("refusals %v", got)
	}
}

func TestAuthTimeout(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{AuthTimeout: 200 * time.Millisecond})
	c := dial(t, srv)
	f := c.nextType(t, "error")
	ce := c.closeCode(t)
	if f.Code != web.CodeAuthTimeout || ce.Code != web.CloseUnauthenticated || ce.Text != web.CodeAuthTimeout {
		t.Fatalf("%+v %v", f, ce)
	}
	if got := core.refusals(); !slices.Equal(got, []string{"web:auth_timeout"}) {
		t.Fatalf("refusals %v", got)
	}
}

func TestOriginAllowList(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{AllowedOrigins: []string{"https://Chat.Example.com"}})
	for _, c := range []struct {
		origin string
		ok     bool
	}{
		{srv.URL, true},                             // a loopback origin: one of the gateway's own names
		{"https://chat.example.com", true},          // listed (case-insensitive)
		{"https://evil.example", false},             // not listed
		{"https://chat.example.com.evil.io", false}, // look-alike
		{"null", false},                             // sandboxed frame, file://
		{"", false},                                 // no Origin: not allowed unless configured
	} {
		cl, resp, err := dialOrigin(t, srv, c.origin)
		if c.ok {
			if err != nil {
				t.Errorf("origin %q refused: %v", c.origin, err)
				continue
			}
			signIn(t, cl)
			continue
		}
		if err == nil {
			t.Errorf("origin %q accepted", c.origin)
			continue
		}
		var body struct {
			Error session.Error `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || body.Error.Code != web.CodeOriginNotAllowed {
			t.Errorf("origin %q: %d %+v", c.origin, resp.StatusCode, body)
		}
	}
	if n := strings.Count(strings.Join(core.refusals(), ","), "origin_not_allowed"); n != 4 {
		t.Fatalf("refusals %v", core.refusals())
	}
	// A non-browser client may connect without an Origin when configured.
	srv2, _ := start(t, core, web.Options{AllowMissingOrigin: true})
	cl, _, err := dialOrigin(t, srv2, "")
	if err != nil {
		t.Fatalf("missing origin refused although allowed: %v", err)
	}
	signIn(t, cl)
}

func TestMalformedFrames(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{MaxMalformed: 9})
	c := dial(t, srv)
	signIn(t, c)
	for _, x := range []struct {
		frame, code, reply string
	}{
		{`{"type":"message","id":"m1",`, session.CodeBadRequest, ""},
		{`[1,2]`, session.CodeBadRequest, ""},
		{`{"id":"m1","text":"hi"}`, session.CodeBadRequest, "m1"},
		{`{"type":"message","id":"m1","text":"hi","admin":true}`, session.CodeUnknownField, "m1"},
		{`{"type":"message","id":"m1","text":42}`, session.CodeBadRequest, "m1"},
		{`{"type":"message","text":"no id"}`, session.CodeBadRequest, ""},
		{`{"type":"message","id":"m1","text":"   "}`, session.CodeBadRequest, "m1"},
		{`{"type":"teleport","id":"m1"}`, web.CodeUnknownType, "m1"},
	} {
		c.send(t, x.frame)
		f := c.nextType(t, "error")
		if f.Code != x.code || f.InReplyTo != x.reply || f.Message == "" {
			t.Errorf("%s: %+v", x.frame, f)
		}
	}
	if core.runs() != 0 {
		t.Fatal("a refused frame reached the core")
	}
	// The socket is still usable after refused frames…
	c.send(t, map[string]string{"type": "message", "id": "m2", "text": "still here"})
	if f := c.nextType(t, "turn"); f.InReplyTo != "m2" {
		t.Fatalf("%+v", f)
	}
	// …until there are too many.
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if f := c.nextType(t, "error"); f.Code != session.CodeBadRequest {
		t.Fatalf("%+v", f)
	}
	_ = c.nextType(t, "error") // "too many refused frames"
	if ce := c.closeCode(t); ce.Code != web.CloseBadRequest || ce.Text != session.CodeBadRequest {
		t.Fatalf("close %v", ce)
	}
	if n := len(core.refusals()); n < 9 {
		t.Fatalf("refusals audited: %v", core.refusals())
	}
}

func TestOversizeFrame(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{MaxFrameBytes: 1024})
	c := dial(t, srv)
	signIn(t, c)
	big := fmt.Sprintf(`{"type":"message","id":"m1","text":%q}`, strings.Repeat("x", 256<<10))
	// The server refuses mid-frame, so the write itself may fail.
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(big))
	f := c.nextType(t, "error")
	ce := c.closeCode(t)
	if f.Code != web.CodeFrameTooLarge || ce.Code != websocket.CloseMessageTooBig || ce.Text != web.CodeFrameTooLarge {
		t.Fatalf("%+v %v", f, ce)
	}
	if core.runs() != 0 || !slices.Contains(core.refusals(), "web:frame_too_large") {
		t.Fatalf("runs %d refusals %v", core.runs(), core.refusals())
	}
	// Before sign-in too.
	c2 := dial(t, srv)
	_ = c2.ws.WriteMessage(websocket.TextMessage, []byte(big))
	if f := c2.nextType(t, "error"); f.Code != web.CodeFrameTooLarge {
		t.Fatalf("%+v", f)
	}
	if ce := c2.closeCode(t); ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("%v", ce)
	}
}

func TestDecisionFrames(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{})
	c := dial(t, srv)
	signIn(t, c)
	// Malformed decisions are refused by the channel.
	for _, x := range []string{
		`{"type":"decision","id":"d1","proposal_id":"p_known","decision":"maybe"}`,
		`{"type":"decision","id":"d1","proposal_id":"../../etc","decision":"accept"}`,
		`{"type":"decision","id":"d1","proposal_id":"","decision":"accept"}`,
		`{"type":"decision","id":"d 1","proposal_id":"p_known","decision":"accept"}`,
	} {
		c.send(t, x)
		if f := c.nextType(t, "error"); f.Code != session.CodeBadRequest {
			t.Fatalf("%s: %+v", x, f)
		}
	}
	// A well-formed decision becomes an Action, with its id as the dedupe key.
	c.send(t, map[string]string{"type": "decision", "id": "d2", "proposal_id": "p_known", "decision": "accept", "phrase": "web-1"})
	f := c.nextType(t, "turn")
	if f.InReplyTo != "d2" || !slices.Equal(texts(t, f.Replies), []string{"done: accept"}) {
		t.Fatalf("%+v", f)
	}
	core.mu.Lock()
	in := core.ran[0]
	core.mu.Unlock()
	if in.ID != "d2" || in.From.Channel != "web" || in.From.Account != "alice" || in.Action == nil ||
		in.Action.Proposal != "p_known" || in.Action.Kind != session.ActionAccept || in.Action.Phrase != "web-1" {
		t.Fatalf("inbound %+v", in)
	}
}

func TestResumeDeliversEachEventOnce(t *testing.T) {
	core := newFakeCore()
	srv, _ := start(t, core, web.Options{EventWait: time.Second})
	core.publish(10)
	core.publish(20)
	c := dial(t, srv)
	signIn(t, c)
	c.send(t, map[string]any{"type": "resume", "after": 0})
	for want := int64(1); want <= 2; want++ {
		if f := c.nextType(t, "event"); f.ID != want || !strings.Contains(string(f.Outbound), `"percent":`) {
			t.Fatalf("event %+v", f)
		}
	}
	// One resume per socket.
	c.send(t, map[string]any{"type": "resume", "after": 0})
	if f := c.nextType(t, "error"); f.Code != session.CodeBadRequest {
		t.Fatalf("%+v", f)
	}
	// Live delivery.
	core.publish(30)
	if f := c.nextType(t, "event"); f.ID != 3 {
		t.Fatalf("%+v", f)
	}
	// Dropped: an event arrives meanwhile; the page resumes after the
	// last id it saw and gets only what it missed.
	c.ws.Close()
	core.publish(40)
	c2 := dial(t, srv)
	signIn(t, c2)
	c2.send(t, map[string]any{"type": "resume", "after": 3})
	if f := c2.nextType(t, "event"); f.ID != 4 {
		t.Fatalf("%+v", f)
	}
	c2.quiet(t, 300*time.Millisecond)
	c2.send(t, map[string]any{"type": "resume", "after": -1})
	if f := c2.nextType(t, "error"); f.Code != session.CodeBadRequest {
		t.Fatalf("%+v", f)
	}
}

func TestResendAfterReconnectRunsOnce(t *testing.T) {
	core := newFakeCore()
	core.hold = make(chan struct{})
	srv, _ := start(t, core, web.Options{})
	c := dial(t, srv)
	signIn(t, c)
	// The socket drops while the turn runs; the turn still completes.
	c.send(t, map[string]string{"type": "message", "id": "m-slow", "text": "slow"})
	time.Sleep(100 * time.Millisecond)
	c.ws.Close()
	close(core.hold)
	c2 := dial(t, srv)
	signIn(t, c2)
	var f frame
	for i := 0; i < 50; i++ { // the page re-sends until the stored outcome is there
		c2.send(t, map[string]string{"type": "message", "id": "m-slow", "text": "slow"})
		f = c2.nextType(t, "turn")
		if !slices.Equal(texts(t, f.Replies), []string{"error:" + session.CodeDuplicate}) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !slices.Equal(texts(t, f.Replies), []string{"slow done"}) || f.InReplyTo != "m-slow" {
		t.Fatalf("%+v", f)
	}
	if core.runs() != 1 {
		t.Fatalf("ran %d times", core.runs())
	}
}

func TestPingKeepsAlive(t *testing.T) {
	srv, _ := start(t, newFakeCore(), web.Options{PingInterval: 50 * time.Millisecond})
	c := dial(t, srv)
	pinged := make(chan struct{}, 16)
	c.ws.SetPingHandler(func(data string) error {
		pinged <- struct{}{}
		return c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	signIn(t, c)
	for i := 0; i < 3; i++ {
		select {
		case <-pinged:
		case <-time.After(2 * time.Second):
			t.Fatal("no ping")
		}
	}
	// Pongs kept it open past 2.5 intervals.
	c.send(t, map[string]string{"type": "message", "id": "m1", "text": "hi"})
	if f := c.nextType(t, "turn"); f.InReplyTo != "m1" {
		t.Fatalf("%+v", f)
	}
}

func TestShutdownClosesSockets(t *testing.T) {
	core := newFakeCore()
	w := web.New(channels.Core{Turns: core, Deliveries: core}, directory(), web.Options{})
	srv := httptest.NewServer(w)
	defer srv.Close()
	c := dial(t, srv)
	signIn(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if ce := c.closeCode(t); ce.Code != websocket.CloseGoingAway {
		t.Fatalf("%v", ce)
	}
	_, resp, err := dialOrigin(t, srv, srv.URL)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a socket was accepted during shutdown: %v", err)
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Chat.Example.com":      "https://chat.example.com",
		"http://127.0.0.1:8080":         "http://127.0.0.1:8080",
		"https://chat.example.com/":     "https://chat.example.com",
		"https://chat.example.com/path": "",
		"ftp://chat.example.com":        "",
		"chat.example.com":              "",
		"https://u:p@chat.example.com":  "",
	} {
		got, ok := web.NormalizeOrigin(in)
		if (want == "") == ok || got != want {
			t.Errorf("%q → %q %v", in, got, ok)
		}
	}
}
