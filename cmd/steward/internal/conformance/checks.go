package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// errNA marks a check that cannot run in this mode (for example one that
// reads the data directory, against --addr).
var errNA = errors.New("not applicable")

// planted is a secret-shaped value sent in a request; it must be found in
// no log line and no audit record (ISO-05).
const planted = "sk-conformancePlanted0123456789abcdef"

// proposeAs sends text as the token's user and returns the proposal card.
func (r *runner) proposeAs(ctx context.Context, token, text string) (*reply, error) {
	o, err := r.c.say(ctx, token, text)
	if err != nil {
		return nil, err
	}
	p := o.proposal()
	if p == nil {
		return nil, fmt.Errorf("%q: no proposal: %s", text, clip(o.Raw))
	}
	return p, nil
}

func checkTwoStep(ctx context.Context, r *runner) error {
	p, err := r.proposeAs(ctx, "demo-alice", "restart web-1")
	if err != nil {
		return err
	}
	o, err := r.c.decide(ctx, "demo-alice", p.ProposalID, "accept", "")
	if err != nil {
		return err
	}
	if len(o.Decided) != 1 || o.Decided[0].State != "executed" {
		return fmt.Errorf("accepting did not execute: %s", clip(o.Raw))
	}
	return nil
}

func checkEscalation(ctx context.Context, r *runner) error {
	o, err := r.c.say(ctx, "demo-alice", "list my servers")
	if err != nil {
		return err
	}
	if o.proposal() != nil || o.code() != "" {
		return fmt.Errorf("a level-0 read asked for confirmation: %s", clip(o.Raw))
	}
	p, err := r.proposeAs(ctx, "demo-alice", "restart web-2")
	if err != nil {
		return err
	}
	if p.SafetyLevel != 2 || p.DangerPhrase || p.CoolingUntil != "" {
		return fmt.Errorf("level 2 card: level %d phrase %v cooling %q", p.SafetyLevel, p.DangerPhrase, p.CoolingUntil)
	}
	l4, err := r.level4(ctx)
	if err != nil {
		return err
	}
	if l4.SafetyLevel != 4 || !l4.DangerPhrase || l4.CoolingUntil == "" {
		return fmt.Errorf("level 4 card: level %d phrase %v cooling %q", l4.SafetyLevel, l4.DangerPhrase, l4.CoolingUntil)
	}
	return nil
}

// level4 is the one level-4 proposal the checks share (delete staging-1).
func (r *runner) level4(ctx context.Context) (*reply, error) {
	if r.l4 != nil {
		return r.l4, nil
	}
	p, err := r.proposeAs(ctx, "demo-alice", "delete staging-1")
	if err == nil {
		r.l4, r.l4At = p, time.Now()
	}
	return p, err
}

// approver accepts a level-4 proposal: someone other than the requester
// when the tenant's policy asks for four eyes, else the requester.
func (r *runner) approve(ctx context.Context, id, phrase string) (outcome, error) {
	o, err := r.c.decide(ctx, "demo-erin", id, "accept", phrase)
	if err == nil && o.code() == "unauthenticated" {
		return r.c.decide(ctx, "demo-alice", id, "accept", phrase)
	}
	return o, err
}

func checkCooling(ctx context.Context, r *runner) error {
	p, err := r.level4(ctx)
	if err != nil {
		return err
	}
	until, err := time.Parse(time.RFC3339Nano, p.CoolingUntil)
	if err != nil {
		return fmt.Errorf("cooling_until %q: %w", p.CoolingUntil, err)
	}
	if d := until.Sub(r.l4At); d < 29*time.Second {
		return fmt.Errorf("cooling period %s is shorter than 30 s", d)
	}
	o, err := r.approve(ctx, p.ProposalID, "staging-1")
	if err != nil {
		return err
	}
	if o.code() != "cooling_period" {
		return fmt.Errorf("accepted during the cooling period: %s", clip(o.Raw))
	}
	return nil
}

func checkPhrase(ctx context.Context, r *runner) error {
	p, err := r.level4(ctx)
	if err != nil {
		return err
	}
	until, _ := time.Parse(time.RFC3339Nano, p.CoolingUntil)
	select { // the cooling period must pass first
	case <-time.After(time.Until(until) + time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	o, err := r.approve(ctx, p.ProposalID, "yes")
	if err != nil {
		return err
	}
	if o.code() != "wrong_danger_phrase" {
		return fmt.Errorf("a wrong phrase was not refused: %s", clip(o.Raw))
	}
	if o, err = r.approve(ctx, p.ProposalID, "staging-1"); err != nil {
		return err
	}
	if len(o.Decided) != 1 || o.Decided[0].State != "executed" {
		return fmt.Errorf("the right phrase did not execute: %s", clip(o.Raw))
	}
	return nil
}

func checkImpact(ctx context.Context, r *runner) error {
	p, err := r.proposeAs(ctx, "demo-alice", "restart web-2")
	if err != nil {
		return err
	}
	var im map[string]any
	if err := json.Unmarshal(p.Impact, &im); err != nil {
		return fmt.Errorf("impact: %w", err)
	}
	for _, k := range []string{"targets", "reversible", "summary"} {
		if _, ok := im[k]; !ok {
			return fmt.Errorf("impact has no %q: %s", k, p.Impact)
		}
	}
	return nil
}

func checkBackup(ctx context.Context, r *runner) error {
	p, err := r.level4(ctx)
	if err != nil {
		return err
	}
	if p.SafetyLevel < 3 || !strings.Contains(string(p.Impact), `"backup"`) {
		return fmt.Errorf("a level-%d proposal announces no backup: %s", p.SafetyLevel, p.Impact)
	}
	return nil
}

func checkCeiling(ctx context.Context, r *runner) error {
	o, err := r.c.say(ctx, "demo-carol", "restart web-1") // a viewer: ceiling 0
	if err != nil {
		return err
	}
	if c := o.code(); o.proposal() != nil || (c != "forbidden" && c != "safety_ceiling") {
		return fmt.Errorf("a viewer's change was not refused: %s", clip(o.Raw))
	}
	return nil
}

func checkSingleUse(ctx context.Context, r *runner) error {
	p, err := r.proposeAs(ctx, "demo-alice", "restart web-2")
	if err != nil {
		return err
	}
	o, err := r.c.decide(ctx, "demo-dave", p.ProposalID, "accept", "") // another tenant
	if err != nil {
		return err
	}
	if len(o.Decided) != 0 || o.code() == "" {
		return fmt.Errorf("another actor decided the proposal: %s", clip(o.Raw))
	}
	if o, err = r.c.decide(ctx, "demo-alice", p.ProposalID, "accept", ""); err != nil {
		return err
	}
	if len(o.Decided) != 1 {
		return fmt.Errorf("its own actor could not accept: %s", clip(o.Raw))
	}
	if o, err = r.c.decide(ctx, "demo-alice", p.ProposalID, "accept", ""); err != nil {
		return err
	}
	if o.code() == "" || len(o.Decided) != 0 {
		return fmt.Errorf("a second accept was not refused: %s", clip(o.Raw))
	}
	return nil
}

// classification is POST /v1/classify's answer.
type classification struct {
	Intent  string   `json:"intent"`
	Domains []string `json:"domains"`
	Steps   []struct {
		ID        string   `json:"id"`
		Tool      string   `json:"tool"`
		DependsOn []string `json:"depends_on"`
	} `json:"steps"`
}

func (r *runner) classify(ctx context.Context, text string) (classification, error) {
	b, _ := json.Marshal(map[string]string{"text": text})
	o, err := r.c.do(ctx, "POST", "/v1/classify", "demo-alice", "application/json", b)
	var c classification
	if err == nil {
		err = json.Unmarshal([]byte(o.Raw), &c)
	}
	return c, err
}

func checkRouted(ctx context.Context, r *runner) error {
	c, err := r.classify(ctx, "restart web-1")
	if err != nil {
		return err
	}
	if len(c.Domains) == 0 || len(c.Steps) != 1 || !strings.HasPrefix(c.Steps[0].Tool, c.Domains[0]+".") {
		return fmt.Errorf("not routed to a domain before its tool: %+v", c)
	}
	return nil
}

func checkChain(ctx context.Context, r *runner) error {
	c, err := r.classify(ctx, "snapshot web-2 and then restart it")
	if err != nil {
		return err
	}
	if c.Intent != "chain" || len(c.Steps) != 2 || len(c.Steps[1].DependsOn) != 1 || c.Steps[1].DependsOn[0] != c.Steps[0].ID {
		return fmt.Errorf("not a chain of two ordered steps: %+v", c)
	}
	return nil
}

func checkCrossTenant(ctx context.Context, r *runner) error {
	o, err := r.c.say(ctx, "demo-alice", "restart gx-web-1") // globex's server
	if err != nil {
		return err
	}
	if o.proposal() != nil || strings.Contains(o.Raw, "executed") {
		return fmt.Errorf("another tenant's server was reachable: %s", clip(o.Raw))
	}
	return r.offline(func(a *audited) error {
		if a.count("cross_tenant_refused") == 0 {
			return errors.New("no cross_tenant_refused record")
		}
		return nil
	})
}

var reTrace = regexp.MustCompile(`(?i)goroutine \d|panic:|\.go:\d+`)

func checkErrors(ctx context.Context, r *runner) error {
	o, err := r.c.do(ctx, "POST", "/v1/messages", "demo-alice", "application/json", []byte(`{"txt":"hi"}`))
	if err != nil {
		return err
	}
	if o.Status != 400 || o.code() != "unknown_field" || o.Error.Message == "" || reTrace.MatchString(o.Raw) {
		return fmt.Errorf("bad body: %d %s", o.Status, clip(o.Raw))
	}
	if o, err = r.c.do(ctx, "POST", "/v1/messages", "", "application/json", []byte(`{"text":"hi"}`)); err != nil {
		return err
	}
	if o.Status != 401 || o.code() != "unauthenticated" {
		return fmt.Errorf("no token: %d %s", o.Status, clip(o.Raw))
	}
	return nil
}

func checkSecrets(ctx context.Context, r *runner) error {
	if _, err := r.c.say(ctx, "demo-bob", "my key is "+planted+" please store it"); err != nil {
		return err
	}
	if r.logs != nil && strings.Contains(r.logs.String(), planted) {
		return errors.New("the planted secret is in the log")
	}
	return r.offline(func(a *audited) error {
		if strings.Contains(a.all, planted) {
			return errors.New("the planted secret is in the audit trail")
		}
		return nil
	})
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
