package twilio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/voice"
)

// Options configure an Adapter.
type Options struct {
	Name       string // the number's name in the configuration
	Channel    session.ChannelID
	Tenant     session.TenantID
	AccountSID string
	AuthToken  string
	PublicURL  string // https://host[:port], no trailing slash
	Number     string
	Menu       []voice.MenuItem
	APIURL     string
	Log        *slog.Logger
	// Now is the kernel's clock (cooling periods); Call tunes calls.
	Now  func() time.Time
	Call voice.Config
}

// Adapter serves one number: its webhook, its streams, its outbound calls.
type Adapter struct {
	core  channels.Core
	sp    voice.Speech
	o     Options
	check twclient.RequestValidator
	toks  tokens
	calls sync.WaitGroup
	mu    sync.Mutex
	live  map[*voice.Call]context.CancelFunc
	// closing ends waiting call-backs when the adapter closes.
	closing   chan struct{}
	closeOnce sync.Once
}

// New returns an adapter.
func New(core channels.Core, sp voice.Speech, o Options) *Adapter {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Adapter{core: core, sp: sp, o: o, check: twclient.NewRequestValidator(o.AuthToken),
		toks: tokens{m: map[string]pending{}, now: time.Now}, live: map[*voice.Call]context.CancelFunc{}, closing: make(chan struct{})}
}

// Channel is the adapter's channel name.
func (a *Adapter) Channel() session.ChannelID { return a.o.Channel }

// WebhookURL is the address Twilio posts calls to (and signs).
func (a *Adapter) WebhookURL() string { return a.o.PublicURL + "/hooks/twilio/" + a.o.Name }

// StreamURL is the stream's address.
func (a *Adapter) StreamURL() string {
	u := a.WebhookURL() + "/stream"
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(u, "http://")
}

// ServeHTTP serves the webhook at "/" and the stream at "/stream".
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/", "":
		a.webhook(w, r)
	case "/stream":
		a.stream(w, r)
	default:
		channels.WriteError(w, http.StatusNotFound, session.CodeNotFound, "No such path.")
	}
}

// refuse audits a request turned away, in the number's tenant.
func (a *Adapter) refuse(ctx context.Context, from, code, detail string) {
	a.core.Turns.Refuse(ctx, session.Refusal{Actor: &session.Actor{ID: session.ActorID(a.o.Channel), Tenant: a.o.Tenant},
		Channel: a.o.Channel, From: from, Code: code, Detail: detail})
}

// webhook answers Twilio's call webhook (a signed form POST).
func (a *Adapter) webhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		channels.WriteError(w, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, "Use POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		channels.WriteError(w, http.StatusBadRequest, session.CodeBadRequest, "The body is not a form.")
		return
	}
	params := map[string]string{}
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" || !a.check.Validate(a.WebhookURL(), params, sig) {
		a.refuse(r.Context(), r.RemoteAddr, session.CodeBadSignature, "call webhook: missing or wrong X-Twilio-Signature")
		channels.WriteError(w, http.StatusForbidden, session.CodeBadSignature, "The request is not signed by Twilio.")
		return
	}
	from := session.Address{Channel: a.o.Channel, Account: params["From"], Chat: params["CallSid"]}
	actor, ok := a.core.Identity.ActorFor(r.Context(), a.o.Tenant, a.o.Channel, from.Account)
	if !ok || params["AccountSid"] != a.o.AccountSID {
		who := session.Actor{ID: session.ActorID(string(a.o.Channel) + ":" + from.Account), Tenant: a.o.Tenant}
		a.core.Turns.Refuse(r.Context(), session.Refusal{Actor: &who, Channel: a.o.Channel, Code: session.CodeUnknownSender,
			Detail: "call from a number that is not linked"})
		writeTwiML(w, &twiml.VoiceSay{Message: UnknownCaller}, &twiml.VoiceHangup{})
		return
	}
	tok := newToken()
	a.toks.put(tok, pending{actor: actor, from: from})
	a.connect(w, tok)
}

// UnknownCaller is what a number not linked to anyone hears.
const UnknownCaller = "Hello. This number is not linked to anyone here, so I can't act for you. " +
	"To use this line, link your phone number where you are already signed in. Goodbye."

// connect answers with TwiML that opens the stream with a one-time token.
func (a *Adapter) connect(w http.ResponseWriter, tok string) {
	writeTwiML(w, &twiml.VoiceConnect{InnerElements: []twiml.Element{
		&twiml.VoiceStream{Url: a.StreamURL(), InnerElements: []twiml.Element{&twiml.VoiceParameter{Name: "token", Value: tok}}},
	}})
}

// TwiMLConnect is the TwiML of an outbound call's stream.
func (a *Adapter) twimlConnect(tok string) (string, error) {
	return twiml.Voice([]twiml.Element{&twiml.VoiceConnect{InnerElements: []twiml.Element{
		&twiml.VoiceStream{Url: a.StreamURL(), InnerElements: []twiml.Element{&twiml.VoiceParameter{Name: "token", Value: tok}}},
	}}})
}

func writeTwiML(w http.ResponseWriter, verbs ...twiml.Element) {
	doc, err := twiml.Voice(verbs)
	if err != nil {
		channels.WriteError(w, http.StatusInternalServerError, session.CodeInternal, "Could not answer the call.")
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, doc)
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Close ends every call and waits for them, within ctx.
func (a *Adapter) Close(ctx context.Context) error {
	a.closeOnce.Do(func() { close(a.closing) })
	a.mu.Lock()
	for _, cancel := range a.live {
		cancel()
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.calls.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("calls did not end in time: %w", ctx.Err())
	}
}
