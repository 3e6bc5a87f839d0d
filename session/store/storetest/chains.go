package storetest

import (
	"encoding/json"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var chainChecks = []check{
	{"RoundTrip", chainRoundTrip},
	{"SaveReplaces", chainSaveReplaces},
	{"UnknownNotFound", chainUnknown},
}

// chainRow is a waiting plan of two steps with every field set.
func chainRow(id session.ChainID) store.ChainRow {
	return store.ChainRow{ID: id, Tenant: "acme", Actor: "alice", Session: "acme/alice", Turn: "t_1", State: store.ChainWaiting, CreatedAt: at(1),
		Steps: []store.ChainStep{
			{ID: "s1", Tool: "hosting.list_servers", Args: json.RawMessage(`{}`), DependsOn: []session.StepID{}, Level: 0, State: store.StepDone, Fact: 7},
			{ID: "s2", Tool: "hosting.delete_server", Args: json.RawMessage(`{"name":"$s1.servers[0]"}`), DependsOn: []session.StepID{"s1"}, Level: 3,
				State: store.StepWaiting, Proposal: "p_1", Task: "task_1", Reason: "needs a decision"},
		}}
}

func chainRoundTrip(t *testing.T, b store.Backend) {
	c := chainRow("chain_1")
	saveAll(t, b.SaveChain, c)
	same(t, "chain", load(t, b.GetChain, "chain_1"), c)
}

// chainSaveReplaces: saving a chain again replaces it whole.
func chainSaveReplaces(t *testing.T, b store.Backend) {
	c := chainRow("chain_1")
	saveAll(t, b.SaveChain, c)
	c.State, c.Steps = store.ChainDone, c.Steps[:1]
	saveAll(t, b.SaveChain, c)
	same(t, "chain", load(t, b.GetChain, "chain_1"), c)
}

func chainUnknown(t *testing.T, b store.Backend) {
	_, err := b.GetChain(t.Context(), "chain_nope")
	wantErr(t, err, store.ErrNotFound)
}
