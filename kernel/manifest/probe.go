package manifest

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Probe declares a read-only measurement an extension offers for the
// background refresh (docs/profile.md): it takes no parameters and
// returns observations (series, resource, value, unit, time). A probe is
// run like a level-0 tool — authorized, dispatched, recorded verbatim in
// the fact ledger and audited — but it is not offered to routers.
type Probe struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// SafetyLevel, when given, must be 0: a probe only reads.
	SafetyLevel *int     `json:"safety_level,omitempty"`
	Scopes      []string `json:"scopes"`
	// Series names every series the probe's observations may carry.
	Series []string `json:"series"`
	// Interval, when given, is the least time between two runs of the
	// probe in one tenant (a Go duration, 10s–24h); the refresh schedule
	// applies otherwise.
	Interval string `json:"interval,omitempty"`
	// Narrate is a text/template over the result, used as the reply.
	Narrate string `json:"narrate,omitempty"`
}

// reSeries is the form of a series name: cpu_percent, days_left.
var reSeries = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Probe interval bounds (M039).
const (
	minProbeInterval = 10 * time.Second
	maxProbeInterval = 24 * time.Hour
)

// IntervalOf is the probe's own interval (0 when it declares none or an
// invalid one).
func (p Probe) IntervalOf() time.Duration {
	d, err := time.ParseDuration(p.Interval)
	if err != nil || d < minProbeInterval || d > maxProbeInterval {
		return 0
	}
	return d
}

// AsTool is the probe as the kernel dispatches it: a level-0 tool with the
// probe's name, description, scopes and narration.
func (p Probe) AsTool() Tool {
	zero := 0
	return Tool{Name: p.Name, Description: p.Description, SafetyLevel: &zero, Scopes: p.Scopes, Narrate: p.Narrate}
}

// checkProbes checks the declared probes: names like tools' and unique
// among tools and probes (M011, M036), a description (M013), level 0
// (M037), scopes as for tools (M016, M017), series (M038), the interval
// (M039) and the narration template (M028).
func (v *validation) checkProbes(m *Manifest, tools map[string]int) {
	names := map[string]int{}
	for i, pr := range m.Probes {
		p := fmt.Sprintf("probes[%d]", i)
		if !reTool.MatchString(pr.Name) {
			v.add("M011", SeverityError, p+".name", fmt.Sprintf("probe name %q must be lowercase letters, digits or _", pr.Name), "name probes like server_load")
		}
		if j, dup := names[pr.Name]; dup {
			v.add("M036", SeverityError, p+".name", fmt.Sprintf("probe %q is declared twice (also probes[%d])", pr.Name, j), "give every probe a name no tool or other probe has")
		} else if j, dup := tools[pr.Name]; dup {
			v.add("M036", SeverityError, p+".name", fmt.Sprintf("probe %q has the name of tools[%d]", pr.Name, j), "give every probe a name no tool or other probe has")
		}
		names[pr.Name] = i
		if strings.TrimSpace(pr.Description) == "" {
			v.add("M013", SeverityError, p+".description", "description is empty", "say what the probe measures")
		}
		if pr.SafetyLevel != nil && *pr.SafetyLevel != 0 {
			v.add("M037", SeverityError, p+".safety_level", fmt.Sprintf("a probe only reads: safety_level must be 0, not %d", *pr.SafetyLevel), "remove safety_level or set it to 0; make a change a tool")
		}
		v.checkToolScopes(m, p, pr.AsTool())
		v.checkSeries(p, pr)
		if pr.Interval != "" && pr.IntervalOf() == 0 {
			v.add("M039", SeverityError, p+".interval", fmt.Sprintf("interval %q is not a Go duration between 10s and 24h", pr.Interval), "write a duration such as 1m, or leave it out")
		}
		v.checkTemplates(p, pr.AsTool())
	}
}

// checkSeries checks a probe's series names (M038).
func (v *validation) checkSeries(p string, pr Probe) {
	if len(pr.Series) == 0 {
		v.add("M038", SeverityError, p+".series", "a probe declares no series", "list the series its observations carry, e.g. [cpu_percent]")
	}
	seen := map[string]bool{}
	for j, s := range pr.Series {
		switch {
		case !reSeries.MatchString(s):
			v.add("M038", SeverityError, fmt.Sprintf("%s.series[%d]", p, j), fmt.Sprintf("series %q must be lowercase letters, digits or _ and start with a letter", s), "name series like cpu_percent")
		case seen[s]:
			v.add("M038", SeverityError, fmt.Sprintf("%s.series[%d]", p, j), fmt.Sprintf("series %q is listed twice", s), "list each series once")
		}
		seen[s] = true
	}
}
