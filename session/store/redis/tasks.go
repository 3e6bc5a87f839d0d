package redis

import (
	"context"
	"encoding/json"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Tasks and chains. {g}:task:<id> is a hash (row, state, seq: the order of
// its first save); {g}:tasks:<state> lists the tasks in a state and
// {t:<tenant>}:tasks:a:<actor> an actor's, both by seq. A chain is the
// JSON string {g}:chain:<id>.

// saveTask: KEYS task, seq counter, actor list; ARGV row, state, id and
// the prefix of the per-state sets (the old state is read from the task,
// so the script builds its set's name).
var saveTask = goredis.NewScript(`
local seq = redis.call('HGET', KEYS[1], 'seq')
local old = redis.call('HGET', KEYS[1], 'state')
if not seq then
  seq = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[3], seq, ARGV[3])
end
if old then redis.call('ZREM', ARGV[4] .. old, ARGV[3]) end
redis.call('HSET', KEYS[1], 'row', ARGV[1], 'state', ARGV[2], 'seq', seq)
redis.call('ZADD', ARGV[4] .. ARGV[2], seq, ARGV[3])
return 1`)

// finishTask: KEYS task, running set, end set; ARGV row, state, id.
var finishTask = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'row', ARGV[1], 'state', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'seq'), ARGV[3])
return 1`)

func (s *Store) taskKey(id session.TaskID) string { return s.g("task", string(id)) }

// SaveTask creates or replaces a task.
func (s *Store) SaveTask(ctx context.Context, t store.TaskRow) error {
	row, err := encode(t, "task")
	if err != nil {
		return err
	}
	err = saveTask.Run(ctx, s.rdb, []string{s.taskKey(t.ID), s.g("task", "seq"), s.t(t.Tenant, "tasks", "a", string(t.Actor))},
		row, string(t.State), string(t.ID), s.g("tasks", "")).Err()
	if err != nil {
		return fmt.Errorf("save task: %w", err)
	}
	return nil
}

// FinishTask moves a running task to its end atomically; false when it
// had ended (or is unknown).
func (s *Store) FinishTask(ctx context.Context, t store.TaskRow) (bool, error) {
	row, err := encode(t, "task")
	if err != nil {
		return false, err
	}
	n, err := finishTask.Run(ctx, s.rdb, []string{s.taskKey(t.ID), s.g("tasks", string(store.TaskRunning)), s.g("tasks", string(t.State))},
		row, string(t.State), string(t.ID)).Int()
	if err != nil {
		return false, fmt.Errorf("finish task: %w", err)
	}
	return n == 1, nil
}

// GetTask loads a task; store.ErrNotFound when absent.
func (s *Store) GetTask(ctx context.Context, id session.TaskID) (store.TaskRow, error) {
	raw, err := s.rdb.HGet(ctx, s.taskKey(id), "row").Result()
	if err == goredis.Nil {
		return store.TaskRow{}, store.ErrNotFound
	}
	if err != nil {
		return store.TaskRow{}, fmt.Errorf("get task: %w", err)
	}
	var t store.TaskRow
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return t, fmt.Errorf("decode task: %w", err)
	}
	return t, nil
}

// Tasks lists an actor's tasks newest first (at most 200) or, with an
// empty actor, every task in a state oldest first.
func (s *Store) Tasks(ctx context.Context, tenant session.TenantID, actor session.ActorID, state store.TaskState) ([]store.TaskRow, error) {
	var ids []string
	var err error
	if actor != "" {
		ids, err = s.rdb.ZRevRange(ctx, s.t(tenant, "tasks", "a", string(actor)), 0, 199).Result()
	} else {
		ids, err = s.rdb.ZRange(ctx, s.g("tasks", string(state)), 0, -1).Result()
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, id := range ids {
			p.HGet(ctx, s.taskKey(session.TaskID(id)), "row")
		}
		return nil
	})
	if err != nil && err != goredis.Nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	var out []store.TaskRow
	for _, c := range cmds {
		raw, err := c.(*goredis.StringCmd).Result()
		if err != nil {
			continue // removed since the index was read
		}
		var t store.TaskRow
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return nil, fmt.Errorf("decode task: %w", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// SaveChain creates or replaces a chain.
func (s *Store) SaveChain(ctx context.Context, c store.ChainRow) error {
	row, err := encode(c, "chain")
	if err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.g("chain", string(c.ID)), row, 0).Err(); err != nil {
		return fmt.Errorf("save chain: %w", err)
	}
	return nil
}

// GetChain loads a chain; store.ErrNotFound when absent.
func (s *Store) GetChain(ctx context.Context, id session.ChainID) (store.ChainRow, error) {
	return getJSON[store.ChainRow](ctx, s.rdb, s.g("chain", string(id)), "chain")
}
