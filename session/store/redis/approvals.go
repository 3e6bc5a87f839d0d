package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Approvals: {t:<tenant>}:approval:<proposal> is a hash (row as created;
// asked, next in unix ns, closed, closed_at, closed_by, closed_on), its
// votes the list …:votes (one per approver, kept by the set …:voters);
// {g}:approval:<proposal> names its tenant and {g}:approvals:open lists the
// open requests by their next deadline. Every change is one Lua script.

// createApproval: KEYS approval, index, open; ARGV row, asked, next, id,
// tenant.
var createApproval = goredis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[1], 'row', ARGV[1], 'asked', ARGV[2], 'next', ARGV[3], 'closed', '0')
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1`)

// advanceApproval: KEYS approval, open; ARGV from, to, next, id.
var advanceApproval = goredis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'asked', 'closed')
if not v[1] then return -1 end
if v[2] == '1' or v[1] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'asked', ARGV[2], 'next', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`)

// closeApproval: KEYS approval, open; ARGV at, by, channel, id.
var closeApproval = goredis.NewScript(`
local c = redis.call('HGET', KEYS[1], 'closed')
if not c then return -1 end
if c == '1' then return 0 end
redis.call('HSET', KEYS[1], 'closed', '1', 'closed_at', ARGV[1], 'closed_by', ARGV[2], 'closed_on', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[4])
return 1`)

// addVote: KEYS approval, votes, voters; ARGV approver, vote.
var addVote = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local added = redis.call('SADD', KEYS[3], ARGV[1])
if added == 1 then redis.call('RPUSH', KEYS[2], ARGV[2]) end
return {redis.call('LLEN', KEYS[2]), added}`)

// approvalKey is a request's hash; ErrNotFound when its tenant is unknown.
func (s *Store) approvalKey(ctx context.Context, id session.ProposalID) (string, error) {
	tenant, err := s.rdb.Get(ctx, s.g("approval", string(id))).Result()
	if err == goredis.Nil {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("approval: %w", err)
	}
	return s.t(session.TenantID(tenant), "approval", string(id)), nil
}

// CreateApproval stores a new request; store.ErrConflict when it exists.
func (s *Store) CreateApproval(ctx context.Context, r store.ApprovalRow) error {
	row, err := encode(r, "approval")
	if err != nil {
		return err
	}
	n, err := createApproval.Run(ctx, s.rdb, []string{s.t(r.Tenant, "approval", string(r.Proposal)), s.g("approval", string(r.Proposal)), s.g("approvals", "open")},
		row, r.Asked, r.Next.UnixNano(), string(r.Proposal), string(r.Tenant)).Int()
	if err != nil {
		return fmt.Errorf("create approval: %w", err)
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// GetApproval loads a request and its votes.
func (s *Store) GetApproval(ctx context.Context, id session.ProposalID) (store.ApprovalRow, error) {
	key, err := s.approvalKey(ctx, id)
	if err != nil {
		return store.ApprovalRow{}, err
	}
	var m *goredis.MapStringStringCmd
	var votes *goredis.StringSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		m, votes = p.HGetAll(ctx, key), p.LRange(ctx, key+":votes", 0, -1)
		return nil
	}); err != nil {
		return store.ApprovalRow{}, fmt.Errorf("get approval: %w", err)
	}
	r, err := decodeApproval(m.Val())
	if err != nil {
		return r, err
	}
	for _, raw := range votes.Val() {
		var v store.ApprovalVote
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return r, fmt.Errorf("decode vote: %w", err)
		}
		r.Votes = append(r.Votes, v)
	}
	return r, nil
}

// decodeApproval builds a request (without votes) from its hash.
func decodeApproval(m map[string]string) (store.ApprovalRow, error) {
	var r store.ApprovalRow
	if len(m) == 0 {
		return r, store.ErrNotFound
	}
	if err := json.Unmarshal([]byte(m["row"]), &r); err != nil {
		return r, fmt.Errorf("decode approval: %w", err)
	}
	asked, _ := strconv.Atoi(m["asked"])
	next, _ := strconv.ParseInt(m["next"], 10, 64)
	r.Asked, r.Next, r.Closed, r.Votes = asked, time.Unix(0, next).UTC(), m["closed"] == "1", nil
	if r.Closed {
		r.ClosedAt, r.ClosedBy, r.ClosedOn = parseTS(m["closed_at"]), session.ActorID(m["closed_by"]), session.ChannelID(m["closed_on"])
	}
	return r, nil
}

// AdvanceApproval moves an open request from `from` approvers asked to `to`.
func (s *Store) AdvanceApproval(ctx context.Context, id session.ProposalID, from, to int, next time.Time) (bool, error) {
	key, err := s.approvalKey(ctx, id)
	if err != nil {
		return false, err
	}
	n, err := advanceApproval.Run(ctx, s.rdb, []string{key, s.g("approvals", "open")}, from, to, next.UnixNano(), string(id)).Int()
	return decided(n, err, "advance approval")
}

// CloseApproval closes an open request, once.
func (s *Store) CloseApproval(ctx context.Context, id session.ProposalID, by session.ActorID, channel session.ChannelID, at time.Time) (bool, error) {
	key, err := s.approvalKey(ctx, id)
	if err != nil {
		return false, err
	}
	n, err := closeApproval.Run(ctx, s.rdb, []string{key, s.g("approvals", "open")}, ts(at), string(by), string(channel), string(id)).Int()
	return decided(n, err, "close approval")
}

// DueApprovals lists open requests whose deadline has come, earliest first
// (at most 200).
func (s *Store) DueApprovals(ctx context.Context, before time.Time) ([]store.ApprovalRow, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.g("approvals", "open"), &goredis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(before.UnixNano(), 10), Count: 200}).Result()
	if err != nil {
		return nil, fmt.Errorf("due approvals: %w", err)
	}
	var out []store.ApprovalRow
	for _, id := range ids {
		r, err := s.GetApproval(ctx, session.ProposalID(id))
		if err != nil {
			return nil, err
		}
		if !r.Closed && !r.Next.After(before) {
			r.Votes = nil
			out = append(out, r)
		}
	}
	return out, nil
}

// AddApprovalVote records a vote once per approver and counts the votes.
func (s *Store) AddApprovalVote(ctx context.Context, id session.ProposalID, v store.ApprovalVote) (int, bool, error) {
	key, err := s.approvalKey(ctx, id)
	if err != nil {
		return 0, false, err
	}
	raw, err := encode(v, "vote")
	if err != nil {
		return 0, false, err
	}
	res, err := addVote.Run(ctx, s.rdb, []string{key, key + ":votes", key + ":voters"}, string(v.Approver), raw).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("vote: %w", err)
	}
	if res[0] < 0 {
		return 0, false, store.ErrNotFound
	}
	return int(res[0]), res[1] == 1, nil
}
