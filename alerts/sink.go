package alerts

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/steward-os/steward/profile"
)

// Sink receives the profile's findings (profile.Sink).
type Sink struct{ s *Service }

// Sink returns the service as the profile's sink.
func (s *Service) Sink() profile.Sink { return Sink{s} }

var _ profile.Sink = Sink{}

// Raise receives a finding as an alert of the source "profile". It is
// idempotent on (tenant, fingerprint, resolved): the same finding raised
// again while its episode is open changes nothing, and a raise after a
// resolution opens (or, within the flap window, reopens) an episode.
func (k Sink) Raise(ctx context.Context, f profile.Finding) error {
	a := Alert{Tenant: f.Tenant, Source: "profile", Fingerprint: f.Fingerprint, Severity: string(f.Severity), Title: f.Summary,
		Resource: f.Resource, Evidence: f.Evidence, Resolved: f.Resolved, By: "profile",
		Labels: map[string]string{"detector": f.Detector}}
	if f.Fix != nil {
		b, err := json.Marshal(f.Fix)
		if err != nil {
			return fmt.Errorf("raise %s: %w", f.Fingerprint, err)
		}
		a.Fix = b
	}
	// The receipt repeats while the condition's state does not change:
	// the episode it belongs to and whether it is resolved.
	e, err := k.s.p.Store.LatestEpisode(ctx, f.Tenant, "profile", f.Fingerprint)
	switch {
	case err == nil && !f.Resolved && e.State.Open():
		a.Receipt = fmt.Sprintf("%s/%s/firing", f.Fingerprint, e.ID)
	case err == nil && f.Resolved:
		a.Receipt = fmt.Sprintf("%s/%s/resolved/%d", f.Fingerprint, e.ID, e.Round)
	}
	_, err = k.s.Receive(ctx, a)
	return err
}
