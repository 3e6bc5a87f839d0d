// Package twilio is the phone channel: Twilio Media Streams carry a call's
// audio, both ways, to the voice engine (package voice). It is the module
// "channels.twilio" (block twilio:, one instance per phone number).
//
// Contract (VOI-04). The call webhook (/hooks/twilio/<name>) is answered
// only when its X-Twilio-Signature verifies against the auth token and
// the public URL; otherwise 403 bad_signature, audited, and no call state
// is made. The caller is the verified From number, linked to an actor like
// any channel account: an unknown number is told so politely, audited,
// and hung up on. A known caller gets TwiML that connects a bidirectional
// stream carrying a one-time token; the stream (/hooks/twilio/<name>/stream)
// is served only for a token issued within a minute and never before
// used. Outbound calls (Dialer) ring a person's linked number through the
// REST API for what must reach them now (a critical alert), with the same
// dialogue.
package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/engines"
)

// Block is one phone number's configuration (twilio.<name>).
type Block struct {
	Tenant        string `json:"tenant"`
	AccountSID    string `json:"account_sid"`
	AuthTokenEnv  string `json:"auth_token_env,omitempty"`
	AuthTokenFile string `json:"auth_token_file,omitempty"`
	// PublicURL is the server's address as Twilio reaches it
	// ("https://voice.example.com"): the webhook is PublicURL +
	// /hooks/twilio/<name>, the signature is computed over it, and the
	// stream is its wss:// form.
	PublicURL string `json:"public_url"`
	// Number is this number in E.164 ("+15550100"): the caller id of
	// outbound calls.
	Number string             `json:"number,omitempty"`
	Speech voice.SpeechConfig `json:"speech,omitempty"`
	Menu   []voice.MenuItem   `json:"menu,omitempty"`
	// APIURL replaces Twilio's REST address (a proxy, a test).
	APIURL string `json:"api_url,omitempty"`

	adapter *Adapter
	host    channels.Host
}

func init() { module.Register(&Block{}) }

// Module implements module.Module.
func (*Block) Module() module.Info {
	return module.Info{ID: "channels.twilio", New: func() module.Module { return &Block{} }, Instances: true}
}

var (
	reSID    = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	reE164   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	reName   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	reMenuKy = regexp.MustCompile(`^[3-8]$`)
	reToken  = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// Validate implements module.Validator (no I/O).
func (b *Block) Validate() error {
	var errs []error
	if b.Tenant == "" {
		errs = append(errs, errors.New("tenant: required"))
	}
	if !reSID.MatchString(b.AccountSID) {
		errs = append(errs, errors.New("account_sid: want AC and 32 hex digits"))
	}
	if b.AuthTokenEnv == "" && b.AuthTokenFile == "" {
		errs = append(errs, errors.New("set auth_token_env or auth_token_file (the account's auth token)"))
	}
	if u, err := url.Parse(b.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" && u.Path != "/" {
		errs = append(errs, errors.New("public_url: want the server's https://host[:port] as Twilio reaches it"))
	}
	if b.Number != "" && !reE164.MatchString(b.Number) {
		errs = append(errs, errors.New("number: want E.164, such as +15550100"))
	}
	for i, m := range b.Menu {
		if !reMenuKy.MatchString(m.Key) || m.Say == "" || m.Text == "" {
			errs = append(errs, fmt.Errorf("menu[%d]: want a key from 3 to 8 (1, 2, 9, * and # are the call's own), say and text", i))
		}
	}
	if err := b.Speech.Check(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Provision resolves the auth token, opens the speech engines (a missing
// engine stops start-up, saying what to install) and builds the adapter.
func (b *Block) Provision(ctx context.Context, h module.Host) error {
	ch, err := channels.HostOf(h)
	if err != nil {
		return err
	}
	name := ch.Instance()
	if !reName.MatchString(name) {
		return errors.New("a number's name is a lower-case letter then up to 31 of a-z, 0-9 and _")
	}
	if !slices.Contains(ch.Directory().Tenants(ctx), session.TenantID(b.Tenant)) {
		return fmt.Errorf("tenant %q: not a configured tenant", b.Tenant)
	}
	token, err := h.Secret("auth_token", b.AuthTokenEnv, b.AuthTokenFile)
	if err != nil {
		return err
	}
	if !reToken.MatchString(token) {
		// The REST client refuses such a token only when a call is placed.
		return errors.New("auth_token: want the account's auth token, letters and digits only")
	}
	sp, err := engines.Open(ctx, b.Speech, h)
	if err != nil {
		return err
	}
	channel := session.ChannelID("twilio")
	if name != "default" {
		channel = session.ChannelID("twilio." + name)
	}
	b.host = ch
	b.adapter = New(ch.Core(), sp, Options{
		Name: name, Channel: channel, Tenant: session.TenantID(b.Tenant), AccountSID: b.AccountSID, AuthToken: token,
		PublicURL: strings.TrimSuffix(b.PublicURL, "/"), Number: b.Number, Menu: b.Menu, APIURL: b.APIURL,
		Log: h.Logger().With("channel", channel),
	})
	return nil
}

// Adapter is the provisioned adapter (its Dialer places outbound calls).
func (b *Block) Adapter() *Adapter { return b.adapter }

// Start mounts the webhook and the stream at /hooks/twilio/<name>.
func (b *Block) Start(context.Context) error {
	if b.adapter == nil {
		return errors.New("the number was not provisioned")
	}
	b.host.Mount("/hooks/twilio/"+b.host.Instance(), b.adapter)
	return nil
}

// Stop ends every call in progress and waits for them, within ctx.
func (b *Block) Stop(ctx context.Context) error {
	if b.adapter == nil {
		return nil
	}
	return b.adapter.Close(ctx)
}

// tokens are the one-time stream tokens: issued by the webhook (or an
// outbound call), taken once by the stream within their lifetime.
type tokens struct {
	mu  sync.Mutex
	m   map[string]pending
	now func() time.Time
}

// pending is what a token stands for: a call about to connect.
type pending struct {
	actor   session.Actor
	from    session.Address
	notice  *voice.Notice
	expires time.Time
}

const tokenTTL = time.Minute

func (t *tokens) put(tok string, p pending) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for k, v := range t.m {
		if now.After(v.expires) {
			delete(t.m, k)
		}
	}
	p.expires = now.Add(tokenTTL)
	t.m[tok] = p
}

// take returns a token's call and forgets the token: a second take of the
// same token (a replay) finds nothing.
func (t *tokens) take(tok string) (pending, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.m[tok]
	delete(t.m, tok)
	if !ok || t.now().After(p.expires) {
		return pending{}, false
	}
	return p, true
}
