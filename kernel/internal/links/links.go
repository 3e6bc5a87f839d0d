// Package links is identity linking. An actor may have accounts on several
// channels; a link is verified, never asserted: on a channel where they
// are known the actor asks for a code (short, single-use, valid for TTL);
// from the other channel's account they send it; the account is linked to
// the actor.
//
// Contract. Only a code's hash is ever stored, and a code is never
// redeemable before its issue is durably audited. Links are per tenant: a
// code redeemed from a channel account of another tenant links nothing
// (audited in both). Guessing is bounded per account. Every issue, link,
// refusal and unlink is audited.
package links

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// TTL is how long a link code may be redeemed.
const TTL = 10 * time.Minute

// Links issues and redeems link codes and keeps the links.
type Links struct {
	st     store.Links
	az     *authz.Authz
	quotas *authz.Quotas
	dir    session.Directory
	rec    *kit.Recorder
	now    func() time.Time
}

// New returns the links part.
func New(st store.Links, az *authz.Authz, quotas *authz.Quotas, dir session.Directory, rec *kit.Recorder, now func() time.Time) *Links {
	return &Links{st: st, az: az, quotas: quotas, dir: dir, rec: rec, now: now}
}

// LinkCode issues a link code for the actor. Only its hash is stored.
func (l *Links) LinkCode(ctx context.Context, a session.Actor) (string, time.Time, error) {
	a, err := l.az.Actor(ctx, a)
	if err != nil {
		return "", time.Time{}, err
	}
	if !l.quotas.AllowKey("linkcode:"+string(a.Tenant)+"/"+string(a.ID), 5) {
		return "", time.Time{}, kit.Errf(session.CodeRateLimited, "Too many link codes asked for; wait a few minutes.")
	}
	code := newCode()
	exp := l.now().UTC().Add(TTL)
	// Audited before it exists: a code is never redeemable without its record.
	if err := l.rec.Must(ctx, a, "", audit.KindLinkCode, map[string]any{"code_sha256": codeHash(code)[:16], "expires": exp}); err != nil {
		return "", time.Time{}, err
	}
	if err := l.st.SaveLinkCode(ctx, store.LinkCode{Hash: codeHash(code), Tenant: a.Tenant, Actor: a.ID, Expires: exp}); err != nil {
		return "", time.Time{}, fmt.Errorf("save link code: %w", err)
	}
	return code, exp, nil
}

// Redeem links a channel account (of the given tenant) to the actor who
// issued the code.
func (l *Links) Redeem(ctx context.Context, tenant session.TenantID, channel session.ChannelID, account, code string) (session.Actor, error) {
	if channel == "" || account == "" {
		return session.Actor{}, kit.Errf(session.CodeBadRequest, "A link needs a channel and an account.")
	}
	refuse := func(t session.TenantID, reason string) (session.Actor, error) {
		l.rec.Note(ctx, session.Actor{ID: session.ActorID(string(channel) + ":" + account), Tenant: t}, "", audit.KindLinkRefused, map[string]any{"channel": channel, "account": account, "reason": reason})
		l.rec.SyncLogged(ctx)
		return session.Actor{}, kit.Errf(session.CodeLinkCodeInvalid, "That link code is not valid: it may be mistyped, used already, or expired. Ask for a new one on a channel where you are signed in.")
	}
	// Guessing is bounded: a few attempts per account, then a pause.
	if !l.quotas.AllowKey("redeem:"+string(tenant)+"/"+string(channel)+"/"+account, 5) {
		return refuse(tenant, "too many attempts")
	}
	c, err := l.st.UseLinkCode(ctx, codeHash(code), l.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse(tenant, "unknown or used code")
	case err != nil:
		return session.Actor{}, fmt.Errorf("use link code: %w", err)
	case !l.now().Before(c.Expires):
		return refuse(tenant, "expired code")
	case c.Tenant != tenant:
		// ISO-02: a code cannot link across tenants; audited in both.
		l.rec.Note(ctx, session.Actor{ID: c.Actor, Tenant: c.Tenant}, "", audit.KindCrossTenant, map[string]any{"link_from_tenant": tenant, "channel": channel, "account": account})
		return refuse(tenant, "code of another tenant")
	}
	a, ok := l.dir.Lookup(ctx, c.Tenant, c.Actor)
	if !ok {
		return refuse(tenant, "actor no longer exists")
	}
	return a, l.link(ctx, a, channel, account)
}

// link saves and audits a verified link.
func (l *Links) link(ctx context.Context, a session.Actor, channel session.ChannelID, account string) error {
	err := l.st.SaveLink(ctx, store.Link{Channel: channel, Account: account, Tenant: a.Tenant, Actor: a.ID, LinkedAt: l.now().UTC()})
	if errors.Is(err, store.ErrConflict) {
		l.rec.Note(ctx, a, "", audit.KindLinkRefused, map[string]any{"channel": channel, "account": account, "reason": "account linked to someone else"})
		l.rec.SyncLogged(ctx)
		return kit.Errf(session.CodeLinkConflict, "That %s account is already linked to someone else; they must unlink it first.", channel)
	}
	if err != nil {
		return fmt.Errorf("save link: %w", err)
	}
	return l.rec.Must(ctx, a, "", audit.KindLinked, map[string]any{"channel": channel, "account": account})
}

// Unlink removes one of the actor's linked accounts.
func (l *Links) Unlink(ctx context.Context, a session.Actor, channel session.ChannelID, account string) error {
	a, err := l.az.Actor(ctx, a)
	if err != nil {
		return err
	}
	err = l.st.DeleteLink(ctx, store.Link{Channel: channel, Account: account, Tenant: a.Tenant, Actor: a.ID})
	if errors.Is(err, store.ErrNotFound) {
		return kit.Errf(session.CodeNotFound, "You have no linked %s account %q.", channel, account)
	}
	if err != nil {
		return err
	}
	return l.rec.Must(ctx, a, "", audit.KindUnlinked, map[string]any{"channel": channel, "account": account})
}

// Links lists the actor's linked accounts.
func (l *Links) Links(ctx context.Context, a session.Actor) ([]session.Link, error) {
	a, err := l.az.Actor(ctx, a)
	if err != nil {
		return nil, err
	}
	return l.st.Links(ctx, a.Tenant, a.ID)
}

// ActorFor returns the actor a channel account is linked to, if any. A
// link into another tenant than the channel's is ignored.
func (l *Links) ActorFor(ctx context.Context, tenant session.TenantID, channel session.ChannelID, account string) (session.Actor, bool) {
	ln, err := l.st.LinkFor(ctx, channel, account)
	if err != nil || ln.Tenant != tenant {
		return session.Actor{}, false
	}
	return l.dir.Lookup(ctx, ln.Tenant, ln.Actor)
}

// ByText handles "link my account" in chat: it issues a code. It reports
// whether the text was such a request.
func (l *Links) ByText(ctx context.Context, a session.Actor, text string) ([]session.Part, bool, error) {
	if !session.IsLinkRequest(text) {
		return nil, false, nil
	}
	code, exp, err := l.LinkCode(ctx, a)
	if err != nil {
		return nil, true, err
	}
	return []session.Part{&session.Text{Text: fmt.Sprintf("Your link code is %s. Send \"link %s\" from the other app within 10 minutes (until %s) to link it to you. The code works once.", code, code, exp.Format("15:04 MST"))}}, true, nil
}
