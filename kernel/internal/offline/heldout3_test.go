package offline

import "testing"

// The third single-request HELD-OUT set (ROUTE-01, ROUTE-02), written
// before the conversation work changed the router (docs/router.md) and run
// once, blind, with the router frozen; the blind figure is recorded there.
// Same rules as heldout_test.go: never tuned against, never edited to pass.
// Same fixture: actor bob (manager alice), "now" Thursday 2026-05-14.

var heldOutC = []routeCase{
	// servers: colloquial verbs
	{text: "kick web-2, it's hung", tool: "hosting.restart_server", args: kv{"server": "web-2"}},
	{text: "cycle db-1 please", tool: "hosting.restart_server", args: kv{"server": "db-1"}},
	{text: "bring staging-1 up", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "get staging-1 running again", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "switch on staging-1", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "take web-2 offline", tool: "hosting.stop_server", args: kv{"server": "web-2"}},
	{text: "switch off web-1", tool: "hosting.stop_server", args: kv{"server": "web-1"}},
	{text: "kill db-1", tool: "hosting.stop_server", args: kv{"server": "db-1"}},
	{text: "tear down staging-1", tool: "hosting.delete_server", args: kv{"server": "staging-1"}},
	{text: "get rid of staging-1 for good", tool: "hosting.delete_server", args: kv{"server": "staging-1"}},
	{text: "nuke web-2", tool: "hosting.delete_server", args: kv{"server": "web-2"}},
	{text: "beef up db-1 to xl", tool: "hosting.resize_server", args: kv{"server": "db-1", "size": "xl"}},
	{text: "downsize web-1 to small", tool: "hosting.resize_server", args: kv{"server": "web-1", "size": "s"}},
	{text: "give web-2 a larger size, l", tool: "hosting.resize_server", args: kv{"server": "web-2", "size": "l"}},
	{text: "back up web-1's disk image", tool: "hosting.snapshot_server", args: kv{"server": "web-1"}},
	// servers: misspelt verbs and nouns
	{text: "restrat web-1", tool: "hosting.restart_server", args: kv{"server": "web-1"}},
	{text: "reboot teh db-1 server", tool: "hosting.restart_server", args: kv{"server": "db-1"}},
	{text: "shwo me the sevrers", tool: "hosting.list_servers"},
	{text: "list my severs", tool: "hosting.list_servers"},
	{text: "snapshto staging-1", tool: "hosting.snapshot_server", args: kv{"server": "staging-1"}},
	{text: "what are the metrcis for web-2", tool: "hosting.server_metrics", args: kv{"server": "web-2"}},
	// servers: status and load questions
	{text: "is web-2 running now?", tool: "hosting.get_server", args: kv{"server": "web-2"}},
	{text: "is staging-1 up?", tool: "hosting.get_server", args: kv{"server": "staging-1"}},
	{text: "is db-1 stopped?", tool: "hosting.get_server", args: kv{"server": "db-1"}},
	{text: "how loaded is web-1", tool: "hosting.server_metrics", args: kv{"server": "web-1"}},
	{text: "how much memory is db-1 using", tool: "hosting.server_metrics", args: kv{"server": "db-1"}},
	{text: "run a health check on web-2", tool: "hosting.check_server_health", args: kv{"server": "web-2"}},
	{text: "which servers are in eu-west", tool: "hosting.list_servers", args: kv{"region": "eu-west"}},
	{text: "show me everything that's stopped", tool: "hosting.list_servers", args: kv{"status": "stopped"}},
	{text: "what region is db-1 in", tool: "hosting.get_server", args: kv{"server": "db-1"}},
	// sites, databases, dns, certificates
	{text: "what's hosted on web-2", tool: "hosting.list_sites", args: kv{"server": "web-2"}},
	{text: "what databases do we have on db-1", tool: "hosting.list_databases", args: kv{"server": "db-1"}},
	{text: "make a backup of analytics", tool: "hosting.backup_database", args: kv{"database": "analytics"}},
	{text: "roll orders back to orders-1", tool: "hosting.restore_database", args: kv{"database": "orders", "backup": "orders-1"}},
	{text: "get rid of the analytics db", tool: "hosting.drop_database", args: kv{"database": "analytics"}},
	{text: "list the records in acme.test", tool: "hosting.list_dns_records", args: kv{"zone": "acme.test"}},
	{text: "point api.acme.test at 203.0.113.50", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "name": "api", "value": "203.0.113.50"}, clarify: clarYes},
	{text: "add an A record api to acme.test pointing at 203.0.113.50", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "name": "api", "type": "A", "value": "203.0.113.50"}},
	{text: "remove the www record in acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "www"}},
	{text: "dump the acme.test zone file", tool: "hosting.export_zone", args: kv{"zone": "acme.test"}},
	{text: "are any certificates about to expire?", tool: "hosting.list_certificates"},
	{text: "which certs expire within 30 days", tool: "hosting.list_certificates", args: kv{"expiring_within_days": 30}},
	{text: "refresh the shop certificate", tool: "hosting.renew_certificate", args: kv{"domain": "shop.acme.test"}},
	// tasks
	{text: "what is carol working on?", tool: "tasks.list_tasks", args: kv{"assignee": "carol"}},
	{text: "what's alice working on", tool: "tasks.list_tasks", args: kv{"assignee": "alice"}},
	{text: "what do I still have to do?", tool: "tasks.list_tasks", args: kv{"assignee": "bob"}},
	{text: "show carol's todo list", tool: "tasks.list_tasks", args: kv{"assignee": "carol"}},
	{text: "which tasks are finished", tool: "tasks.list_tasks", args: kv{"status": "done"}},
	{text: "add a task to rotate the keys by friday", tool: "tasks.create_task", args: kv{"title": "rotate the keys", "due": "2026-05-15"}},
	{text: "remind me to call the vendor tomorrow", tool: "tasks.create_task", args: kv{"title": "call the vendor", "due": "2026-05-15"}},
	{text: "T-2 is done", tool: "tasks.complete_task", args: kv{"task": "T-2"}},
	{text: "check off T-1", tool: "tasks.complete_task", args: kv{"task": "T-1"}},
	{text: "close out the review backups task", tool: "tasks.complete_task", args: kv{"task": "T-2"}},
	{text: "mark a task as done", tool: "tasks.complete_task", clarify: clarYes},
	// messaging
	{text: "ping carol that the build is green", tool: "messaging.send_message", args: kv{"to": "carol", "body": "the build is green"}},
	{text: "drop alice a line saying I'm running late", tool: "messaging.send_message", args: kv{"to": "alice", "body": "I'm running late"}},
	{text: "let my boss know the report is ready", tool: "messaging.send_message", args: kv{"to": "alice", "body": "the report is ready"}},
	{text: "write to carol: standup is cancelled", tool: "messaging.send_message", args: kv{"to": "carol", "body": "standup is cancelled"}},
	{text: "any messages for me?", tool: "messaging.list_messages"},
	{text: "show my inbox", tool: "messaging.list_messages"},
	{text: "read my messages", tool: "messaging.list_messages"},
	{text: "did anyone write to me?", tool: "messaging.list_messages"},

	// out of scope: must not be force-fitted
	{text: "hi, what can you do?"},
	{text: "thanks!"},
	{text: "what's the weather like in berlin"},
	{text: "book a table for two at eight"},
	{text: "play some jazz"},
	{text: "how tall is mount everest"},
	{text: "translate hello into spanish"},
	{text: "start the coffee machine"},
	{text: "stop the music"},
	{text: "delete my facebook account"},
	{text: "restart my laptop"},
	{text: "what's my horoscope"},
	{text: "order more printer paper"},
	{text: "schedule a meeting with the ceo"},
	{text: "kill the lights in the office"},
	{text: "who won the world cup"},
	{text: "send a fax to the bank"},
	{text: "what time is it in tokyo"},
	{text: "set an alarm for 7am"},
	{text: "resize this photo"},
	{text: "cancel my gym membership"},
	{text: "show me cat pictures"},
}

// TestAccuracyHeldOutC reports held-out C. The thresholds sit a little
// below the measured figures (docs/router.md); no wrong change and no
// force-fit is tolerated.
func TestAccuracyHeldOutC(t *testing.T) {
	m := score(t, "held-out-C", heldOutC)
	if m.accuracy() < heldOutCMin {
		t.Errorf("held-out-C accuracy %.1f%% < %.0f%%", 100*m.accuracy(), 100*heldOutCMin)
	}
	if m.forceFits > 0 || m.harmful > 0 {
		t.Errorf("held-out-C: %d force-fits, %d wrong state-changing plans", m.forceFits, m.harmful)
	}
}

// heldOutCMin is the floor TestAccuracyHeldOutC enforces.
const heldOutCMin = 0.80
