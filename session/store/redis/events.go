package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Events, marks and continuity. An event is {g}:event:<id>, listed in
// {g}:events and {g}:events:s:<session> by id; its id is taken and the
// event written in one script, so a reader never sees a larger id before
// a smaller one is stored (a feed cursor never skips an event). A mark is
// {g}:mark:<key>, its key listed in the sorted set {g}:marks (by bytes,
// for prefix listing). A session's last address is the hash
// {g}:session:<id>.

// appendEvent: KEYS seq, events, session events; ARGV event prefix,
// session, at, outbound, notice channel. Every instance subscribed to the
// notice channel wakes its waiters for the session (WatchEvents).
var appendEvent = goredis.NewScript(`
local id = redis.call('INCR', KEYS[1])
redis.call('SET', ARGV[1] .. id, cjson.encode({session = ARGV[2], at = ARGV[3], out = ARGV[4]}))
redis.call('ZADD', KEYS[2], id, id)
redis.call('ZADD', KEYS[3], id, id)
redis.call('PUBLISH', ARGV[5], ARGV[2])
return id`)

// takeMark: KEYS mark, marks; ARGV key.
var takeMark = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return v`)

type eventWire struct {
	Session string `json:"session"`
	At      string `json:"at"`
	Out     string `json:"out"`
}

// AppendEvent stores an outbound for a session and returns its id.
func (s *Store) AppendEvent(ctx context.Context, sid session.SessionID, at time.Time, out json.RawMessage) (int64, error) {
	id, err := appendEvent.Run(ctx, s.rdb, []string{s.g("event", "seq"), s.g("events"), s.g("events", "s", string(sid))},
		s.g("event", ""), string(sid), ts(at), string(out), s.g("events", "notice")).Int64()
	if err != nil {
		return 0, fmt.Errorf("append event: %w", err)
	}
	return id, nil
}

// Events returns a session's events after an id, oldest first.
func (s *Store) Events(ctx context.Context, sid session.SessionID, after int64, limit int) ([]store.Event, error) {
	return s.events(ctx, s.g("events", "s", string(sid)), after, limit)
}

// AllEvents returns every session's events after an id, oldest first.
func (s *Store) AllEvents(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	return s.events(ctx, s.g("events"), after, limit)
}

func (s *Store) events(ctx context.Context, index string, after int64, limit int) ([]store.Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	ids, err := s.rdb.ZRangeByScore(ctx, index, &goredis.ZRangeBy{Min: "(" + strconv.FormatInt(after, 10), Max: "+inf", Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.g("event", id)
	}
	ws, err := getJSONs[eventWire](ctx, s.rdb, keys, "event")
	if err != nil || len(ws) != len(ids) {
		if err == nil {
			err = fmt.Errorf("events: %d of %d events missing", len(ids)-len(ws), len(ids))
		}
		return nil, err
	}
	var out []store.Event
	for i, w := range ws {
		id, _ := strconv.ParseInt(ids[i], 10, 64)
		out = append(out, store.Event{ID: id, Session: session.SessionID(w.Session), At: parseTS(w.At), Out: json.RawMessage(w.Out)})
	}
	return out, nil
}

// LastEventID is the newest event's id, 0 when there is none.
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	zs, err := s.rdb.ZRevRangeWithScores(ctx, s.g("events"), 0, 0).Result()
	if err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	if len(zs) == 0 {
		return 0, nil
	}
	return int64(zs[0].Score), nil
}

// Mark reads a mark.
func (s *Store) Mark(ctx context.Context, key string) (string, bool, error) {
	v, err := s.rdb.Get(ctx, s.g("mark", key)).Result()
	if err == goredis.Nil {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("mark: %w", err)
	}
	return v, true, nil
}

// SetMark writes a mark; an empty value deletes it.
func (s *Store) SetMark(ctx context.Context, key, value string, at time.Time) error {
	_, err := s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		if value == "" {
			p.Del(ctx, s.g("mark", key))
			p.ZRem(ctx, s.g("marks"), key)
		} else {
			p.Set(ctx, s.g("mark", key), value, 0)
			p.ZAdd(ctx, s.g("marks"), goredis.Z{Member: key})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set mark: %w", err)
	}
	return nil
}

// TakeMark deletes a mark and returns its value; of concurrent callers
// exactly one gets it.
func (s *Store) TakeMark(ctx context.Context, key string) (string, bool, error) {
	v, err := takeMark.Run(ctx, s.rdb, []string{s.g("mark", key), s.g("marks")}, key).Text()
	if err == goredis.Nil {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("take mark: %w", err)
	}
	return v, true, nil
}

// Marks lists the marks whose key starts with prefix (bytes compared).
func (s *Store) Marks(ctx context.Context, prefix string) (map[string]string, error) {
	lo := "-"
	if prefix != "" {
		lo = "[" + prefix
	}
	keys, err := s.rdb.ZRangeByLex(ctx, s.g("marks"), &goredis.ZRangeBy{Min: lo, Max: "+"}).Result()
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	var mine []string
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			break // sorted by bytes: nothing after this has the prefix
		}
		mine = append(mine, k)
	}
	out := map[string]string{}
	if len(mine) == 0 {
		return out, nil
	}
	rk := make([]string, len(mine))
	for i, k := range mine {
		rk[i] = s.g("mark", k)
	}
	vals, err := s.rdb.MGet(ctx, rk...).Result()
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out[mine[i]] = str
		}
	}
	return out, nil
}

// TouchSession records the address a session's last turn came from.
func (s *Store) TouchSession(ctx context.Context, sid session.SessionID, from session.Address, at time.Time) error {
	err := s.rdb.HSet(ctx, s.g("session", string(sid)), "channel", string(from.Channel), "account", from.Account, "chat", from.Chat, "at", ts(at)).Err()
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// LastChannel returns the address a session was last used from.
func (s *Store) LastChannel(ctx context.Context, sid session.SessionID) (session.Address, error) {
	m, err := s.rdb.HGetAll(ctx, s.g("session", string(sid))).Result()
	if err != nil {
		return session.Address{}, fmt.Errorf("last channel: %w", err)
	}
	if len(m) == 0 {
		return session.Address{}, store.ErrNotFound
	}
	return session.Address{Channel: session.ChannelID(m["channel"]), Account: m["account"], Chat: m["chat"]}, nil
}

// WatchEvents calls fn with the session of each event appended by any
// instance until ctx ends or the store closes (bus.Watcher). A notice
// missed while reconnecting only delays a waiter to the end of its wait.
func (s *Store) WatchEvents(ctx context.Context, fn func(sid session.SessionID)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.closing.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	sub := s.rdb.Subscribe(ctx, s.g("events", "notice"))
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			fn(session.SessionID(m.Payload))
		}
	}
}
