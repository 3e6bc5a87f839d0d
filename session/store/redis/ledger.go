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

// The fact ledger: {g}:fact:<id> holds a fact (ids from the counter
// {g}:fact:seq), {g}:facts indexes every fact by id and
// {g}:facts:s:<session> a session's.

// factWire is a stored fact: Args and Output kept as the exact bytes.
type factWire struct {
	ID       int64          `json:"id"`
	Session  string         `json:"session"`
	Turn     string         `json:"turn"`
	Step     string         `json:"step"`
	Tool     string         `json:"tool"`
	Args     string         `json:"args"`
	ArgsHash string         `json:"args_hash"`
	OK       bool           `json:"ok"`
	Output   *string        `json:"output,omitempty"`
	Error    *session.Error `json:"error,omitempty"`
	At       string         `json:"at"`
}

func toWire(f session.Fact) factWire {
	w := factWire{ID: f.ID, Session: string(f.Session), Turn: string(f.Turn), Step: string(f.Step), Tool: string(f.Tool), Args: string(f.Args),
		ArgsHash: f.ArgsHash, OK: f.OK, Error: f.Error, At: ts(f.At)}
	if len(f.Output) > 0 {
		o := string(f.Output)
		w.Output = &o
	}
	return w
}

func (w factWire) fact() session.Fact {
	f := session.Fact{ID: w.ID, Session: session.SessionID(w.Session), Turn: session.TurnID(w.Turn), Step: session.StepID(w.Step),
		Tool: session.ToolID(w.Tool), Args: json.RawMessage(w.Args), ArgsHash: w.ArgsHash, OK: w.OK, Error: w.Error, At: parseTS(w.At)}
	if w.Output != nil {
		f.Output = json.RawMessage(*w.Output)
	}
	return f
}

// newFactID takes the next fact id (an id taken by a commit that then
// lost a race stays unused: ids grow, with gaps).
func (s *Store) newFactID(ctx context.Context) (int64, error) {
	id, err := s.rdb.Incr(ctx, s.g("fact", "seq")).Result()
	if err != nil {
		return 0, fmt.Errorf("record fact: %w", err)
	}
	return id, nil
}

// queueFact queues the writes of a fact with its id set.
func (s *Store) queueFact(ctx context.Context, p goredis.Pipeliner, f session.Fact) {
	id := strconv.FormatInt(f.ID, 10)
	b, _ := json.Marshal(toWire(f)) // strings, numbers and a plain struct
	p.Set(ctx, s.g("fact", id), b, 0)
	p.ZAdd(ctx, s.g("facts"), goredis.Z{Score: float64(f.ID), Member: id})
	p.ZAdd(ctx, s.g("facts", "s", string(f.Session)), goredis.Z{Score: float64(f.ID), Member: id})
}

// Record stores a fact, with the audit entries audit builds from its id
// in the same commit, and returns its id.
func (s *Store) Record(ctx context.Context, f session.Fact, audit store.Audited) (int64, error) {
	id, err := s.newFactID(ctx)
	if err != nil {
		return 0, err
	}
	f.ID = id
	if audit == nil {
		_, err := s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			s.queueFact(ctx, p, f)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("record fact: %w", err)
		}
		return id, nil
	}
	entries := audit(id)
	err = s.commit(ctx, nil, entries, func(tx *goredis.Tx, chain chainFn) error {
		_, queue, err := chain(entries)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			s.queueFact(ctx, p, f)
			queue(p)
			return nil
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record fact: %w", err)
	}
	return id, nil
}

// Fact loads one fact; store.ErrNotFound when absent.
func (s *Store) Fact(ctx context.Context, id int64) (session.Fact, error) {
	w, err := getJSON[factWire](ctx, s.rdb, s.g("fact", strconv.FormatInt(id, 10)), "fact")
	if err != nil {
		return session.Fact{}, err
	}
	return w.fact(), nil
}

// facts loads facts by id, in order.
func (s *Store) facts(ctx context.Context, ids []string) ([]session.Fact, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.g("fact", id)
	}
	ws, err := getJSONs[factWire](ctx, s.rdb, keys, "fact")
	if err != nil {
		return nil, err
	}
	var out []session.Fact
	for _, w := range ws {
		out = append(out, w.fact())
	}
	return out, nil
}

// Recent returns the session's newest facts, oldest first, within the cap.
func (s *Store) Recent(ctx context.Context, sid session.SessionID, c session.Cap) ([]session.Fact, error) {
	limit := c.Count
	if limit <= 0 {
		limit = 20
	}
	ids, err := s.rdb.ZRevRange(ctx, s.g("facts", "s", string(sid)), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("recent facts: %w", err)
	}
	newest, err := s.facts(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []session.Fact
	total := 0
	for _, f := range newest {
		size := len(f.Args) + len(f.Output)
		if c.Bytes > 0 && total+size > c.Bytes && len(out) > 0 {
			break
		}
		total += size
		out = append(out, f)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Facts returns every session's facts after an id, oldest first.
func (s *Store) Facts(ctx context.Context, after int64, limit int) ([]session.Fact, error) {
	if limit < 1 || limit > 500 {
		limit = 500
	}
	ids, err := s.rdb.ZRangeByScore(ctx, s.g("facts"), &goredis.ZRangeBy{Min: "(" + strconv.FormatInt(after, 10), Max: "+inf", Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	return s.facts(ctx, ids)
}
