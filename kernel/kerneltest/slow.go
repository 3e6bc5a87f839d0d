package kerneltest

import (
	"context"
	"testing"
	"time"

	"github.com/steward-os/steward/sdk"
)

const slowManifest = `
id: slowtest
version: 0.1.0
protocol_version: "1"
conformance_level: 1
description: Slow work for tests of background tasks.
scopes: [slowtest:read]
tools:
  - name: work
    description: Work until released.
    safety_level: 0
    scopes: [slowtest:read]
    examples: [do the slow work]
    narrate: 'Work {{.label}} done.'
`

type slowParams struct {
	Label string `json:"label,omitempty"`
}

type slowResult struct {
	Label string `json:"label"`
}

// SlowExtension is an extension whose tool slowtest.work reports 50 %
// progress, then blocks until release is closed or its context ends.
func SlowExtension(release <-chan struct{}) sdk.Extension {
	return sdk.Extension{Manifest: []byte(slowManifest), Handlers: []sdk.Handler{
		sdk.Tool("work", func(ctx context.Context, c sdk.Call[slowParams]) (slowResult, error) {
			c.Env.Progress(50, "half way")
			select {
			case <-release:
				return slowResult{Label: c.Params.Label}, nil
			case <-ctx.Done():
				return slowResult{}, ctx.Err()
			}
		}),
	}}
}

// LoadSlow loads SlowExtension into the environment and returns the
// channel that releases its work; the test's cleanup releases it and
// shuts the kernel down.
func (e *Env) LoadSlow(t testing.TB) chan struct{} {
	t.Helper()
	release := make(chan struct{})
	if _, err := e.K.Load(context.Background(), SlowExtension(release)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.K.Shutdown(ctx)
	})
	return release
}
