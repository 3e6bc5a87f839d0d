package offline

import (
	"fmt"
	"slices"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// steps numbers the drafts s1, s2, … in running order (clauses that must
// run first come first, otherwise as written) and sets DependsOn from the
// order and from references to earlier output (CHAIN-03, CHAIN-08).
func (u *understanding) steps() ([]route.Step, bool) {
	n := len(u.clauses)
	deps := make([][]int, n)
	for i, cl := range u.clauses {
		deps[i] = slices.Clone(cl.after)
		for _, dr := range cl.drafts {
			for _, v := range dr.args {
				if ref, ok := v.(stepRef); ok && !slices.Contains(deps[i], ref.clause) {
					deps[i] = append(deps[i], ref.clause)
				}
			}
		}
	}
	// Kahn's order over clauses, as written among the ready ones.
	var order []int
	done := make([]bool, n)
	for len(order) < n {
		progressed := false
		for i := 0; i < n; i++ {
			if done[i] {
				continue
			}
			ready := true
			for _, d := range deps[i] {
				if !done[d] {
					ready = false
				}
			}
			if ready {
				done[i] = true
				order = append(order, i)
				progressed = true
				break
			}
		}
		if !progressed {
			return nil, false // a cycle: cannot be ordered
		}
	}
	ids := make([][]string, n)
	num := 0
	for _, i := range order {
		for range u.clauses[i].drafts {
			num++
			ids[i] = append(ids[i], fmt.Sprintf("s%d", num))
		}
	}
	var out []route.Step
	for _, i := range order {
		cl := u.clauses[i]
		var after []string
		for _, d := range cl.after {
			after = append(after, ids[d]...)
		}
		for j, dr := range cl.drafts {
			dep := slices.Clone(after)
			args := make(map[string]any, len(dr.args))
			for k, v := range dr.args {
				if ref, ok := v.(stepRef); ok {
					id := ids[ref.clause][ref.draft]
					v = refTo(id)
					if !slices.Contains(dep, id) {
						dep = append(dep, id)
					}
				}
				args[k] = v
			}
			slices.SortFunc(dep, func(x, y string) int { return stepNum(x) - stepNum(y) })
			if dep == nil {
				dep = []string{}
			}
			out = append(out, route.Step{ID: session.StepID(ids[i][j]), Tool: session.ToolID(dr.tool), Args: mustJSON(args), DependsOn: stepIDs(dep)})
		}
	}
	return out, true
}

func stepIDs(ids []string) []session.StepID {
	out := make([]session.StepID, len(ids))
	for i, id := range ids {
		out[i] = session.StepID(id)
	}
	return out
}

func stepNum(id string) int {
	n := 0
	fmt.Sscanf(id, "s%d", &n)
	return n
}
