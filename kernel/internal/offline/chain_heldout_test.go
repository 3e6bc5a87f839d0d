package offline

import "github.com/steward-os/steward/kernel/route"

// The HELD-OUT sets for multi-step plans (CHAIN-01, CHAIN-03, CHAIN-08) and
// for references to earlier turns (AF-02). They were written before any
// chain or reference code existed, from the demo world's point of view
// (actor bob, manager alice), and are never tuned against: no sentence is
// edited to pass and no router rule is added for one of them. The measured
// accuracy is logged by TestChainAccuracy and reported in docs/router.md.
//
// Conventions: steps are expected in this order; args is a subset of each
// step's arguments; deps is the exact DependsOn (nil = none); clarify means
// a question and nothing to run (no steps; for a one-command request, the
// documented single-step shape of one incomplete step plus its question is
// accepted too). The stage rule for "A, B and then C" is that C follows
// everything said before "then".

var heldOutChains = []chainCase{
	{text: "stop staging-1 and then delete it", steps: []wantStep{
		{tool: "hosting.stop_server", args: kv{"server": "staging-1"}},
		{tool: "hosting.delete_server", args: kv{"server": "staging-1"}, deps: []string{"s1"}},
	}},
	{text: "back up orders, then restore analytics from analytics-1", steps: []wantStep{
		{tool: "hosting.backup_database", args: kv{"database": "orders"}},
		{tool: "hosting.restore_database", args: kv{"database": "analytics", "backup": "analytics-1"}, deps: []string{"s1"}},
	}},
	{text: "restart web-1 and web-2", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-2"}},
	}},
	{text: "show me the metrics for db-1 and email them to alice", steps: []wantStep{
		{tool: "hosting.server_metrics", args: kv{"server": "db-1"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "list the stopped servers and tell my manager", steps: []wantStep{
		{tool: "hosting.list_servers", args: kv{"status": "stopped"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "take a snapshot of db-1, after that resize it to xl", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "db-1"}},
		{tool: "hosting.resize_server", args: kv{"server": "db-1", "size": "xl"}, deps: []string{"s1"}},
	}},
	{text: "renew the blog certificate and mark T-1 as done", steps: []wantStep{
		{tool: "hosting.renew_certificate", args: kv{"domain": "blog.acme.test"}},
		{tool: "tasks.complete_task", args: kv{"task": "T-1"}},
	}},
	{text: "what's the status of web-2 and how busy is db-1?", steps: []wantStep{
		{tool: "hosting.get_server", args: kv{"server": "web-2"}},
		{tool: "hosting.server_metrics", args: kv{"server": "db-1"}},
	}},
	{text: "back up orders and analytics", steps: []wantStep{
		{tool: "hosting.backup_database", args: kv{"database": "orders"}},
		{tool: "hosting.backup_database", args: kv{"database": "analytics"}},
	}},
	{text: "check carol's tasks and send them to her", steps: []wantStep{
		{tool: "tasks.list_tasks", args: kv{"assignee": "carol"}},
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "snapshot web-1. then restart it.", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "web-1"}},
		{tool: "hosting.restart_server", args: kv{"server": "web-1"}, deps: []string{"s1"}},
	}},
	{text: "create a task to review the logs and let alice know", steps: []wantStep{
		{tool: "tasks.create_task", args: kv{"title": "review the logs"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "start staging-1 and once it's up, snapshot it", steps: []wantStep{
		{tool: "hosting.start_server", args: kv{"server": "staging-1"}},
		{tool: "hosting.snapshot_server", args: kv{"server": "staging-1"}, deps: []string{"s1"}},
	}},
	// "the ones that are running" needs a filter over a list this turn has
	// not produced yet: ask, never guess.
	{text: "list all servers in us-east and restart the ones that are running", clarify: true},
	{text: "tell alice and carol that the deploy is done", steps: []wantStep{
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": "the deploy is done"}},
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": "the deploy is done"}},
	}},
	{text: "delete the www record from acme.test and add a CNAME www pointing to blog.acme.test", steps: []wantStep{
		{tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "www"}},
		{tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "CNAME", "name": "www", "value": "blog.acme.test"}},
	}},
	{text: "get the details of web-1 and send them to my boss", steps: []wantStep{
		{tool: "hosting.get_server", args: kv{"server": "web-1"}},
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "reboot db-1, then check its metrics", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "db-1"}},
		{tool: "hosting.server_metrics", args: kv{"server": "db-1"}, deps: []string{"s1"}},
	}},
	{text: "scale web-2 to large and web-1 to xl", steps: []wantStep{
		{tool: "hosting.resize_server", args: kv{"server": "web-2", "size": "l"}},
		{tool: "hosting.resize_server", args: kv{"server": "web-1", "size": "xl"}},
	}},
	{text: "list my pending tasks and complete T-2", steps: []wantStep{
		{tool: "tasks.list_tasks", args: kv{"status": "pending"}},
		{tool: "tasks.complete_task", args: kv{"task": "T-2"}},
	}},
	{text: "give me the cpu usage of web-1, then the memory of web-2", steps: []wantStep{
		{tool: "hosting.server_metrics", args: kv{"server": "web-1"}},
		{tool: "hosting.server_metrics", args: kv{"server": "web-2"}, deps: []string{"s1"}},
	}},
	{text: "could you restart web-2 and afterwards tell carol it's back up", steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": "web-2"}},
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": "it's back up"}, deps: []string{"s1"}},
	}},
	{text: "find the databases on db-1, back up orders and then drop analytics", steps: []wantStep{
		{tool: "hosting.list_databases", args: kv{"server": "db-1"}},
		{tool: "hosting.backup_database", args: kv{"database": "orders"}},
		{tool: "hosting.drop_database", args: kv{"database": "analytics"}, deps: []string{"s1", "s2"}},
	}},
	{text: "message my manager that the migration is done and then close T-3", steps: []wantStep{
		{tool: "messaging.send_message", args: kv{"to": "alice", "body": "the migration is done"}},
		{tool: "tasks.complete_task", args: kv{"task": "T-3"}, deps: []string{"s1"}},
	}},
	{text: "list the sites on web-2 and the databases on db-1", steps: []wantStep{
		{tool: "hosting.list_sites", args: kv{"server": "web-2"}},
		{tool: "hosting.list_databases", args: kv{"server": "db-1"}},
	}},
	// A clause nobody can do: ask about it, run nothing (never drop it).
	{text: "restart db-1 and then order lunch for the team", clarify: true},
	{text: "resize staging-1 to m after you snapshot it", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "staging-1"}},
		{tool: "hosting.resize_server", args: kv{"server": "staging-1", "size": "m"}, deps: []string{"s1"}},
	}},
	{text: "snapshot web-2 before resizing it to xl", steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": "web-2"}},
		{tool: "hosting.resize_server", args: kv{"server": "web-2", "size": "xl"}, deps: []string{"s1"}},
	}},
	{text: "Check which certificates expire within 30 days and renew the blog one", steps: []wantStep{
		{tool: "hosting.list_certificates", args: kv{"expiring_within_days": 30}},
		{tool: "hosting.renew_certificate", args: kv{"domain": "blog.acme.test"}},
	}},
	{text: "complete T-1 and T-2", steps: []wantStep{
		{tool: "tasks.complete_task", args: kv{"task": "T-1"}},
		{tool: "tasks.complete_task", args: kv{"task": "T-2"}},
	}},
	{text: "stop web-1 and web-2, then delete them", steps: []wantStep{
		{tool: "hosting.stop_server", args: kv{"server": "web-1"}},
		{tool: "hosting.stop_server", args: kv{"server": "web-2"}},
		{tool: "hosting.delete_server", args: kv{"server": "web-1"}, deps: []string{"s1", "s2"}},
		{tool: "hosting.delete_server", args: kv{"server": "web-2"}, deps: []string{"s1", "s2"}},
	}},
	{text: "what tasks does carol have? send the list to her", steps: []wantStep{
		{tool: "tasks.list_tasks", args: kv{"assignee": "carol"}},
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": ref("s1")}, deps: []string{"s1"}},
	}},
	{text: "drop the analytics database, then tell carol it's gone", steps: []wantStep{
		{tool: "hosting.drop_database", args: kv{"database": "analytics"}},
		{tool: "messaging.send_message", args: kv{"to": "carol", "body": "it's gone"}, deps: []string{"s1"}},
	}},
	// A condition cannot be planned: ask rather than start unconditionally.
	{text: "is web-1 running? if not, start it", clarify: true},
}

// heldOutRefs refer to results of earlier turns (AF-02). Each case carries
// the ledger it is asked against (oldest first).
var heldOutRefs = []chainCase{
	{text: "reboot the second one", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.restart_server", args: kv{"server": ref("fact:101#/servers/1/name")}},
	}},
	{text: "how many of them are running?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"status": "running"}, Op: "count", Field: "name"}},
	{text: "mark the first one as done", facts: ledger(factTasks), steps: []wantStep{
		{tool: "tasks.complete_task", args: kv{"task": ref("fact:102#/tasks/0/id")}},
	}},
	{text: "renew the last one", facts: ledger(factCerts), steps: []wantStep{
		{tool: "hosting.renew_certificate", args: kv{"domain": ref("fact:103#/certificates/1/domain")}},
	}},
	{text: "ok, snapshot it", facts: ledger(factServer), steps: []wantStep{
		{tool: "hosting.snapshot_server", args: kv{"server": ref("fact:104#/name")}},
	}},
	{text: "which of these are in us-east?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"region": "us-east"}, Op: "list", Field: "name"}},
	{text: "how many of those are pending?", facts: ledger(factServers, factTasks),
		answer: &route.LedgerQuery{Fact: 102, Path: "/tasks", Where: map[string]string{"status": "pending"}, Op: "count", Field: "id"}},
	{text: "complete the second one", facts: ledger(factTasks, factServers), steps: []wantStep{
		{tool: "tasks.complete_task", args: kv{"task": ref("fact:102#/tasks/1/id")}},
	}},
	// No reference to earlier results: route normally.
	{text: "how many servers are stopped?", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.list_servers", args: kv{"status": "stopped"}},
	}},
	{text: "stop the third one", facts: ledger(factServers), steps: []wantStep{
		{tool: "hosting.stop_server", args: kv{"server": ref("fact:101#/servers/2/name")}},
	}},
	{text: "back up the first one", facts: ledger(factDatabases), steps: []wantStep{
		{tool: "hosting.backup_database", args: kv{"database": ref("fact:105#/databases/0/name")}},
	}},
	// A failed fact is never a source.
	{text: "resize the first one to l", facts: ledger(factServers, factFailed), steps: []wantStep{
		{tool: "hosting.resize_server", args: kv{"server": ref("fact:101#/servers/0/name"), "size": "l"}},
	}},
	// Nothing to refer to: ask.
	{text: "restart the first one", clarify: true},
	{text: "which ones are stopped?", facts: ledger(factServers),
		answer: &route.LedgerQuery{Fact: 101, Path: "/servers", Where: map[string]string{"status": "stopped"}, Op: "list", Field: "name"}},
}
