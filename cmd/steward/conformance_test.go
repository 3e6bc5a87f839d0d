package main

import (
	"encoding/json"
	"os/exec"
	"testing"
)

// `steward conformance` against the in-process demo gateway passes every
// MUST at the claimed level (OBS-01…06, SAFE-02…11, ISO-02…05 and the
// other rows docs/conformance.md lists) and says so in its exit status.
func TestConformanceCommand(t *testing.T) {
	out, err := exec.Command(binary, "conformance", "--json").Output()
	if err != nil {
		t.Fatalf("steward conformance: %v\n%s", err, out)
	}
	var rep struct {
		Claimed int `json:"claimed_level"`
		Results []struct {
			ID, Status, Detail string
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pass := 0
	for _, r := range rep.Results {
		switch r.Status {
		case "fail":
			t.Errorf("%s failed: %s", r.ID, r.Detail)
		case "pass":
			pass++
		}
	}
	if rep.Claimed != 2 || pass < 20 {
		t.Fatalf("claimed %d, %d rows passed", rep.Claimed, pass)
	}
}
