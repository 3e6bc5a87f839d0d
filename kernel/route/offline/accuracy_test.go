package offline

import "testing"

// devCases is the development set plus every manifest example.
func devCases(t *testing.T) []routeCase {
	var cs []routeCase
	for _, spec := range loadCatalog(t) {
		for _, e := range spec.Examples {
			cs = append(cs, routeCase{text: e, tool: spec.ID, clarify: clarAny})
		}
	}
	return append(cs, devSet...)
}

func TestDevAccuracy(t *testing.T) {
	acc, ff := score(t, "dev", devCases(t))
	_ = acc
	_ = ff
}

func TestHeldOutAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	acc, ff := score(t, "held-out", heldOut)
	_ = acc
	_ = ff
}

func TestHeldOutBAccuracy(t *testing.T) {
	acc, ff := score(t, "held-out-B", heldOutB)
	_ = acc
	_ = ff
}
