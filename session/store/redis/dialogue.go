package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Dialogue state: the hash {g}:dialogue:<session> (version, state,
// updated), written by a script that checks the version it replaces.

// saveDialogue: KEYS dialogue; ARGV expected version, state, updated. It
// answers the new version, or -1 when the stored version is another.
var saveDialogue = goredis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if v ~= tonumber(ARGV[1]) then return -1 end
redis.call('HSET', KEYS[1], 'version', v + 1, 'state', ARGV[2], 'updated', ARGV[3])
return v + 1`)

// DialogueState loads a session's state; a zero row when none was saved.
func (s *Store) DialogueState(ctx context.Context, sid session.SessionID) (store.DialogueRow, error) {
	m, err := s.rdb.HGetAll(ctx, s.g("dialogue", string(sid))).Result()
	if err != nil {
		return store.DialogueRow{}, fmt.Errorf("dialogue state: %w", err)
	}
	r := store.DialogueRow{Session: sid}
	if len(m) == 0 {
		return r, nil
	}
	r.Version, _ = strconv.ParseInt(m["version"], 10, 64)
	r.State, r.Updated = json.RawMessage(m["state"]), parseTS(m["updated"])
	return r, nil
}

// SaveDialogue stores a session's state over the version it read.
func (s *Store) SaveDialogue(ctx context.Context, r store.DialogueRow) (int64, error) {
	v, err := saveDialogue.Run(ctx, s.rdb, []string{s.g("dialogue", string(r.Session))}, r.Version, string(r.State), ts(r.Updated)).Int64()
	if err != nil {
		return 0, fmt.Errorf("save dialogue: %w", err)
	}
	if v < 0 {
		return 0, store.ErrConflict
	}
	return v, nil
}
