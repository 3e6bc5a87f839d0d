package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var grantChecks = []check{
	{"SaveAndListActive", grantRoundTrip},
	{"SaveTwiceConflicts", grantConflict},
	{"ExpiredLeftOut", grantExpired},
	{"TouchMovesForwardOnly", grantTouch},
	{"RevokeEndsActiveOfOneActor", grantRevoke},
}

func grantRow(id string, actor session.ActorID, expires int) store.GrantRow {
	return store.GrantRow{ID: id, Tenant: "acme", Actor: actor, Tool: "hosting.restart_server", Level: 2, Targets: []string{"server:web-1"},
		Where: session.Address{Channel: "web", Account: "alice"}, Proposal: "p_" + session.ProposalID(id), Kind: session.GrantSession,
		CreatedAt: at(0), LastUsed: at(0), Expires: at(expires)}
}

func grantIDs(gs []store.GrantRow) string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	return fmt.Sprint(ids)
}

// grantRoundTrip: active grants of one actor, oldest first, as stored.
func grantRoundTrip(t *testing.T, b store.Backend) {
	must(t, b.SaveGrant(t.Context(), grantRow("g_1", "alice", 3600)))
	must(t, b.SaveGrant(t.Context(), grantRow("g_2", "alice", 3600)))
	must(t, b.SaveGrant(t.Context(), grantRow("g_3", "bob", 3600)))
	gs, err := b.ActiveGrants(t.Context(), "acme", "alice", at(10))
	must(t, err)
	same(t, "grants", grantIDs(gs), "[g_1 g_2]")
	same(t, "row", gs[0], grantRow("g_1", "alice", 3600))
	none, err := b.ActiveGrants(t.Context(), "globex", "alice", at(10))
	must(t, err)
	same(t, "other tenant", len(none), 0)
}

func grantConflict(t *testing.T, b store.Backend) {
	must(t, b.SaveGrant(t.Context(), grantRow("g_1", "alice", 3600)))
	if err := b.SaveGrant(t.Context(), grantRow("g_1", "alice", 7200)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second save: %v", err)
	}
}

// grantExpired: a grant is active strictly before its expiry.
func grantExpired(t *testing.T, b store.Backend) {
	must(t, b.SaveGrant(t.Context(), grantRow("g_1", "alice", 100)))
	gs, err := b.ActiveGrants(t.Context(), "acme", "alice", at(99))
	must(t, err)
	same(t, "before expiry", len(gs), 1)
	gs, err = b.ActiveGrants(t.Context(), "acme", "alice", at(100))
	must(t, err)
	same(t, "at expiry", len(gs), 0)
}

func grantTouch(t *testing.T, b store.Backend) {
	must(t, b.SaveGrant(t.Context(), grantRow("g_1", "alice", 3600)))
	must(t, b.TouchGrant(t.Context(), "g_1", at(50)))
	must(t, b.TouchGrant(t.Context(), "g_1", at(20))) // never back
	gs, err := b.ActiveGrants(t.Context(), "acme", "alice", at(60))
	must(t, err)
	same(t, "last used", gs[0].LastUsed, at(50))
	wantErr(t, b.TouchGrant(t.Context(), "g_none", at(1)), store.ErrNotFound)
}

// grantRevoke: revoking ends every active grant of the actor (and counts
// them), none of anyone else's; revoking again ends nothing.
func grantRevoke(t *testing.T, b store.Backend) {
	must(t, b.SaveGrant(t.Context(), grantRow("g_1", "alice", 3600)))
	must(t, b.SaveGrant(t.Context(), grantRow("g_2", "alice", 3600)))
	must(t, b.SaveGrant(t.Context(), grantRow("g_old", "alice", 5)))
	must(t, b.SaveGrant(t.Context(), grantRow("g_3", "bob", 3600)))
	n, err := b.RevokeGrants(t.Context(), "acme", "alice", at(10))
	must(t, err)
	same(t, "revoked", n, 2)
	gs, err := b.ActiveGrants(t.Context(), "acme", "alice", at(11))
	must(t, err)
	same(t, "alice's after", len(gs), 0)
	gs, err = b.ActiveGrants(t.Context(), "acme", "bob", at(11))
	must(t, err)
	same(t, "bob's after", grantIDs(gs), "[g_3]")
	n, err = b.RevokeGrants(t.Context(), "acme", "alice", at(12))
	must(t, err)
	same(t, "revoked again", n, 0)
}
