package offline

import (
	"fmt"
	"testing"

	kt "github.com/steward-os/steward/kernel/kerneltest"
)

func TestZZE2E(t *testing.T) {
	rt := New(Options{})
	e := kt.New(t, kt.Options{Router: rt, Planner: rt})
	for _, text := range []string{
		"list my pending tasks",
		"find my pending tasks and send them to my manager",
		"list the servers",
		"how many of those are in eu-west?",
		"which of them are stopped?",
		"snapshot web-1 and then resize it to xl",
		"list the databases on db-1 and back up orders",
		"check web-2's metrics, then restart it",
		"list the servers",
		"restart the second one",
		"get web-2's details",
		"snapshot it",
	} {
		out := e.Say(t, kt.Bob, text)
		fmt.Printf(">>> %s\n%s\n", text, kt.Dump(out))
	}
}
