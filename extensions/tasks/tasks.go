// Package tasks is the first-party to-do extension: people's tasks with a
// title, a status (pending or done), an assignee and an optional due date.
//
// Contract. Extension returns the embedded manifest, one typed handler per
// declared tool, a context provider (kind "task", id "T-n") and a seed
// function. Tasks live in the sdk.State the kernel lends (scoped to this
// extension and the caller's tenant). A new task is always assigned to the
// caller; listing someone else's tasks needs them to be a member of the
// caller's tenant, checked through the Directory (scope directory:read).
// Handlers trust only their parameters and the Caller. The writes are
// idempotent: a task keeps the idempotency keys (sdk.Env.IdempotencyKey)
// of the calls that created and completed it, in the same write as the
// change, so a call carried out once answers the same again and Reconcile
// tells the kernel, after a crash, whether a call took effect. Dates come
// from the clock given to ExtensionWithClock. This package imports only
// the SDK and the standard library.
package tasks

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-os/steward/sdk"
)

//go:embed manifest.yaml
var manifest []byte

const (
	collTasks = "tasks" // [T-n] task
	collMeta  = "meta"  // "seq": last task number; "seeded": sdk.SeedOnce's marker
)

const dateLayout = "2006-01-02"

// Statuses a task can have.
const (
	StatusPending = "pending"
	StatusDone    = "done"
)

// KindTask is the resource kind of a task.
const KindTask = "task"

// The extension registers itself as the module "extensions.tasks".
func init() { sdk.RegisterExtension("tasks", Extension) }

// Extension returns the tasks extension with the wall clock.
func Extension() sdk.Extension { return ExtensionWithClock(time.Now) }

// ExtensionWithClock returns the tasks extension whose "today" (creation
// and completion dates, seeded due dates) comes from now.
func ExtensionWithClock(now func() time.Time) sdk.Extension {
	if now == nil {
		now = time.Now
	}
	x := &tasks{now: now}
	return sdk.Extension{
		Manifest: manifest,
		Handlers: []sdk.Handler{
			sdk.Tool("list_tasks", sdk.Locked(&x.locks, x.list)),
			sdk.Tool("create_task", sdk.Locked(&x.locks, x.create)),
			sdk.Tool("complete_task", sdk.Locked(&x.locks, x.complete)),
			sdk.Probe("overdue_tasks", x.probeOverdue),
		},
		Context:   sdk.ContextFunc(x.resources),
		Seed:      sdk.SeedOnce(x.seed),
		Reconcile: x.reconcile,
	}
}

type tasks struct {
	now func() time.Time
	// locks serialises each handler's read-modify-write of one tenant's
	// tasks within this process (sdk.State has no transactions).
	locks sdk.TenantLocks
}

func (x *tasks) today() string { return x.now().UTC().Format(dateLayout) }

// --- parameters and results ---

// ListParams are list_tasks' parameters; Assignee defaults to the caller.
// A list is paginated: at most Limit tasks (default DefaultPage, at most
// MaxPage) after the task After.
type ListParams struct {
	Status   string `json:"status,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Limit    int    `json:"limit,omitempty"`
	After    string `json:"after,omitempty"`
}

// Page sizes of list_tasks.
const (
	DefaultPage = 50
	MaxPage     = 200
)

// CreateParams are create_task's parameters; Due is YYYY-MM-DD.
type CreateParams struct {
	Title string `json:"title"`
	Due   string `json:"due,omitempty"`
}

// CompleteParams names the task to mark done.
type CompleteParams struct {
	Task string `json:"task"`
}

// Task is one task as stored and as returned. Due is "" when there is none.
type Task struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Status    string `json:"status"`
	Assignee  string `json:"assignee"`
	Due       string `json:"due"`
	Created   string `json:"created,omitempty"`
	Completed string `json:"completed,omitempty"`
}

// record is a task as stored: the task, and the idempotency keys of the
// calls that created and completed it.
type record struct {
	Task
	CreatedBy string `json:"created_by,omitempty"`
	DoneBy    string `json:"done_by,omitempty"`
}

// TaskList is list_tasks' result, in id order: one page of the matching
// tasks, how many match in all, and the task to continue after when
// there are more ("" when this page is the last).
type TaskList struct {
	Assignee string `json:"assignee"`
	Status   string `json:"status"` // the filter, "" for all
	Tasks    []Task `json:"tasks"`
	Total    int    `json:"total"`
	Next     string `json:"next,omitempty"`
}

// --- handlers ---

func (x *tasks) list(ctx context.Context, c sdk.Call[ListParams]) (TaskList, error) {
	out := TaskList{Tasks: []Task{}}
	status := strings.ToLower(strings.TrimSpace(c.Params.Status))
	if status != "" && status != StatusPending && status != StatusDone {
		return out, sdk.Errorf(sdk.CodeInvalid, "status must be pending or done, not %q", c.Params.Status)
	}
	who, err := assignee(ctx, c)
	if err != nil {
		return out, err
	}
	all, err := loadAll(ctx, c.Env.State())
	if err != nil {
		return out, err
	}
	out.Assignee, out.Status = who, status
	limit := c.Params.Limit
	if limit <= 0 || limit > MaxPage {
		limit = DefaultPage
	}
	after := idNum(strings.ToUpper(strings.TrimSpace(c.Params.After)))
	for _, t := range all {
		if t.Assignee != who || (status != "" && t.Status != status) {
			continue
		}
		out.Total++
		if idNum(t.ID) <= after {
			continue
		}
		if len(out.Tasks) == limit {
			out.Next = out.Tasks[limit-1].ID
			continue
		}
		out.Tasks = append(out.Tasks, t)
	}
	return out, nil
}

// assignee resolves list_tasks' assignee: the caller by default, otherwise a
// member of the caller's tenant.
func assignee(ctx context.Context, c sdk.Call[ListParams]) (string, error) {
	self := string(c.Caller.Actor)
	who := strings.TrimSpace(c.Params.Assignee)
	if who == "" || strings.EqualFold(who, "me") || who == self {
		return self, nil
	}
	m, ok, err := sdk.FindMember(ctx, c.Env, who)
	if err != nil {
		return "", fmt.Errorf("tasks: directory: %w", err)
	}
	if !ok {
		return "", sdk.Errorf(sdk.CodeNotFound, "no member named %q", who)
	}
	return string(m.ID), nil
}

func (x *tasks) create(ctx context.Context, c sdk.Call[CreateParams]) (Task, error) {
	title := strings.TrimSpace(c.Params.Title)
	if title == "" {
		return Task{}, sdk.Errorf(sdk.CodeInvalid, "title is required")
	}
	due := strings.TrimSpace(c.Params.Due)
	if due != "" {
		if _, err := time.Parse(dateLayout, due); err != nil {
			return Task{}, sdk.Errorf(sdk.CodeInvalid, "due must be a date as YYYY-MM-DD, not %q", c.Params.Due)
		}
	}
	st, key := c.Env.State(), c.Env.IdempotencyKey()
	if key != "" {
		if done, ok, err := findBy(ctx, st, func(r record) bool { return r.CreatedBy == key }); err != nil || ok {
			return done, err // this call created it before
		}
	}
	seq, err := nextSeq(ctx, st)
	if err != nil {
		return Task{}, err
	}
	t := Task{ID: "T-" + strconv.Itoa(seq), Title: title, Status: StatusPending,
		Assignee: string(c.Caller.Actor), Due: due, Created: x.today()}
	if err := st.Put(ctx, collTasks, t.ID, record{Task: t, CreatedBy: key}); err != nil {
		return Task{}, fmt.Errorf("tasks: write %s: %w", t.ID, err)
	}
	if err := st.Put(ctx, collMeta, "seq", seq); err != nil {
		return Task{}, fmt.Errorf("tasks: write seq: %w", err)
	}
	return t, nil
}

func (x *tasks) complete(ctx context.Context, c sdk.Call[CompleteParams]) (Task, error) {
	id, ok := taskID(c.Params.Task)
	if !ok {
		if strings.TrimSpace(c.Params.Task) == "" {
			return Task{}, sdk.Errorf(sdk.CodeInvalid, "task is required")
		}
		return Task{}, sdk.Errorf(sdk.CodeNotFound, "no task %q", c.Params.Task)
	}
	st, key := c.Env.State(), c.Env.IdempotencyKey()
	var r record
	found, err := st.Get(ctx, collTasks, id, &r)
	if err != nil {
		return Task{}, fmt.Errorf("tasks: read %s: %w", id, err)
	}
	if !found {
		return Task{}, sdk.Errorf(sdk.CodeNotFound, "no task %s", id)
	}
	if r.Status == StatusDone {
		if key != "" && r.DoneBy == key {
			return r.Task, nil // this call completed it before
		}
		return Task{}, sdk.Errorf(sdk.CodeConflict, "task %s is already done", id)
	}
	r.Status, r.Completed, r.DoneBy = StatusDone, x.today(), key
	if err := st.Put(ctx, collTasks, r.ID, r); err != nil {
		return Task{}, fmt.Errorf("tasks: write %s: %w", r.ID, err)
	}
	return r.Task, nil
}

// reconcile tells the kernel what became of a create_task or
// complete_task call a crash cut off: it took effect when a task carries
// its key (written with the change itself), and took none otherwise.
func (x *tasks) reconcile(ctx context.Context, st sdk.State, p sdk.Pending) (any, bool, error) {
	var by func(record) bool
	switch p.Tool {
	case "create_task":
		by = func(r record) bool { return r.CreatedBy == p.Key }
	case "complete_task":
		by = func(r record) bool { return r.DoneBy == p.Key }
	default:
		return nil, false, nil
	}
	t, ok, err := findBy(ctx, st, by)
	switch {
	case err != nil:
		return nil, false, err
	case !ok:
		return nil, true, sdk.Errorf(sdk.CodeNotApplied, "%s was interrupted before it took effect; nothing changed.", p.Tool)
	}
	return t, true, nil
}

// --- storage helpers ---

// taskID canonicalises "t-2", "T-2" or "2" to "T-2".
func taskID(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "T-")
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return "", false
	}
	return "T-" + strconv.Itoa(n), true
}

func idNum(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "T-"))
	return n
}

// loadAll returns every task in id order (T-2 before T-10).
func loadAll(ctx context.Context, st sdk.State) ([]Task, error) {
	rs, err := loadRecords(ctx, st)
	if err != nil {
		return nil, err
	}
	out := make([]Task, len(rs))
	for i, r := range rs {
		out[i] = r.Task
	}
	return out, nil
}

// loadRecords returns every task as stored, in id order.
func loadRecords(ctx context.Context, st sdk.State) ([]record, error) {
	raws, err := st.List(ctx, collTasks)
	if err != nil {
		return nil, fmt.Errorf("tasks: list: %w", err)
	}
	out := make([]record, 0, len(raws))
	for _, raw := range raws {
		var r record
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("tasks: decode: %w", err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b record) int { return idNum(a.ID) - idNum(b.ID) })
	return out, nil
}

// findBy returns the first task whose record matches.
func findBy(ctx context.Context, st sdk.State, match func(record) bool) (Task, bool, error) {
	rs, err := loadRecords(ctx, st)
	if err != nil {
		return Task{}, false, err
	}
	for _, r := range rs {
		if match(r) {
			return r.Task, true, nil
		}
	}
	return Task{}, false, nil
}

// nextSeq is the number of the next task: one past both the stored
// sequence and the highest existing id.
func nextSeq(ctx context.Context, st sdk.State) (int, error) {
	var seq int
	if _, err := st.Get(ctx, collMeta, "seq", &seq); err != nil {
		return 0, fmt.Errorf("tasks: read seq: %w", err)
	}
	all, err := loadAll(ctx, st)
	if err != nil {
		return 0, err
	}
	if n := len(all); n > 0 {
		seq = max(seq, idNum(all[n-1].ID))
	}
	return seq + 1, nil
}

// --- context ---

func (x *tasks) resources(ctx context.Context, _ sdk.TenantID, st sdk.State) ([]sdk.Resource, error) {
	all, err := loadAll(ctx, st)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Resource, 0, len(all))
	for _, t := range all {
		attrs := map[string]string{"title": t.Title, "status": t.Status, "assignee": t.Assignee}
		if t.Due != "" {
			attrs["due"] = t.Due
		}
		out = append(out, sdk.Resource{Kind: KindTask, ID: t.ID, Attrs: attrs})
	}
	return out, nil
}

// --- seed ---

// SeedData is the shape of a tenant's tasks section of the world file.
// Unknown keys are errors.
type SeedData struct {
	Tasks []struct {
		ID       string `json:"id"` // T-n
		Title    string `json:"title"`
		Assignee string `json:"assignee"`
		Status   string `json:"status"` // pending | done
		// Either an absolute due date (YYYY-MM-DD) or days from seeding.
		Due       string `json:"due"`
		DueInDays *int   `json:"due_in_days"`
	} `json:"tasks"`
}

// seed writes the tenant's tasks. sdk.SeedOnce decodes the section
// strictly (unknown keys are errors) and runs seed once per tenant: a
// tenant whose state carries the seed marker is left alone. null or {}
// seeds nothing.
func (x *tasks) seed(ctx context.Context, st sdk.State, d SeedData) error {
	seq := 0
	for _, s := range d.Tasks {
		id, ok := taskID(s.ID)
		if !ok {
			return fmt.Errorf("tasks: seed: task id %q is not T-n", s.ID)
		}
		t := Task{ID: id, Title: strings.TrimSpace(s.Title), Status: s.Status, Assignee: s.Assignee, Due: s.Due, Created: x.today()}
		if t.Title == "" || t.Assignee == "" {
			return fmt.Errorf("tasks: seed: task %s needs a title and an assignee", id)
		}
		switch t.Status {
		case "":
			t.Status = StatusPending
		case StatusPending, StatusDone:
		default:
			return fmt.Errorf("tasks: seed: task %s: status %q is not pending or done", id, s.Status)
		}
		if t.Status == StatusDone {
			t.Completed = x.today()
		}
		if s.DueInDays != nil {
			t.Due = x.now().UTC().AddDate(0, 0, *s.DueInDays).Format(dateLayout)
		} else if t.Due != "" {
			if _, err := time.Parse(dateLayout, t.Due); err != nil {
				return fmt.Errorf("tasks: seed: task %s: due %q is not YYYY-MM-DD", id, t.Due)
			}
		}
		if err := st.Put(ctx, collTasks, t.ID, t); err != nil {
			return fmt.Errorf("tasks: seed: %w", err)
		}
		seq = max(seq, idNum(id))
	}
	if err := st.Put(ctx, collMeta, "seq", seq); err != nil {
		return fmt.Errorf("tasks: seed: %w", err)
	}
	return nil
}
