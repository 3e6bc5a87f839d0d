package kernel_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

var reCode = regexp.MustCompile(`[23456789A-HJ-NP-Z]{4}-[23456789A-HJ-NP-Z]{4}`)

// Linking is verified, never asserted: single-use, expiring, per-tenant
// codes; every link and refusal audited (CHAN-05 groundwork, ISO-02).
func TestLinking(t *testing.T) {
	e := kt.New(t, kt.Options{})
	ctx := context.Background()
	out := e.Say(t, kt.Alice, "link my account")
	code := reCode.FindString(kt.TextOf(out))
	if code == "" {
		t.Fatalf("no code in %q", kt.TextOf(out))
	}
	// Typed loosely on the other app: lower case, no dash.
	a, err := e.K.Identity().Redeem(ctx, "acme", "slack", "U123", strings.ToLower(strings.ReplaceAll(code, "-", "")))
	if err != nil || a.ID != "alice" {
		t.Fatalf("redeem: %v %v", a, err)
	}
	if got, ok := e.K.Identity().ActorFor(ctx, "acme", "slack", "U123"); !ok || got.ID != "alice" {
		t.Fatalf("ActorFor: %v %v", got, ok)
	}
	if _, ok := e.K.Identity().ActorFor(ctx, "globex", "slack", "U123"); ok {
		t.Fatal("a link answered for another tenant")
	}
	// Replayed code.
	if _, err := e.K.Identity().Redeem(ctx, "acme", "telegram", "42", code); kernel.AsError(err).Code != session.CodeLinkCodeInvalid {
		t.Fatalf("replayed code: %v", err)
	}
	// A code redeemed from another tenant's channel links nothing.
	code2, _, _ := e.K.Identity().LinkCode(ctx, kt.Bob)
	if _, err := e.K.Identity().Redeem(ctx, "globex", "slack", "U999", code2); kernel.AsError(err).Code != session.CodeLinkCodeInvalid {
		t.Fatalf("cross-tenant code: %v", err)
	}
	if count(e.Audit(t, "acme"), "cross_tenant_refused", "U999") != 1 || count(e.Audit(t, "globex"), "link_refused", "another tenant") != 1 {
		t.Fatal("cross-tenant link attempt not audited in both tenants")
	}
	// Expired.
	code3, _, _ := e.K.Identity().LinkCode(ctx, kt.Bob)
	e.Clock.Advance(kernel.LinkCodeTTL + time.Second)
	if _, err := e.K.Identity().Redeem(ctx, "acme", "discord", "77", code3); kernel.AsError(err).Code != session.CodeLinkCodeInvalid {
		t.Fatalf("expired code: %v", err)
	}
	// An account already linked to someone else.
	code4, _, _ := e.K.Identity().LinkCode(ctx, kt.Bob)
	if _, err := e.K.Identity().Redeem(ctx, "acme", "slack", "U123", code4); kernel.AsError(err).Code != session.CodeLinkConflict {
		t.Fatalf("conflict: %v", err)
	}
	links, _ := e.K.Identity().Links(ctx, kt.Alice)
	if len(links) != 1 || links[0].Channel != "slack" {
		t.Fatalf("links %+v", links)
	}
	if err := e.K.Identity().Unlink(ctx, kt.Bob, "slack", "U123"); kernel.AsError(err).Code != session.CodeNotFound {
		t.Fatalf("bob unlinked alice's account: %v", err)
	}
	if err := e.K.Identity().Unlink(ctx, kt.Alice, "slack", "U123"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.K.Identity().ActorFor(ctx, "acme", "slack", "U123"); ok {
		t.Fatal("still linked")
	}
	rows := e.Audit(t, "acme")
	if count(rows, "linked", "U123") != 1 || count(rows, "unlinked", "U123") != 1 || count(rows, "link_code_issued", "") != 4 {
		t.Fatal("link life cycle not audited")
	}
	for _, r := range rows {
		if strings.Contains(r.Data, code) || strings.Contains(r.Data, strings.ReplaceAll(code, "-", "")) {
			t.Fatal("a link code is in the audit trail")
		}
	}
	if c, ok := session.LinkRedeemCode("link " + code2); !ok || c != code2 {
		t.Fatal("IsLinkRedeem")
	}
}

// A code typed on a channel where the actor is known is never recorded.
func TestLinkCodeNotRecorded(t *testing.T) {
	e := kt.New(t, kt.Options{})
	code, _, _ := e.K.Identity().LinkCode(context.Background(), kt.Alice)
	out := e.Say(t, kt.Alice, "link "+code)
	if !strings.Contains(kt.TextOf(out), "already signed in") {
		t.Fatalf("%s", kt.Dump(out))
	}
	for _, r := range e.Audit(t, "acme") {
		if strings.Contains(r.Data, code) {
			t.Fatal("code in audit")
		}
	}
}
