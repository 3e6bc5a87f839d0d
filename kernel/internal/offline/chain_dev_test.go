package offline

import (
	"testing"

	"github.com/steward-os/steward/kernel/route"
)

// The DEVELOPMENT sets for multi-step plans and references: the issue's
// examples and the phrasings the chain planner was built and tuned
// against. Same conventions as chain_heldout_test.go.

var devChains = []chainCase{
	// CHAIN-01, CHAIN-03, CHAIN-08: the examples.
	{text: "find my pending tasks and send them to my manager", steps: []wantStep{
		{tool: "tasks.list_tasks", args: kv{"status": "pending"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "snapshot web-1 and then resize it to xl", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "web-1"}},
		{tool: "hosting.resize_server", args: kv{"server": "web-1", "size": "xl"}, deps: []string{"s1"}},
	}},
	{text: "list the databases on db-1 and back up orders", steps: []wantStep{
		{tool: "hosting.list_databases", args: kv{"server": "db-1"}},
		{tool: "hosting.backup_database", args: kv{"database": "orders"}},
	}},
	{text: "check web-2's metrics, then restart it", steps: []wantStep{
		{tool: "hosting.server_metrics", args: kv{"server": "web-2"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-2"}, deps: []string{"s1"}},
	}},
	// Single requests that contain "and" stay single.
	{text: "add an A record api to acme.test pointing at 203.0.113.7", steps: []wantStep{
		{tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "name": "api", "value": "203.0.113.7"}},
	}},
	{text: "send a message to bob saying the backup and the restore are done", steps: []wantStep{
		{tool: "messaging.send_message", args: kv{"to": "bob", "body": "the backup and the restore are done"}},
	}},
	{text: "show me the cpu and memory for staging-1", steps: []wantStep{
		{tool: "hosting.server_metrics", args: kv{"server": "staging-1"}},
	}},
	{text: "remind me to restart web-1 and back up orders", steps: []wantStep{
		{tool: "tasks.create_task", args: kv{"title": "restart web-1 and back up orders"}},
	}},
	{text: "web-1 is stuck, restart it", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}},
	}},
	{text: "ping carol and say the deploy is done", steps: []wantStep{
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": "the deploy is done"}},
	}},
	{text: "Hi! Restart web-1 please.", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}},
	}},
	// Coordinated names: one step per name.
	{text: "list servers in eu-west and us-east", steps: []wantStep{
		{tool: "hosting.list_servers", args: kv{"region": "eu-west"}},
		{tool: "hosting.list_servers", args: kv{"region": "us-east"}},
	}},
	{text: "restart web-1, web-2 and db-1", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-2"}},
		{tool: "hosting.restart_server", args: kv{"server": "db-1"}},
	}},
	{text: "tell alice and carol that the backups are done", steps: []wantStep{
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": "the backups are done"}},
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": "the backups are done"}},
	}},
	// A noun phrase borrows the verb before it.
	{text: "show me the servers and the databases", steps: []wantStep{
		{tool: "hosting.list_servers"},
		{tool: "hosting.list_databases"},
	}},
	{text: "delete the shop record and the www record in acme.test", steps: []wantStep{
		{tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "shop"}},
		{tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "www"}},
	}},
	// Output references.
	{text: "get web-1's details and send them to alice", steps: []wantStep{
		{tool: "hosting.get_server", args: kv{"server": "web-1"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "stop web-2 and tell alice about it", steps: []wantStep{
		{tool: "hosting.stop_server", args: kv{"server": "web-2"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "list the servers and the databases, then send the results to my boss", steps: []wantStep{
		{tool: "hosting.list_servers"},
		{tool: "hosting.list_databases"},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1", "s2"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s2")}, deps: []string{"s1", "s2"}},
	}},
	// Omitted objects and pronouns.
	{text: "back up orders and then drop the database", steps: []wantStep{
		{tool: "hosting.backup_database", args: kv{"database": "orders"}},
		{tool: "hosting.drop_database", args: kv{"database": "orders"}, deps: []string{"s1"}},
	}},
	{text: "snapshot web-1, then restart the server", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "web-1"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}, deps: []string{"s1"}},
	}},
	{text: "show carol's tasks and message her the list", steps: []wantStep{
		{tool: "tasks.list_tasks", args: kv{"assignee": "carol"}},
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	// Order words.
	{text: "snapshot db-1. once that's done, restart it", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "db-1"}},
		{tool: "hosting.restart_server", args: kv{"server": "db-1"}, deps: []string{"s1"}},
	}},
	{text: "restart web-2 after snapshotting it", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "web-2"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-2"}, deps: []string{"s1"}},
	}},
	{text: "resize web-1 to xl and web-2 to l, then restart both", steps: []wantStep{
		{tool: "hosting.resize_server", args: kv{"server": "web-1", "size": "xl"}},
		{tool: "hosting.resize_server", args: kv{"server": "web-2", "size": "l"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}, deps: []string{"s1", "s2"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-2"}, deps: []string{"s1", "s2"}},
	}},
	{text: "restart web-1, then tell alice it's back up", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": "it's back up"}, deps: []string{"s1"}},
	}},
	{text: "which servers are running and which are stopped", steps: []wantStep{
		{tool: "hosting.list_servers", args: kv{"status": "running"}},
		{tool: "hosting.list_servers", args: kv{"status": "stopped"}},
	}},
	{text: "renew shop.acme.test and blog.acme.test", steps: []wantStep{
		{tool: "hosting.renew_certificate", args: kv{"domain": "shop.acme.test"}},
		{tool: "hosting.renew_certificate", args: kv{"domain": "blog.acme.test"}},
	}},
	{text: "add a CNAME docs in acme.test pointing to shop.acme.test, then delete the www record", steps: []wantStep{
		{tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "CNAME", "name": "docs", "value": "shop.acme.test"}},
		{tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "www"}, deps: []string{"s1"}},
	}},
	// The zone comes from the clause before.
	{text: "delete the shop record from acme.test and add an A record mail pointing to 203.0.113.8", steps: []wantStep{
		{tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "shop"}},
		{tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "A", "name": "mail", "value": "203.0.113.8"}},
	}},
	// Regression: a clause whose target the clause before supplies is not
	// refused as "missing its target" (it was, at 0.42).
	{text: "export acme.test and then add a TXT record verify with value abc", steps: []wantStep{
		{tool: "hosting.export_zone", args: kv{"zone": "acme.test"}},
		{tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "TXT", "name": "verify", "value": "abc"}, deps: []string{"s1"}},
	}},
	// Never drop a clause, never run a condition, never loop over a list
	// this turn has not produced.
	{text: "list the servers that are stopped and start them", clarify: true},
	// Negation excludes; a negated command is never a step.
	{text: "restart web-1 but not web-2", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}},
	}},
	{text: "don't restart web-1, restart web-2", clarify: true},
	{text: "is web-2 up? if not, restart it", clarify: true},
	{text: "restart web-1 and make me a sandwich", clarify: true},
	{text: "snapshot web-1 and then restart the web server", clarify: true},
	{text: "if web-1 is down, restart it", clarify: true},
	{text: "check whether staging-1 is up and if so snapshot it", clarify: true},
}

// devRefs refer to earlier turns (AF-02).
var devRefs = []chainCase{
	{text: "restart the first one", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/0/name")}},
	}},
	{text: "resize the second one to l", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.resize_server", args: kv{"server": ref("fact:101#/servers/1/name"), "size": "l"}},
	}},
	{text: "complete the last one", facts: ledger(factTasks), steps: []wantStep{
		{tool: "tasks.complete_task", args: kv{"task": ref("fact:102#/tasks/1/id")}},
	}},
	{text: "restart it", facts: ledger(factServer), steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:104#/name")}},
	}},
	{text: "start it", facts: ledger(factStopped), steps: []wantStep{
		{tool: "hosting.start_server", args: kv{"server": ref("fact:107#/servers/0/name")}},
	}},
	// "it" after a list of several: ask which.
	{text: "restart it", facts: ledger(factServers), clarify: true},
	{text: "restart them", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/0/name")}},
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/1/name")}},
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/2/name")}},
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/3/name")}},
	}},
	{text: "how many of those are in eu-west?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"region": "eu-west"}, Op: "count", Field: "name"}},
	{text: "how many are stopped?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"status": "stopped"}, Op: "count", Field: "name"}},
	{text: "which of them are running?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"status": "running"}, Op: "list", Field: "name"}},
	{text: "which of them are mine?", facts: ledger(factAllTasks),
		answer: &route.LedgerQuery{Fact: 108, Path: "/tasks", Where: map[string]string{"assignee": "bob"}, Op: "list", Field: "id"}},
	{text: "how many of those are on db-1?", facts: ledger(factDatabases),
		answer: &route.LedgerQuery{Fact: 105, Path: "/databases", Where: map[string]string{"server": "db-1"}, Op: "count", Field: "name"}},
	{text: "how many of them?", facts: ledger(factCerts),
		answer: &route.LedgerQuery{Fact: 103, Path: "/certificates", Op: "count", Field: "domain"}},
	{text: "send them to alice", facts: ledger(factTasks), steps: []wantStep{
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("fact:102")}},
	}},
	// With a ledger, requests that do not refer to it route as usual.
	{text: "list my servers", facts: ledger(factTasks, factServers), steps: []wantStep{{tool: "hosting.list_servers"}}},
	{text: "which servers are running", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.list_servers", args: kv{"status": "running"}},
	}},
	{text: "what are my tasks", facts: ledger(factServers, factTasks), steps: []wantStep{{tool: "tasks.list_tasks"}}},
	{text: "restart web-2", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-2"}},
	}},
	{text: "restart the first one", facts: ledger(factFailed), clarify: true},
	{text: "how many of those have size m?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"size": "m"}, Op: "count", Field: "name"}},
	{text: "how many are in the us-east region", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"region": "us-east"}, Op: "count", Field: "name"}},
	{text: "are they all running?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"status": "running"}, Op: "list", Field: "name"}},
	{text: "list them", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Op: "list", Field: "name"}},
	{text: "what's the cpu of the first one", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.server_metrics", args: kv{"server": ref("fact:101#/servers/0/name")}},
	}},
	{text: "show me the first one", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.get_server", args: kv{"server": ref("fact:101#/servers/0/name")}},
	}},
	{text: "stop those", facts: ledger(factStopped), steps: []wantStep{
		{tool: "hosting.stop_server", args: kv{"server": ref("fact:107#/servers/0/name")}},
	}},
	{text: "renew the first one", facts: ledger(factServers, factCerts, factTasks), steps: []wantStep{
		{tool: "hosting.renew_certificate", args: kv{"domain": ref("fact:103#/certificates/0/domain")}},
	}},
	// A name beats a pronoun; each gets its step.
	{text: "restart web-1 and the second one", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}},
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/1/name")}},
	}},
	// A later turn's chain may start from a ledger reference.
	{text: "snapshot the second one and then restart it", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": ref("fact:101#/servers/1/name")}},
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/1/name")}, deps: []string{"s1"}},
	}},
}

// TestChainAccuracy measures the chain and reference sets (CHAIN-01,
// CHAIN-03, CHAIN-08, AF-02). Thresholds sit a little below the measured
// numbers (docs/router.md): the held-out ones were measured once, blind.
func TestChainAccuracy(t *testing.T) {
	sets := []struct {
		name        string
		cases       []chainCase
		minAccuracy float64
	}{
		// Tuned against: 100% when last measured.
		{"chains-dev", devChains, 0.95},
		// CHAIN-01/03/08, never tuned against. Blind first run 28/34
		// (82.4%); 32/34 (94.1%) after four generic fixes of bugs it
		// exposed (docs/router.md). The blind number is the honest
		// estimate, so the bar sits just below it.
		{"chains-held-out", heldOutChains, 0.80},
		// AF-02: tuned against.
		{"refs-dev", devRefs, 0.95},
		// AF-02, never tuned against: blind first run 14/14. One miss in
		// fourteen is allowed (92.9%): the set is small.
		{"refs-held-out", heldOutRefs, 0.90},
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			m := scoreChains(t, s.name, s.cases)
			if m.accuracy() < s.minAccuracy {
				t.Errorf("%s accuracy %.1f%% < %.0f%%", s.name, 100*m.accuracy(), 100*s.minAccuracy)
			}
			if m.harmful > 0 {
				t.Errorf("%s: %d steps that change something nobody asked for", s.name, m.harmful)
			}
		})
	}
}
