package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Links: the hash {g}:link:<channel> maps an account to its link (JSON);
// the set {t:<tenant>}:links:<actor> lists an actor's accounts as
// "<channel>\x00<account>". A link code is the hash {g}:linkcode:<hash>
// (row; used once used). Saving, deleting and using are Lua scripts.

// saveLink: KEYS channel hash, actor set; ARGV account, link, tenant,
// actor, member.
var saveLink = goredis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local l = cjson.decode(cur)
  if l.tenant ~= ARGV[3] or l.actor ~= ARGV[4] then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[5])
return 1`)

// deleteLink: as saveLink, without the link.
var deleteLink = goredis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local l = cjson.decode(cur)
if l.tenant ~= ARGV[2] or l.actor ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[4])
return 1`)

// useLinkCode: KEYS code; ARGV at.
var useLinkCode = goredis.NewScript(`
local r = redis.call('HGET', KEYS[1], 'row')
if not r or redis.call('HEXISTS', KEYS[1], 'used') == 1 then return false end
redis.call('HSET', KEYS[1], 'used', ARGV[1])
return r`)

type linkWire struct {
	Tenant string `json:"tenant"`
	Actor  string `json:"actor"`
	At     string `json:"at"`
}

func (s *Store) actorLinks(l store.Link) string { return s.t(l.Tenant, "links", string(l.Actor)) }

// SaveLinkCode stores a new link code; a hash stored before is an error.
func (s *Store) SaveLinkCode(ctx context.Context, c store.LinkCode) error {
	row, err := encode(c, "link code")
	if err != nil {
		return err
	}
	ok, err := s.rdb.HSetNX(ctx, s.g("linkcode", c.Hash), "row", row).Result()
	if err != nil {
		return fmt.Errorf("save link code: %w", err)
	}
	if !ok {
		return fmt.Errorf("save link code: %w", store.ErrConflict)
	}
	return nil
}

// UseLinkCode marks a code used and returns it, once.
func (s *Store) UseLinkCode(ctx context.Context, hash string, at time.Time) (store.LinkCode, error) {
	raw, err := useLinkCode.Run(ctx, s.rdb, []string{s.g("linkcode", hash)}, ts(at)).Text()
	if err == goredis.Nil {
		return store.LinkCode{}, store.ErrNotFound
	}
	if err != nil {
		return store.LinkCode{}, fmt.Errorf("use link code: %w", err)
	}
	var c store.LinkCode
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return c, fmt.Errorf("decode link code: %w", err)
	}
	return c, nil
}

// SaveLink links a channel account; store.ErrConflict when it is linked
// to someone else.
func (s *Store) SaveLink(ctx context.Context, l store.Link) error {
	row, err := encode(linkWire{Tenant: string(l.Tenant), Actor: string(l.Actor), At: ts(l.LinkedAt)}, "link")
	if err != nil {
		return err
	}
	n, err := saveLink.Run(ctx, s.rdb, []string{s.g("link", string(l.Channel)), s.actorLinks(l)},
		l.Account, row, string(l.Tenant), string(l.Actor), string(l.Channel)+"\x00"+l.Account).Int()
	if err != nil {
		return fmt.Errorf("save link: %w", err)
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// DeleteLink removes an actor's link; store.ErrNotFound when there is none.
func (s *Store) DeleteLink(ctx context.Context, l store.Link) error {
	n, err := deleteLink.Run(ctx, s.rdb, []string{s.g("link", string(l.Channel)), s.actorLinks(l)},
		l.Account, string(l.Tenant), string(l.Actor), string(l.Channel)+"\x00"+l.Account).Int()
	if err != nil {
		return fmt.Errorf("delete link: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// LinkFor returns the link of a channel account; store.ErrNotFound when none.
func (s *Store) LinkFor(ctx context.Context, channel session.ChannelID, account string) (store.Link, error) {
	l := store.Link{Channel: channel, Account: account}
	raw, err := s.rdb.HGet(ctx, s.g("link", string(channel)), account).Result()
	if err == goredis.Nil {
		return l, store.ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("link: %w", err)
	}
	var w linkWire
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		return l, fmt.Errorf("decode link: %w", err)
	}
	l.Tenant, l.Actor, l.LinkedAt = session.TenantID(w.Tenant), session.ActorID(w.Actor), parseTS(w.At)
	return l, nil
}

// Links lists an actor's links, by channel and then account.
func (s *Store) Links(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]store.Link, error) {
	members, err := s.rdb.SMembers(ctx, s.actorLinks(store.Link{Tenant: tenant, Actor: actor})).Result()
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	slices.Sort(members) // "\x00" sorts a channel before its longer names
	var out []store.Link
	for _, m := range members {
		channel, account, _ := strings.Cut(m, "\x00")
		l, err := s.LinkFor(ctx, session.ChannelID(channel), account)
		if err == store.ErrNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if l.Tenant == tenant && l.Actor == actor {
			out = append(out, l)
		}
	}
	return out, nil
}
