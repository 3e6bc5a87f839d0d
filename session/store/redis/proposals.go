package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Proposals: {g}:proposal:<id> is a hash (row: the proposal as created;
// state, decided, outcome: its decision; seq: its creation order), and
// {g}:proposals:<state> the ids in a state by creation order. Every change
// of state is one Lua script, so of concurrent callers exactly one finds
// the state it expects; AcceptProposal takes the execution claim
// {g}:exec:proposal:<id> in the same script.

var createProposal = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'row', ARGV[1], 'state', ARGV[2], 'seq', seq)
redis.call('ZADD', KEYS[3], seq, ARGV[3])
return 1`)

// transitionProposal: KEYS proposal, from-set, to-set; ARGV from, to,
// decided, outcome ("" keeps it), id, and "1" when an outcome is given.
var transitionProposal = goredis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return -1 end
if st ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'decided', ARGV[3])
if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'outcome', ARGV[4]) end
redis.call('ZREM', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'seq'), ARGV[5])
return 1`)

// acceptProposal: KEYS proposal, pending-set, executing-set, claim;
// ARGV decided, id.
var acceptProposal = goredis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return -1 end
if st ~= 'pending' then return 0 end
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
redis.call('HSET', KEYS[4], 'at', ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'executing', 'decided', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'seq'), ARGV[2])
return 1`)

func (s *Store) proposalKey(id session.ProposalID) string { return s.g("proposal", string(id)) }
func (s *Store) stateSet(st store.ProposalState) string   { return s.g("proposals", string(st)) }

// CreateProposal stores a new proposal; an id stored before is an error.
func (s *Store) CreateProposal(ctx context.Context, p store.ProposalRow) error {
	row, err := encode(p, "proposal")
	if err != nil {
		return err
	}
	n, err := createProposal.Run(ctx, s.rdb, []string{s.proposalKey(p.ID), s.g("proposal", "seq"), s.stateSet(p.State)}, row, string(p.State), string(p.ID)).Int()
	if err != nil {
		return fmt.Errorf("create proposal: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("create proposal %s: %w", p.ID, store.ErrConflict)
	}
	return nil
}

// GetProposal loads a proposal; store.ErrNotFound when absent.
func (s *Store) GetProposal(ctx context.Context, id session.ProposalID) (store.ProposalRow, error) {
	m, err := s.rdb.HGetAll(ctx, s.proposalKey(id)).Result()
	if err != nil {
		return store.ProposalRow{}, fmt.Errorf("get proposal: %w", err)
	}
	return decodeProposal(m)
}

// decodeProposal builds a proposal from its hash.
func decodeProposal(m map[string]string) (store.ProposalRow, error) {
	var p store.ProposalRow
	if len(m) == 0 {
		return p, store.ErrNotFound
	}
	if err := json.Unmarshal([]byte(m["row"]), &p); err != nil {
		return p, fmt.Errorf("decode proposal: %w", err)
	}
	p.State = store.ProposalState(m["state"])
	if d, ok := m["decided"]; ok {
		p.DecidedAt = parseTS(d)
	}
	if o, ok := m["outcome"]; ok {
		p.Outcome = json.RawMessage(o)
	}
	return p, nil
}

// TransitionProposal moves a proposal from one state to another atomically.
func (s *Store) TransitionProposal(ctx context.Context, id session.ProposalID, from, to store.ProposalState, at time.Time, outcome json.RawMessage) (bool, error) {
	has := "0"
	if outcome != nil {
		has = "1"
	}
	n, err := transitionProposal.Run(ctx, s.rdb, []string{s.proposalKey(id), s.stateSet(from), s.stateSet(to)},
		string(from), string(to), ts(at), string(outcome), string(id), has).Int()
	return decided(n, err, "transition proposal")
}

// AcceptProposal moves a pending proposal to executing and takes its
// execution claim in one script.
func (s *Store) AcceptProposal(ctx context.Context, id session.ProposalID, at time.Time) (bool, error) {
	n, err := acceptProposal.Run(ctx, s.rdb, []string{s.proposalKey(id), s.stateSet(store.ProposalPending), s.stateSet(store.ProposalExecuting),
		s.execKey("proposal:" + string(id))}, ts(at), string(id)).Int()
	return decided(n, err, "accept proposal")
}

// decided maps a decision script's answer: 1 won, 0 lost, -1 unknown.
func decided(n int, err error, what string) (bool, error) {
	switch {
	case err != nil:
		return false, fmt.Errorf("%s: %w", what, err)
	case n < 0:
		return false, store.ErrNotFound
	}
	return n == 1, nil
}

// ProposalsInState lists the proposals in a state, oldest first.
func (s *Store) ProposalsInState(ctx context.Context, state store.ProposalState) ([]store.ProposalRow, error) {
	ids, err := s.rdb.ZRange(ctx, s.stateSet(state), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("proposals in state: %w", err)
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, id := range ids {
			p.HGetAll(ctx, s.proposalKey(session.ProposalID(id)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("proposals in state: %w", err)
	}
	var out []store.ProposalRow
	for _, c := range cmds {
		p, err := decodeProposal(c.(*goredis.MapStringStringCmd).Val())
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if p.State == state { // moved since the index was read: not listed
			out = append(out, p)
		}
	}
	return out, nil
}
