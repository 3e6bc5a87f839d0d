package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// The task checks pin one thing the contract leaves open. Today: SaveTask
// is an unconditional create-or-replace, even of a task that has ended
// (callers save only running tasks); FinishTask is the only write that
// refuses an ended task.
var taskChecks = []check{
	{"RoundTrip", taskRoundTrip},
	{"UnknownNotFound", taskUnknown},
	{"SaveReplacesRunning", taskSaveReplaces},
	{"ActorTasksNewestFirst", taskActorList},
	{"ActorTasksAtMost200", taskActorLimit},
	{"StateTasksOldestFirst", taskStateList},
	{"FinishOnce", taskFinishOnce},
	{"ConcurrentFinishOneWins", taskConcurrentFinish},
	{"SaveAfterFinishReplaces", taskSaveAfterFinish},
}

// task is a running task of an actor with every field of a running task set.
func task(id session.TaskID, tenant session.TenantID, actor session.ActorID, i int) store.TaskRow {
	return store.TaskRow{ID: id, Tenant: tenant, Actor: actor, Session: session.SessionID(string(tenant) + "/" + string(actor)),
		Turn: session.TurnID(fmt.Sprintf("t_%d", i)), Step: "s1", Chain: "chain_1", Tool: "hosting.backup", Args: json.RawMessage(`{"db":"main"}`),
		State: store.TaskRunning, Percent: 40, Message: "copying", CapSeconds: 600, Idempotent: true, Attempts: 1, CreatedAt: at(i), Heartbeat: at(i + 5)}
}

// ended is t finished in state s at instant i, with its fact and error.
func ended(t store.TaskRow, s store.TaskState, i int) store.TaskRow {
	end := at(i)
	t.State, t.FinishedAt, t.Fact, t.Error = s, &end, int64(i), &session.Error{Code: string(s), Message: fmt.Sprintf("ended at %d", i)}
	return t
}

// listed lists tasks and returns their ids.
func listed(t *testing.T, b store.Backend, tenant session.TenantID, actor session.ActorID, state store.TaskState) []session.TaskID {
	t.Helper()
	ts, err := b.Tasks(t.Context(), tenant, actor, state)
	must(t, err)
	var ids []session.TaskID
	for _, tr := range ts {
		ids = append(ids, tr.ID)
	}
	return ids
}

// finish finishes a task and checks whether this call ended it.
func finish(t *testing.T, b store.Backend, tr store.TaskRow, want bool) {
	t.Helper()
	ok, err := b.FinishTask(t.Context(), tr)
	must(t, err)
	same(t, "FinishTask of "+string(tr.ID)+" ended it", ok, want)
}

// taskRoundTrip: a running and an ended task come back as saved.
func taskRoundTrip(t *testing.T, b store.Backend) {
	for _, tr := range []store.TaskRow{task("task_1", "acme", "alice", 1), ended(task("task_2", "acme", "alice", 2), store.TaskFailed, 9)} {
		saveAll(t, b.SaveTask, tr)
		same(t, "task", load(t, b.GetTask, tr.ID), tr)
	}
}

// taskUnknown: GetTask of an unknown id is ErrNotFound. Today: FinishTask
// of an unknown id reports false and stores nothing.
func taskUnknown(t *testing.T, b store.Backend) {
	_, err := b.GetTask(t.Context(), "task_nope")
	wantErr(t, err, store.ErrNotFound)
	finish(t, b, ended(task("task_nope", "acme", "alice", 1), store.TaskSucceeded, 2), false)
	_, err = b.GetTask(t.Context(), "task_nope")
	wantErr(t, err, store.ErrNotFound)
}

// taskSaveReplaces: saving a running task again (progress, heartbeat)
// replaces it.
func taskSaveReplaces(t *testing.T, b store.Backend) {
	tr := task("task_1", "acme", "alice", 1)
	saveAll(t, b.SaveTask, tr)
	tr.Percent, tr.Message, tr.Heartbeat = 80, "almost", at(30)
	saveAll(t, b.SaveTask, tr)
	same(t, "task", load(t, b.GetTask, "task_1"), tr)
}

// taskActorList: an actor's tasks, newest first, whatever their state, and
// only theirs. Today: the state argument is ignored with an actor, and a
// task saved again keeps its place (newest is by first save).
func taskActorList(t *testing.T, b store.Backend) {
	a1, a2, a3 := task("task_a1", "acme", "alice", 1), task("task_a2", "acme", "alice", 2), task("task_a3", "acme", "alice", 3)
	saveAll(t, b.SaveTask, a1, task("task_b1", "acme", "bob", 4), a2, task("task_z1", "zeta", "alice", 5), a3)
	finish(t, b, ended(a2, store.TaskSucceeded, 6), true)
	a1.Percent = 90
	saveAll(t, b.SaveTask, a1)
	same(t, "alice's tasks", listed(t, b, "acme", "alice", store.TaskRunning), []session.TaskID{"task_a3", "task_a2", "task_a1"})
	same(t, "bob's tasks", listed(t, b, "acme", "bob", ""), []session.TaskID{"task_b1"})
	same(t, "nobody's tasks", listed(t, b, "acme", "carol", ""), []session.TaskID(nil))
}

// taskActorLimit: today an actor's list holds the 200 newest tasks.
func taskActorLimit(t *testing.T, b store.Backend) {
	for i := range 201 {
		saveAll(t, b.SaveTask, task(session.TaskID(fmt.Sprintf("task_%03d", i)), "acme", "alice", i))
	}
	ids := listed(t, b, "acme", "alice", "")
	same(t, "count", len(ids), 200)
	same(t, "newest and oldest listed", []session.TaskID{ids[0], ids[199]}, []session.TaskID{"task_200", "task_001"})
}

// taskStateList: with an empty actor, every task in the state, of every
// tenant, oldest first.
func taskStateList(t *testing.T, b store.Backend) {
	b1 := task("task_b1", "acme", "bob", 2)
	saveAll(t, b.SaveTask, task("task_z1", "zeta", "alice", 1), b1, task("task_a1", "acme", "alice", 3))
	finish(t, b, ended(b1, store.TaskCancelled, 4), true)
	same(t, "running", listed(t, b, "", "", store.TaskRunning), []session.TaskID{"task_z1", "task_a1"})
	same(t, "cancelled", listed(t, b, "", "", store.TaskCancelled), []session.TaskID{"task_b1"})
	same(t, "timed out", listed(t, b, "", "", store.TaskTimedOut), []session.TaskID(nil))
}

// taskFinishOnce: the first FinishTask ends the task and stores it whole;
// a second reports false and changes nothing.
func taskFinishOnce(t *testing.T, b store.Backend) {
	tr := task("task_1", "acme", "alice", 1)
	saveAll(t, b.SaveTask, tr)
	done := ended(tr, store.TaskSucceeded, 5)
	finish(t, b, done, true)
	finish(t, b, ended(tr, store.TaskCancelled, 6), false)
	same(t, "task", load(t, b.GetTask, "task_1"), done)
}

// taskConcurrentFinish: of concurrent FinishTask calls exactly one ends the
// task, and the stored end is the winner's.
func taskConcurrentFinish(t *testing.T, b store.Backend) {
	tr := task("task_1", "acme", "alice", 1)
	saveAll(t, b.SaveTask, tr)
	states := []store.TaskState{store.TaskSucceeded, store.TaskFailed, store.TaskCancelled, store.TaskTimedOut}
	end := func(i int) store.TaskRow { return ended(tr, states[i%len(states)], 10+i) }
	w := exactlyOne(t, func(i int) (bool, error) { return b.FinishTask(t.Context(), end(i)) })
	same(t, "task", load(t, b.GetTask, "task_1"), end(w))
}

// taskSaveAfterFinish: today SaveTask replaces even an ended task (see
// taskChecks), and FinishTask can then end it again.
func taskSaveAfterFinish(t *testing.T, b store.Backend) {
	tr := task("task_1", "acme", "alice", 1)
	saveAll(t, b.SaveTask, tr)
	finish(t, b, ended(tr, store.TaskSucceeded, 5), true)
	tr.Percent = 99
	saveAll(t, b.SaveTask, tr)
	same(t, "task", load(t, b.GetTask, "task_1"), tr)
	finish(t, b, ended(tr, store.TaskFailed, 6), true)
}
