package storetest

import (
	"errors"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var linkChecks = []check{
	{"SaveThenLinkFor", linkRoundTrip},
	{"UnknownAccountNotFound", linkUnknown},
	{"OtherActorConflicts", linkConflict},
	{"RelinkSameActor", linkRelink},
	{"DeleteOnlyOwnLink", linkDelete},
	{"ActorLinksInOrder", linkList},
	{"CodeUsedOnce", linkCodeOnce},
	{"UnknownCodeNotFound", linkCodeUnknown},
	{"DuplicateCodeFails", linkCodeDuplicate},
	{"ConcurrentCodeUseOneWins", linkCodeConcurrent},
}

// link is a link of an account to an actor at instant i.
func link(channel session.ChannelID, account string, tenant session.TenantID, actor session.ActorID, i int) store.Link {
	return store.Link{Channel: channel, Account: account, Tenant: tenant, Actor: actor, LinkedAt: at(i)}
}

// code is a link code of alice's.
func code(hash string) store.LinkCode {
	return store.LinkCode{Hash: hash, Tenant: "acme", Actor: "alice", Expires: at(600)}
}

// wantLink checks the link of an account.
func wantLink(t *testing.T, b store.Backend, want store.Link) {
	t.Helper()
	got, err := b.LinkFor(t.Context(), want.Channel, want.Account)
	must(t, err)
	same(t, "link", got, want)
}

func linkRoundTrip(t *testing.T, b store.Backend) {
	l := link("telegram", "42", "acme", "alice", 1)
	saveAll(t, b.SaveLink, l)
	wantLink(t, b, l)
}

func linkUnknown(t *testing.T, b store.Backend) {
	_, err := b.LinkFor(t.Context(), "telegram", "42")
	wantErr(t, err, store.ErrNotFound)
}

// linkConflict: an account linked to one actor cannot be linked to another
// (another actor of the tenant, or the same name in another tenant), and
// the first link stays.
func linkConflict(t *testing.T, b store.Backend) {
	l := link("telegram", "42", "acme", "alice", 1)
	saveAll(t, b.SaveLink, l)
	for _, other := range []store.Link{link("telegram", "42", "acme", "bob", 2), link("telegram", "42", "zeta", "alice", 3)} {
		wantErr(t, b.SaveLink(t.Context(), other), store.ErrConflict)
	}
	wantLink(t, b, l)
}

// linkRelink: linking an account again to the same actor succeeds. Today:
// it moves LinkedAt to the new time.
func linkRelink(t *testing.T, b store.Backend) {
	must(t, b.SaveLink(t.Context(), link("telegram", "42", "acme", "alice", 1)))
	again := link("telegram", "42", "acme", "alice", 2)
	must(t, b.SaveLink(t.Context(), again))
	wantLink(t, b, again)
}

// linkDelete: only the actor's own link is deleted; deleting it again, or
// someone else's, is ErrNotFound.
func linkDelete(t *testing.T, b store.Backend) {
	l := link("telegram", "42", "acme", "alice", 1)
	saveAll(t, b.SaveLink, l)
	wantErr(t, b.DeleteLink(t.Context(), link("telegram", "42", "acme", "bob", 2)), store.ErrNotFound)
	wantLink(t, b, l)
	must(t, b.DeleteLink(t.Context(), l))
	wantErr(t, b.DeleteLink(t.Context(), l), store.ErrNotFound)
	linkUnknown(t, b)
}

// linkList: Links lists the actor's links only. Today: by channel, then
// account.
func linkList(t *testing.T, b store.Backend) {
	want := []store.Link{link("slack", "U1", "acme", "alice", 3), link("telegram", "42", "acme", "alice", 1), link("telegram", "7", "acme", "alice", 2)}
	saveAll(t, b.SaveLink, want[1], want[2], link("telegram", "9", "acme", "bob", 4), want[0], link("web", "x", "zeta", "alice", 5))
	got, err := b.Links(t.Context(), "acme", "alice")
	must(t, err)
	same(t, "links", got, want)
	got, err = b.Links(t.Context(), "acme", "carol")
	must(t, err)
	same(t, "links of an actor without any", len(got), 0)
}

// linkCodeOnce: UseLinkCode returns the code as saved once, then
// ErrNotFound. Today: expiry is the caller's check (a code past Expires is
// still returned).
func linkCodeOnce(t *testing.T, b store.Backend) {
	c := code("h1")
	saveAll(t, b.SaveLinkCode, c)
	got, err := b.UseLinkCode(t.Context(), "h1", at(900))
	must(t, err)
	same(t, "code", got, c)
	_, err = b.UseLinkCode(t.Context(), "h1", at(901))
	wantErr(t, err, store.ErrNotFound)
}

func linkCodeUnknown(t *testing.T, b store.Backend) {
	_, err := b.UseLinkCode(t.Context(), "h_nope", at(1))
	wantErr(t, err, store.ErrNotFound)
}

// linkCodeDuplicate: saving a code hash again fails.
func linkCodeDuplicate(t *testing.T, b store.Backend) {
	saveAll(t, b.SaveLinkCode, code("h1"))
	if err := b.SaveLinkCode(t.Context(), code("h1")); err == nil {
		t.Fatal("second SaveLinkCode of h1 succeeded")
	}
}

// linkCodeConcurrent: of concurrent users of one code exactly one gets
// it; the others get ErrNotFound.
func linkCodeConcurrent(t *testing.T, b store.Backend) {
	saveAll(t, b.SaveLinkCode, code("h1"))
	exactlyOne(t, func(i int) (bool, error) {
		_, err := b.UseLinkCode(t.Context(), "h1", at(i))
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
}
