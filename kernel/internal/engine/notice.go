package engine

import "github.com/steward-os/steward/session"

// notices are the lines shown before a reply about how the turn was
// understood when it was not the usual way (route.Intent.Notice,
// route.Plan.Notice: a model router whose models were out of reach let
// the offline router answer), each line once.
func (r *understood) notices() []session.Part {
	var parts []session.Part
	for _, n := range []string{r.intent.Notice, r.plan.Notice} {
		if n != "" && (len(parts) == 0 || parts[0].(*session.Text).Text != n) {
			parts = append(parts, &session.Text{Text: n})
		}
	}
	return parts
}
