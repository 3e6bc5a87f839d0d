package plan

import (
	"strings"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// kahn orders steps so every step follows the steps it depends on; among
// ready steps the plan's own order is kept. It returns the remaining
// steps' cycle when there is one.
func kahn(steps []store.ChainStep) ([]store.ChainStep, []session.StepID) {
	var out []store.ChainStep
	done := map[session.StepID]bool{}
	for len(out) < len(steps) {
		i := firstReady(steps, done)
		if i < 0 {
			return nil, findCycle(steps, done)
		}
		done[steps[i].ID] = true
		out = append(out, steps[i])
	}
	return out, nil
}

// firstReady is the first step not done whose dependencies are all done
// (-1 when none is): restarting from the top keeps the listed order
// among ready steps.
func firstReady(steps []store.ChainStep, done map[session.StepID]bool) int {
	for i, s := range steps {
		if done[s.ID] {
			continue
		}
		ready := true
		for _, d := range s.DependsOn {
			if !done[d] {
				ready = false
				break
			}
		}
		if ready {
			return i
		}
	}
	return -1
}

func findCycle(steps []store.ChainStep, done map[session.StepID]bool) []session.StepID {
	deps := map[session.StepID][]session.StepID{}
	for _, s := range steps {
		deps[s.ID] = s.DependsOn
	}
	for _, s := range steps {
		if done[s.ID] {
			continue
		}
		// Walk dependencies until a node repeats.
		var path []session.StepID
		seen := map[session.StepID]int{}
		for cur := s.ID; cur != ""; cur = nextOpen(deps[cur], done) {
			if i, ok := seen[cur]; ok {
				return append(path[i:], cur)
			}
			seen[cur] = len(path)
			path = append(path, cur)
		}
	}
	return []session.StepID{"?"}
}

// nextOpen is the first dependency not done, "" when there is none.
func nextOpen(deps []session.StepID, done map[session.StepID]bool) session.StepID {
	for _, d := range deps {
		if !done[d] {
			return d
		}
	}
	return ""
}

func joinIDs[T ~string](ids []T, sep string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return strings.Join(out, sep)
}

// StepIDs lists the steps' ids in order.
func StepIDs(steps []store.ChainStep) []session.StepID {
	out := make([]session.StepID, len(steps))
	for i, s := range steps {
		out[i] = s.ID
	}
	return out
}
