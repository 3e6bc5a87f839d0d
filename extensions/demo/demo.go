// Package demo bundles the first-party demo extensions (hosting, tasks,
// messaging) in registration order, so a kernel can load the demo world with
// one call.
//
// Contract. Extensions returns fresh extensions on every call; the
// extensions share nothing with each other. WithClock fixes "now" for every
// extension that reads the time (tests use it to pin dates). This package
// imports only the SDK, the standard library and the extensions.
package demo

import (
	"time"

	"github.com/steward-os/steward/extensions/hosting"
	"github.com/steward-os/steward/extensions/messaging"
	"github.com/steward-os/steward/extensions/tasks"
	"github.com/steward-os/steward/sdk"
)

// Option configures the bundle.
type Option func(*options)

type options struct{ now func() time.Time }

// WithClock makes the extensions take "now" from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// Extensions returns hosting, tasks and messaging.
func Extensions(opts ...Option) []sdk.Extension {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return []sdk.Extension{
		hosting.ExtensionWithClock(o.now),
		tasks.ExtensionWithClock(o.now),
		messaging.Extension(),
	}
}
