package module_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/steward-os/steward/sdk/module"
)

type host struct{}

func (host) Logger() *slog.Logger                  { return slog.New(slog.DiscardHandler) }
func (host) Secret(_, _, _ string) (string, error) { return "", nil }

// probe records its lifecycle in a shared log.
type probe struct {
	Name    string `json:"name"`
	Fail    string `json:"fail,omitempty"`
	log     *[]string
	stopErr error
}

var events []string

func (p *probe) Module() module.Info {
	return module.Info{ID: "test.probe", New: func() module.Module { return &probe{log: &events} }}
}

func (p *probe) Provision(context.Context, module.Host) error {
	*p.log = append(*p.log, "provision "+p.Name)
	if p.Fail == "provision" {
		return errors.New("cannot provision")
	}
	return nil
}

func (p *probe) Validate() error {
	if p.Fail == "validate" {
		return errors.New("invalid")
	}
	return nil
}

func (p *probe) Start(context.Context) error {
	*p.log = append(*p.log, "start "+p.Name)
	if p.Fail == "start" {
		return errors.New("cannot start")
	}
	return nil
}

func (p *probe) Stop(context.Context) error {
	*p.log = append(*p.log, "stop "+p.Name)
	return p.stopErr
}

func (p *probe) Cleanup() error {
	*p.log = append(*p.log, "cleanup "+p.Name)
	return nil
}

func init() { module.Register(&probe{}) }

func TestIDParts(t *testing.T) {
	id := module.ID("channels.telegram")
	if id.Namespace() != "channels" || id.Name() != "telegram" {
		t.Fatalf("%q → %q %q", id, id.Namespace(), id.Name())
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a second registration of the same id did not panic")
		}
	}()
	module.Register(&probe{})
}

func TestLoadDecodesStrictly(t *testing.T) {
	ctx := context.Background()
	if _, err := module.Load(ctx, "test.probe", map[string]any{"name": "a", "nmae": "typo"}, host{}); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := module.Load(ctx, "test.nothing", nil, host{}); err == nil {
		t.Fatal("an unregistered module loaded")
	}
	if _, err := module.Decode("test.probe", map[string]any{"name": "a", "fail": "validate"}); err == nil {
		t.Fatal("Decode accepted a block its Validate refuses")
	}
	for _, stage := range []string{"provision", "validate"} {
		if _, err := module.Load(ctx, "test.probe", map[string]any{"name": "a", "fail": stage}, host{}); err == nil {
			t.Fatalf("a failing %s was accepted", stage)
		}
	}
	m, err := module.Load(ctx, "test.probe", map[string]any{"name": "a"}, host{})
	if err != nil || m.(*probe).Name != "a" {
		t.Fatalf("load: %v %+v", err, m)
	}
	if infos := module.Namespace("test"); len(infos) != 1 || infos[0].ID != "test.probe" {
		t.Fatalf("namespace: %+v", infos)
	}
}

func TestGroupStartsInOrderStopsInReverse(t *testing.T) {
	events = nil
	ctx := context.Background()
	var g module.Group
	for _, n := range []string{"a", "b", "c"} {
		m, err := module.Load(ctx, "test.probe", map[string]any{"name": n}, host{})
		if err != nil {
			t.Fatal(err)
		}
		g.Add(m)
	}
	g.Modules()[1].(*probe).stopErr = errors.New("b would not stop")
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	err := g.Stop(ctx)
	if err := g.Cleanup(); err != nil {
		t.Fatal(err)
	}
	want := "provision a,provision b,provision c,start a,start b,start c,stop c,stop b,stop a,cleanup c,cleanup b,cleanup a"
	if got := strings.Join(events, ","); got != want {
		t.Fatalf("order\n got %s\nwant %s", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "b would not stop") {
		t.Fatalf("stop error lost: %v", err)
	}
}

func TestGroupStopsWhatStartedWhenOneFails(t *testing.T) {
	events = nil
	ctx := context.Background()
	var g module.Group
	for _, c := range []map[string]any{{"name": "a"}, {"name": "b", "fail": "start"}, {"name": "c"}} {
		m, err := module.Load(ctx, "test.probe", c, host{})
		if err != nil {
			t.Fatal(err)
		}
		g.Add(m)
	}
	if err := g.Start(ctx); err == nil {
		t.Fatal("a failed start was not reported")
	}
	want := "provision a,provision b,provision c,start a,start b,stop a"
	if got := strings.Join(events, ","); got != want {
		t.Fatalf("order\n got %s\nwant %s", got, want)
	}
}

// Cleanup reaches every provisioned module, started or not (a command
// that never serves still releases what Provision acquired).
func TestGroupCleansUpUnstarted(t *testing.T) {
	events = nil
	var g module.Group
	for _, n := range []string{"a", "b"} {
		m, err := module.Load(context.Background(), "test.probe", map[string]any{"name": n}, host{})
		if err != nil {
			t.Fatal(err)
		}
		g.Add(m)
	}
	if err := g.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(events, ","), "provision a,provision b,cleanup b,cleanup a"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
