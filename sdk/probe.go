package sdk

import (
	"context"
	"encoding/json"
	"reflect"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
)

// Observation is one measurement a probe reports: the value of a series
// for one resource at one time ("cpu_percent" of "web-2" is 97 at 12:00).
// The kernel records a probe's observations verbatim in the fact ledger,
// so whatever is concluded from them can be traced back to them.
type Observation struct {
	Series   string    `json:"series"`
	Resource string    `json:"resource"`
	Value    float64   `json:"value"`
	Unit     string    `json:"unit,omitempty"`
	At       time.Time `json:"at"`
	// Labels say more about the resource, in the extension's words
	// ("assignee": "alice").
	Labels map[string]string `json:"labels,omitempty"`
}

// Observations is what a probe returns (its recorded output).
type Observations struct {
	Observations []Observation `json:"observations"`
}

// ProbeCall is one run of a probe: who it runs for (the tenant's probe
// actor) and what the kernel lends it. A probe has no parameters.
type ProbeCall struct {
	Caller Caller
	Env    Env
}

// ProbeHandler marks a Handler made with [Probe]: the kernel binds it only
// to a probe the manifest declares under probes.
type ProbeHandler interface {
	Handler
	probe()
}

// Probe binds the manifest probe name to a function that measures. It
// must only read: the kernel dispatches it at level 0. Each observation
// carries the time it was measured at, by the extension's clock.
func Probe(name string, fn func(ctx context.Context, c ProbeCall) ([]Observation, error)) Handler {
	return &probeHandler{name: name, fn: fn}
}

type probeHandler struct {
	name string
	fn   func(ctx context.Context, c ProbeCall) ([]Observation, error)
}

func (p *probeHandler) probe()       {}
func (p *probeHandler) Name() string { return p.name }

func (p *probeHandler) ParamsSchema() (*jsonschema.Schema, error) {
	return jsonschema.For[struct{}](nil)
}

func (p *probeHandler) ResultSchema() (*jsonschema.Schema, error) {
	return jsonschema.ForType(reflect.TypeFor[Observations](), &jsonschema.ForOptions{IgnoreInvalidTypes: true})
}

func (p *probeHandler) Invoke(ctx context.Context, c Caller, env Env, _ json.RawMessage) (any, error) {
	obs, err := p.fn(ctx, ProbeCall{Caller: c, Env: env})
	if err != nil {
		return nil, err
	}
	if obs == nil {
		obs = []Observation{}
	}
	return Observations{Observations: obs}, nil
}
