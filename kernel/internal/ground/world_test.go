package ground

// The demo world the corpus is generated from: the real first-party
// extensions, seeded from configs/world.yaml with a fixed clock, called
// through their real handlers; each call becomes a session.Fact exactly as
// the kernel records it (tool id "<extension>.<tool>", verbatim JSON
// output, sdk errors as failures).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/extensions/hosting"
	"github.com/steward-os/steward/extensions/messaging"
	"github.com/steward-os/steward/extensions/tasks"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
	"github.com/steward-os/steward/session"
	"go.yaml.in/yaml/v3"
)

// today is the corpus's fixed "now".
var today = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

const (
	worldFile = "../../../configs/world.yaml"
	extDir    = "../../../extensions"
)

var people = map[string][]sdk.Member{
	"acme": {
		{ID: "alice", Roles: []string{"admin"}},
		{ID: "bob", Roles: []string{"operator"}, Manager: "alice"},
		{ID: "carol", Roles: []string{"viewer"}, Manager: "alice"},
	},
	"globex": {{ID: "dave", Roles: []string{"admin"}}},
}

// kernelOutbox numbers notes like the kernel's outbox ("m-1", "m-2", …).
type kernelOutbox struct {
	members []sdk.Member
	mu      sync.Mutex
	n       int
}

func (o *kernelOutbox) Deliver(_ context.Context, n sdk.Note) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range o.members {
		if m.ID == n.To {
			o.n++
			return "m-" + strconv.Itoa(o.n), nil
		}
	}
	return "", sdk.Errorf(sdk.CodeNotFound, "no member named %q", n.To)
}

type worldEnv struct {
	*sdktest.Env
	out *kernelOutbox
}

func (e *worldEnv) Outbox() (sdk.Outbox, error) { return e.out, nil }

// world is one tenant's seeded extensions and the facts recorded so far.
type world struct {
	tb     testing.TB
	tenant string
	actor  sdk.Caller
	exts   map[string]sdk.Extension
	envs   map[string]*worldEnv
	facts  []session.Fact
}

var (
	narrateOnce sync.Once
	narrates    map[string]string // "hosting.list_servers" → template
	narrateErr  error
)

func loadNarrates() (map[string]string, error) {
	narrateOnce.Do(func() {
		narrates = map[string]string{}
		for _, ext := range []string{"hosting", "tasks", "messaging"} {
			raw, err := os.ReadFile(filepath.Join(extDir, ext, "manifest.yaml"))
			if err != nil {
				narrateErr = err
				return
			}
			// Only names and templates matter here; other keys (which other
			// packages add over time) are ignored.
			var m struct {
				Tools []struct {
					Name    string `yaml:"name"`
					Narrate string `yaml:"narrate"`
				} `yaml:"tools"`
			}
			if err := yaml.Unmarshal(raw, &m); err != nil {
				narrateErr = err
				return
			}
			for _, t := range m.Tools {
				narrates[ext+"."+t.Name] = t.Narrate
			}
		}
	})
	return narrates, narrateErr
}

// newWorld seeds tenant's hosting, tasks and messaging from the world file
// with the fixed clock; calls run as actor.
func newWorld(tb testing.TB, tenant, actor string, msgs int) *world {
	tb.Helper()
	now := func() time.Time { return today }
	w := &world{
		tb:     tb,
		tenant: tenant,
		actor:  sdk.Caller{Actor: sdk.ActorID(actor), Tenant: sdk.TenantID(tenant)},
		exts: map[string]sdk.Extension{
			"hosting":   hosting.ExtensionWithClock(now),
			"tasks":     tasks.ExtensionWithClock(now),
			"messaging": messaging.Extension(),
		},
		envs: map[string]*worldEnv{},
	}
	for _, m := range people[tenant] {
		if string(m.ID) == actor {
			w.actor.Roles, w.actor.Manager = m.Roles, m.Manager
		}
	}
	for name, ext := range w.exts {
		data, err := sdktest.WorldSection(worldFile, tenant, name)
		if err != nil {
			tb.Fatal(err)
		}
		env := &worldEnv{Env: sdktest.NewEnv(sdktest.NewState(), people[tenant]...), out: &kernelOutbox{members: people[tenant], n: msgs}}
		if err := ext.Seed(context.Background(), env.Store, data); err != nil {
			tb.Fatalf("seed %s/%s: %v", tenant, name, err)
		}
		w.envs[name] = env
	}
	return w
}

// call runs tool ("hosting.list_servers") with args (JSON) and records the
// fact as the kernel does.
func (w *world) call(tool, args string) session.Fact {
	w.tb.Helper()
	ext, name := splitTool(tool)
	h := sdktest.Handler(w.exts[ext], name)
	if h == nil {
		w.tb.Fatalf("no tool %s", tool)
	}
	if args == "" {
		args = "{}"
	}
	res, err := h.Invoke(context.Background(), w.actor, w.envs[ext], json.RawMessage(args))
	f := session.Fact{Tool: session.ToolID(tool), Args: json.RawMessage(args)}
	if err == nil {
		out, merr := json.Marshal(res)
		if merr != nil {
			w.tb.Fatal(merr)
		}
		f.OK, f.Output = true, out
	} else {
		var se *sdk.Error
		if !errors.As(err, &se) {
			w.tb.Fatalf("%s %s: %v", tool, args, err)
		}
		f.Error = &session.Error{Code: se.Code, Message: se.Message}
	}
	w.facts = append(w.facts, f)
	return f
}

// narrate renders the tool's manifest template over a fact, as the kernel
// does for a successful call.
func (w *world) narrate(f session.Fact) string {
	w.tb.Helper()
	tpls, err := loadNarrates()
	if err != nil {
		w.tb.Fatal(err)
	}
	tpl := tpls[string(f.Tool)]
	if tpl == "" || !f.OK {
		w.tb.Fatalf("no narration for %s (ok=%v)", f.Tool, f.OK)
	}
	var data any
	if err := json.Unmarshal(f.Output, &data); err != nil {
		w.tb.Fatal(err)
	}
	s, err := sdktest.Render(tpl, data)
	if err != nil {
		w.tb.Fatalf("render %s: %v", f.Tool, err)
	}
	return s
}

func splitTool(tool string) (string, string) {
	for i := 0; i < len(tool); i++ {
		if tool[i] == '.' {
			return tool[:i], tool[i+1:]
		}
	}
	panic(fmt.Sprintf("tool %q has no extension prefix", tool))
}
