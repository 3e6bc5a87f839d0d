package kernel

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Identity linking. An actor may have accounts on several channels; a
// link is verified, never asserted: on a channel where they are known the
// actor asks for a code (short, single-use, valid for LinkCodeTTL); from
// the other channel's account they send it; the kernel links that account
// to the actor. Links are per tenant: a code redeemed from a channel
// account of another tenant links nothing. Every issue, link, refusal and
// unlink is audited.

// LinkCodeTTL is how long a link code may be redeemed.
const LinkCodeTTL = 10 * time.Minute

// codeAlphabet has no 0/O, 1/I/L: codes are read aloud and typed by hand.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

var reLinkCodeAny = regexp.MustCompile(`[23456789A-HJ-NP-Z]{4}-[23456789A-HJ-NP-Z]{4}`)

func newLinkCode() string {
	out := make([]byte, 0, 8)
	var b [16]byte
	for len(out) < 8 {
		_, _ = rand.Read(b[:])
		for _, v := range b {
			// Rejection sampling: every character equally likely.
			if int(v) < 256-256%len(codeAlphabet) && len(out) < 8 {
				out = append(out, codeAlphabet[int(v)%len(codeAlphabet)])
			}
		}
	}
	return string(out[:4]) + "-" + string(out[4:])
}

func codeHash(code string) string {
	norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte("steward-link:" + norm))
	return hex.EncodeToString(h[:])
}

// LinkCode issues a link code for the actor. Only its hash is stored.
func (k *Kernel) LinkCode(ctx context.Context, a session.Actor) (string, time.Time, error) {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return "", time.Time{}, err
	}
	if !k.allowKey("linkcode:"+string(a.Tenant)+"/"+string(a.ID), 5) {
		return "", time.Time{}, Errf(session.CodeRateLimited, "Too many link codes asked for; wait a few minutes.")
	}
	code := newLinkCode()
	exp := k.now().UTC().Add(LinkCodeTTL)
	// Audited before it exists: a code is never redeemable without its record.
	if err := k.mustAudit(ctx, a, "", audit.KindLinkCode, map[string]any{"code_sha256": codeHash(code)[:16], "expires": exp}); err != nil {
		return "", time.Time{}, err
	}
	if err := k.st.SaveLinkCode(ctx, store.LinkCode{Hash: codeHash(code), Tenant: a.Tenant, Actor: a.ID, Expires: exp}); err != nil {
		return "", time.Time{}, fmt.Errorf("save link code: %w", err)
	}
	return code, exp, nil
}

// Redeem links a channel account (of the given tenant) to the actor who
// issued the code.
func (k *Kernel) Redeem(ctx context.Context, tenant session.TenantID, channel session.ChannelID, account, code string) (session.Actor, error) {
	refuse := func(t session.TenantID, reason string) (session.Actor, error) {
		k.write(ctx, session.Actor{ID: session.ActorID(string(channel) + ":" + account), Tenant: t}, "", audit.KindLinkRefused, map[string]any{"channel": channel, "account": account, "reason": reason})
		_ = k.audit.Sync(ctx)
		return session.Actor{}, Errf(session.CodeLinkCodeInvalid, "That link code is not valid: it may be mistyped, used already, or expired. Ask for a new one on a channel where you are signed in.")
	}
	if channel == "" || account == "" {
		return session.Actor{}, Errf(session.CodeBadRequest, "A link needs a channel and an account.")
	}
	// Guessing is bounded: a few attempts per account, then a pause.
	if !k.allowKey("redeem:"+string(tenant)+"/"+string(channel)+"/"+account, 5) {
		return refuse(tenant, "too many attempts")
	}
	c, err := k.st.UseLinkCode(ctx, codeHash(code), k.now())
	if errors.Is(err, store.ErrNotFound) {
		return refuse(tenant, "unknown or used code")
	}
	if err != nil {
		return session.Actor{}, fmt.Errorf("use link code: %w", err)
	}
	if !k.now().Before(c.Expires) {
		return refuse(tenant, "expired code")
	}
	if c.Tenant != tenant {
		// ISO-02: a code cannot link across tenants; audited in both.
		k.write(ctx, session.Actor{ID: c.Actor, Tenant: c.Tenant}, "", audit.KindCrossTenant, map[string]any{"link_from_tenant": tenant, "channel": channel, "account": account})
		return refuse(tenant, "code of another tenant")
	}
	a, ok := k.dir.Lookup(ctx, c.Tenant, c.Actor)
	if !ok {
		return refuse(tenant, "actor no longer exists")
	}
	err = k.st.SaveLink(ctx, store.Link{Channel: channel, Account: account, Tenant: a.Tenant, Actor: a.ID, LinkedAt: k.now().UTC()})
	if errors.Is(err, store.ErrConflict) {
		k.write(ctx, a, "", audit.KindLinkRefused, map[string]any{"channel": channel, "account": account, "reason": "account linked to someone else"})
		_ = k.audit.Sync(ctx)
		return session.Actor{}, Errf(session.CodeLinkConflict, "That %s account is already linked to someone else; they must unlink it first.", channel)
	}
	if err != nil {
		return session.Actor{}, fmt.Errorf("save link: %w", err)
	}
	if err := k.mustAudit(ctx, a, "", audit.KindLinked, map[string]any{"channel": channel, "account": account}); err != nil {
		return session.Actor{}, err
	}
	return a, nil
}

// Unlink removes one of the actor's linked accounts.
func (k *Kernel) Unlink(ctx context.Context, a session.Actor, channel session.ChannelID, account string) error {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return err
	}
	err = k.st.DeleteLink(ctx, store.Link{Channel: channel, Account: account, Tenant: a.Tenant, Actor: a.ID})
	if errors.Is(err, store.ErrNotFound) {
		return Errf(session.CodeNotFound, "You have no linked %s account %q.", channel, account)
	}
	if err != nil {
		return err
	}
	return k.mustAudit(ctx, a, "", audit.KindUnlinked, map[string]any{"channel": channel, "account": account})
}

// Links lists the actor's linked accounts.
func (k *Kernel) Links(ctx context.Context, a session.Actor) ([]store.Link, error) {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return nil, err
	}
	return k.st.Links(ctx, a.Tenant, a.ID)
}

// ActorFor returns the actor a channel account is linked to, if any. A
// link into another tenant than the channel's is ignored.
func (k *Kernel) ActorFor(ctx context.Context, tenant session.TenantID, channel session.ChannelID, account string) (session.Actor, bool) {
	l, err := k.st.LinkFor(ctx, channel, account)
	if err != nil || l.Tenant != tenant {
		return session.Actor{}, false
	}
	return k.dir.Lookup(ctx, l.Tenant, l.Actor)
}

// IsLinkRedeem recognises "link ABCD-EFGH" sent from an unlinked account;
// channels call Redeem with the code it returns.
func IsLinkRedeem(text string) (string, bool) { return session.LinkRedeemCode(text) }

// linkByText handles "link my account" in chat: it issues a code.
func (k *Kernel) linkByText(ctx context.Context, a session.Actor, text string) ([]session.Part, bool, error) {
	if !session.IsLinkRequest(text) {
		return nil, false, nil
	}
	code, exp, err := k.LinkCode(ctx, a)
	if err != nil {
		return nil, true, err
	}
	return []session.Part{&session.Text{Text: fmt.Sprintf("Your link code is %s. Send \"link %s\" from the other app within 10 minutes (until %s) to link it to you. The code works once.", code, code, exp.Format("15:04 MST"))}}, true, nil
}
