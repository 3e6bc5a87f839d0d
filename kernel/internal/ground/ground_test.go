package ground

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
)

func okf(tool, args, output string) session.Fact {
	if args == "" {
		args = "{}"
	}
	return session.Fact{Tool: session.ToolID(tool), Args: json.RawMessage(args), OK: true, Output: json.RawMessage(output)}
}

func failf(tool, args, code, msg string) session.Fact {
	return session.Fact{Tool: session.ToolID(tool), Args: json.RawMessage(args), Error: &session.Error{Code: code, Message: msg}}
}

// Facts shaped like the demo world's (see world_test.go for real ones).
var (
	fServers   = okf("hosting.list_servers", "", `{"servers":[{"name":"db-1","region":"us-east","status":"running","size":"l"},{"name":"staging-1","region":"us-east","status":"stopped","size":"s"},{"name":"web-1","region":"eu-west","status":"running","size":"m"},{"name":"web-2","region":"eu-west","status":"running","size":"m"}]}`)
	fWeb1      = okf("hosting.get_server", `{"server":"web-1"}`, `{"name":"web-1","region":"eu-west","status":"running","size":"m","sites":["shop.acme.test"],"databases":[],"restarts":0}`)
	fMetrics   = okf("hosting.server_metrics", `{"server":"web-1"}`, `{"server":"web-1","status":"running","cpu":38,"memory":61,"disk":47}`)
	fDB1       = okf("hosting.server_metrics", `{"server":"db-1"}`, `{"server":"db-1","status":"running","cpu":57,"memory":78,"disk":83}`)
	fDBs       = okf("hosting.list_databases", "", `{"databases":[{"name":"analytics","server":"db-1","size_mb":5310,"backups":["analytics-1"]},{"name":"orders","server":"db-1","size_mb":1240,"backups":["orders-1"]}]}`)
	fCerts     = okf("hosting.list_certificates", `{"expiring_within_days":90}`, `{"certificates":[{"domain":"blog.acme.test","expires":"2026-03-15","days_left":5},{"domain":"shop.acme.test","expires":"2026-05-09","days_left":60}]}`)
	fRecords   = okf("hosting.list_dns_records", `{"zone":"acme.test"}`, `{"zone":"acme.test","records":[{"name":"shop","type":"A","value":"203.0.113.10"},{"name":"blog","type":"A","value":"203.0.113.20"},{"name":"www","type":"CNAME","value":"shop.acme.test"},{"name":"@","type":"MX","value":"10 mail.acme.test"}]}`)
	fZone      = okf("hosting.export_zone", `{"zone":"acme.test"}`, `{"zone":"acme.test","zonefile":"$ORIGIN acme.test.\n$TTL 3600\nshop\t3600\tIN\tA\t203.0.113.10\n"}`)
	fTasks     = okf("tasks.list_tasks", "", `{"assignee":"alice","status":"","tasks":[{"id":"T-1","title":"Review the hosting invoice","status":"pending","assignee":"alice","due":"2026-03-13","created":"2026-03-10"},{"id":"T-2","title":"Renew the blog certificate","status":"pending","assignee":"alice","due":"2026-03-14","created":"2026-03-10"},{"id":"T-5","title":"Set up nightly backups of orders","status":"done","assignee":"alice","due":"","created":"2026-03-10","completed":"2026-03-10"}]}`)
	fRestart   = okf("hosting.restart_server", `{"server":"web-1"}`, `{"name":"web-1","region":"eu-west","status":"running","size":"m","sites":["shop.acme.test"],"databases":[],"restarts":1,"restarted_at":"2026-03-10T09:30:00Z"}`)
	fDelete    = okf("hosting.delete_server", `{"server":"web-2"}`, `{"server":"web-2","deleted":true,"sites_removed":["blog.acme.test","status.acme.test"],"databases_removed":[]}`)
	fDrop      = okf("hosting.drop_database", `{"database":"analytics"}`, `{"database":"analytics","dropped":true,"backups_kept":["analytics-1","analytics-2"]}`)
	fHealthy   = okf("hosting.check_server_health", `{"server":"web-1"}`, `{"server":"web-1","healthy":true,"checks":[{"name":"reachability","status":"ok","detail":"status running"},{"name":"cpu","status":"ok","detail":"38%"},{"name":"memory","status":"ok","detail":"61%"},{"name":"disk","status":"ok","detail":"47%"}],"seconds":8}`)
	fUnhealthy = okf("hosting.check_server_health", `{"server":"staging-1"}`, `{"server":"staging-1","healthy":false,"checks":[{"name":"reachability","status":"fail","detail":"status stopped"},{"name":"cpu","status":"ok","detail":"12%"},{"name":"memory","status":"ok","detail":"30%"},{"name":"disk","status":"ok","detail":"25%"}],"seconds":8}`)
	fFail      = failf("hosting.restart_server", `{"server":"staging-1"}`, "conflict", `server "staging-1" is stopped; start it instead of restarting it`)
)

func facts(fs ...session.Fact) []session.Fact { return fs }

type checkCase struct {
	name  string
	text  string
	facts []session.Fact
	opts  Options
	want  bool   // grounded
	kind  string // when !want: the kind of the first violation
	token string // when !want: its token (case-insensitive)
}

func runCases(t *testing.T, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(tc.text, tc.facts, tc.opts)
			if r.Grounded != tc.want {
				t.Fatalf("Check(%q) grounded = %v, want %v; violations %v", tc.text, r.Grounded, tc.want, r.Violations)
			}
			if tc.want {
				return
			}
			for _, v := range r.Violations {
				if v.Kind == tc.kind && strings.EqualFold(v.Token, tc.token) {
					if v.Reason == "" || tc.text[v.Offset:v.Offset+len(v.Token)] != v.Token {
						t.Fatalf("violation %+v: empty reason or wrong offset", v)
					}
					return
				}
			}
			t.Fatalf("Check(%q): want a %s violation on %q, got %v", tc.text, tc.kind, tc.token, r.Violations)
		})
	}
}

// AF-05: a number must be one a tool returned.
func TestNumbers(t *testing.T) {
	runCases(t, []checkCase{
		{"percent", "web-1: CPU 38%, memory 61%, disk 47%.", facts(fMetrics), Options{}, true, "", ""},
		{"changed", "web-1: CPU 83%.", facts(fMetrics), Options{}, false, KindNumber, "83"},
		{"swapped keys", "web-1: CPU 61%, memory 38%.", facts(fMetrics), Options{}, false, KindNumber, "61"},
		{"number before key", "web-1 uses 38% CPU and 61% of its memory.", facts(fMetrics), Options{}, true, "", ""},
		{"other server's value", "web-1 is at 57% CPU and db-1 at 38%.", facts(fMetrics, fDB1), Options{}, false, KindNumber, "57"},
		{"relative clause", "web-1 (38% CPU) is quieter than db-1, which runs at 57% CPU.", facts(fMetrics, fDB1), Options{}, true, "", ""},
		{"size with unit", "orders is 1240 MB, analytics 5,310 MB.", facts(fDBs), Options{}, true, "", ""},
		{"glued unit", "orders is 1240MB.", facts(fDBs), Options{}, true, "", ""},
		{"wrong size", "orders is 1420 MB.", facts(fDBs), Options{}, false, KindNumber, "1420"},
		{"conversion is not a returned value", "orders is about 1.2 GB.", facts(fDBs), Options{}, false, KindNumber, "1.2"},
		{"days left", "blog.acme.test expires in 5 days, shop.acme.test in 60 days.", facts(fCerts), Options{}, true, "", ""},
		{"days of the other certificate", "shop.acme.test expires in 5 days.", facts(fCerts), Options{}, false, KindNumber, "5"},
		{"argument echoed", "Certificates expiring within 90 days: blog.acme.test (5 days).", facts(fCerts), Options{}, true, "", ""},
		{"negative as ago", "a.test lapsed 3 days ago.", facts(okf("x.list_certificates", "", `{"certificates":[{"domain":"a.test","days_left":-3}]}`)), Options{}, true, "", ""},
		{"number inside a string", "The MX has priority 10 and the TTL is 3600.", facts(fRecords, fZone), Options{}, true, "", ""},
		{"derived sum", "Together they take 6550 MB.", facts(fDBs), Options{}, false, KindNumber, "6550"},
		{"year of a date", "The certificate expires in 2026.", facts(fCerts), Options{}, true, "", ""},
		{"list enumerators", "1. web-1\n2. web-2\n3. db-1\n4. staging-1", facts(fServers), Options{}, true, "", ""},
		{"ordinals are positions", "web-1 is the 3rd server.", facts(fServers), Options{}, true, "", ""},
		{"restarts", "web-1 was restarted (restarts: 1).", facts(fRestart), Options{}, true, "", ""},
		{"restarts changed", "web-1 was restarted (restarts: 2).", facts(fRestart), Options{}, false, KindNumber, "2"},
	})
}

// AF-06: a count must be the length of a list in the facts, or the number
// of its items that match the clause.
func TestCounts(t *testing.T) {
	runCases(t, []checkCase{
		{"length", "You have 4 servers.", facts(fServers), Options{}, true, "", ""},
		{"plural marker", "4 server(s):", facts(fServers), Options{}, true, "", ""},
		{"wrong length", "You have 5 servers.", facts(fServers), Options{}, false, KindCount, "5"},
		{"spelled out", "You have four servers.", facts(fServers), Options{}, true, "", ""},
		{"spelled out wrong", "You have three servers.", facts(fServers), Options{}, false, KindCount, "three"},
		{"filtered by status", "3 servers are running.", facts(fServers), Options{}, true, "", ""},
		{"filtered by status wrong", "2 servers are running.", facts(fServers), Options{}, false, KindCount, "2"},
		{"filtered by synonym", "3 servers are up.", facts(fServers), Options{}, true, "", ""},
		{"filtered by value", "2 servers are in eu-west.", facts(fServers), Options{}, true, "", ""},
		{"n of m", "3 of your 4 servers are running.", facts(fServers), Options{}, true, "", ""},
		{"n of m wrong", "2 of your 4 servers are running.", facts(fServers), Options{}, false, KindCount, "2"},
		{"unkeyed filtered", "Of your 4 servers, 3 are running and 1 is stopped.", facts(fServers), Options{}, true, "", ""},
		{"unkeyed filtered wrong", "Of your 4 servers, 3 are running and 2 are stopped.", facts(fServers), Options{}, false, KindNumber, "2"},
		{"negated complement", "2 tasks are not done.", facts(fTasks), Options{}, true, "", ""},
		{"nested list", "web-2's deletion removed 2 sites.", facts(fDelete), Options{}, true, "", ""},
		{"nested list wrong", "web-2's deletion removed 3 sites.", facts(fDelete), Options{}, false, KindCount, "3"},
		{"both", "Both databases are on db-1.", facts(fDBs), Options{}, true, "", ""},
		{"both wrong", "Both servers are running.", facts(fServers), Options{}, false, KindCount, "Both"},
		{"list of the subject", "web-1 hosts 1 site.", facts(fWeb1, okf("hosting.get_server", `{"server":"web-2"}`, `{"name":"web-2","sites":["a.test","b.test"]}`)), Options{}, true, "", ""},
		{"list of another subject", "web-1 hosts 2 sites.", facts(fWeb1, okf("hosting.get_server", `{"server":"web-2"}`, `{"name":"web-2","sites":["a.test","b.test"]}`)), Options{}, false, KindCount, "2"},
	})
}

// AF-05: identifiers must appear in the facts, and a name stated with
// another must appear with it.
func TestIdentifiers(t *testing.T) {
	runCases(t, []checkCase{
		{"present", "web-1 and web-2 are in eu-west.", facts(fServers), Options{}, true, "", ""},
		{"substituted", "web-3 is running.", facts(fServers), Options{}, false, KindIdentifier, "web-3"},
		{"other tenant", "gx-web-1 is running.", facts(fServers), Options{}, false, KindIdentifier, "gx-web-1"},
		{"not a substring of a longer id", "web-1 is running.", facts(okf("hosting.get_server", "", `{"name":"gx-web-1","status":"running"}`)), Options{}, false, KindIdentifier, "web-1"},
		{"ip", "shop is 203.0.113.10.", facts(fRecords), Options{}, true, "", ""},
		{"ip changed", "shop is 203.0.113.11.", facts(fRecords), Options{}, false, KindIdentifier, "203.0.113.11"},
		{"inside a zone file", "The SOA is for acme.test; shop is 203.0.113.10.", facts(fZone), Options{}, true, "", ""},
		{"composed host name", "www.acme.test is a CNAME for shop.acme.test.", facts(fRecords), Options{}, true, "", ""},
		{"invented host name", "api.acme.test is an A record.", facts(fRecords), Options{}, false, KindIdentifier, "api.acme.test"},
		{"region of another server", "db-1 (eu-west, running)", facts(fServers), Options{}, false, KindIdentifier, "eu-west"},
		{"peers in a list", "Running: db-1, web-1 and web-2.", facts(fServers), Options{}, true, "", ""},
		{"similar region", "web-1 is in eu-central.", facts(fServers), Options{}, false, KindIdentifier, "eu-central"},
		{"english compounds", "Your to-do list is up-to-date, e.g. T-1.", facts(fTasks), Options{}, true, "", ""},
		{"tool and key names", "hosting.list_databases returned size_mb for each.", facts(fDBs), Options{}, true, "", ""},
		{"quoted text", `T-2 is "Renew the blog certificate".`, facts(fTasks), Options{}, true, "", ""},
		{"invented quote", `T-2 is "Renew every certificate".`, facts(fTasks), Options{}, false, KindIdentifier, "Renew every certificate"},
		{"name after key noun", "The database orders is on db-1.", facts(fDBs), Options{}, true, "", ""},
		{"invented name after key noun", "The database payments is on db-1.", facts(fDBs), Options{}, false, KindIdentifier, "payments"},
		{"invented name in a list", "Databases: orders, payments.", facts(okf("hosting.get_server", "", `{"name":"db-1","databases":["analytics","orders"]}`)), Options{}, false, KindIdentifier, "payments"},
		{"verb after key noun", "The database containing orders is on db-1.", facts(fDBs), Options{}, true, "", ""},
		{"extra words", "Steward-2 says web-1 is running.", facts(fWeb1), Options{Words: []string{"Steward-2"}}, true, "", ""},
	})
}

// AF-07: a status must have been retrieved — for the thing it is said of.
func TestStatuses(t *testing.T) {
	runCases(t, []checkCase{
		{"retrieved", "web-1 is running.", facts(fWeb1), Options{}, true, "", ""},
		{"never retrieved", "web-1 is healthy.", facts(fWeb1), Options{}, false, KindStatus, "healthy"},
		{"wrong status", "web-1 is stopped.", facts(fWeb1), Options{}, false, KindStatus, "stopped"},
		{"synonym", "web-1 is up and online.", facts(fWeb1), Options{}, true, "", ""},
		{"of another item", "staging-1 is running.", facts(fServers), Options{}, false, KindStatus, "running"},
		{"in a list line", "- staging-1 (us-east, running, size s)", facts(fServers), Options{}, false, KindStatus, "running"},
		{"verb first", "Then stopped web-1.", facts(fServers), Options{}, false, KindStatus, "stopped"},
		{"enumeration", "db-1, staging-1 and web-1 are running.", facts(fServers), Options{}, false, KindStatus, "running"},
		{"enumeration ok", "db-1, web-1 and web-2 are running; staging-1 is stopped.", facts(fServers), Options{}, true, "", ""},
		{"quantified", "All servers are running.", facts(fServers), Options{}, false, KindStatus, "running"},
		{"quantified with exception", "All servers are running except staging-1.", facts(fServers), Options{}, true, "", ""},
		{"negated true", "staging-1 is not running.", facts(fServers), Options{}, true, "", ""},
		{"negated false", "web-1 isn't running.", facts(fServers), Options{}, false, KindStatus, "running"},
		{"negated global", "No servers are stopped.", facts(fServers), Options{}, false, KindStatus, "stopped"},
		{"negated never retrieved", "web-1 is not restarted.", facts(fDBs), Options{}, false, KindIdentifier, "web-1"},
		{"phrasal up", "I'll back up orders and set up a schedule.", facts(fDBs), Options{}, true, "", ""},
		{"down to a number", "CPU on web-1 went down to 38%.", facts(fMetrics), Options{}, true, "", ""},
		{"modal", "staging-1 needs to be started first.", facts(fFail), Options{}, true, "", ""},
		{"true key", "web-2 has been deleted.", facts(fDelete), Options{}, true, "", ""},
		{"true key synonym", "analytics is gone.", facts(fDrop), Options{}, true, "", ""},
		{"non-empty list key", "Sites removed: blog.acme.test.", facts(fDelete), Options{}, true, "", ""},
		{"timestamp key", "web-1 restarted at 09:30.", facts(fRestart), Options{}, true, "", ""},
		{"tool verb", "web-1 was rebooted.", facts(fRestart), Options{}, true, "", ""},
		{"tool verb of another tool", "web-1 was rebooted.", facts(fWeb1), Options{}, false, KindStatus, "rebooted"},
		{"interjection", "Done. web-1 restarted.", facts(fRestart), Options{}, true, "", ""},
		{"completion of a call", "Restart complete for web-1.", facts(fRestart), Options{}, true, "", ""},
		{"task done", "T-5 is done, T-1 is pending.", facts(fTasks), Options{}, true, "", ""},
		{"task swapped", "T-1 is done.", facts(fTasks), Options{}, false, KindStatus, "done"},
		{"quoted phrase is not a claim", `Created "Find out why web-1 is down".`, facts(okf("tasks.create_task", "", `{"id":"T-6","title":"Find out why web-1 is down","status":"pending"}`)), Options{}, true, "", ""},
		{"custom vocabulary", "web-1 is green.", facts(okf("x.get", "", `{"name":"web-1","health":"green"}`)), Options{Statuses: [][]string{{"green", "healthy"}, {"red"}}}, true, "", ""},
		{"custom vocabulary unsupported", "web-1 is red.", facts(okf("x.get", "", `{"name":"web-1","health":"green"}`)), Options{Statuses: [][]string{{"green"}, {"red"}}}, false, KindStatus, "red"},
		{"allowed word is not a claim", "Steward is active.", facts(fWeb1), Options{Words: []string{"active"}}, true, "", ""},
		{"health retrieved", "web-1 is healthy:\n- reachability: ok (status running)\n- cpu: ok (38%)\n- disk: ok (47%)", facts(fHealthy), Options{}, true, "", ""},
		{"unhealthy retrieved", "staging-1 is NOT healthy:\n- reachability: fail (status stopped)\n- disk: ok (25%)", facts(fUnhealthy), Options{}, true, "", ""},
		{"health false", "staging-1 is healthy.", facts(fUnhealthy), Options{}, false, KindStatus, "healthy"},
		{"health of another server", "web-2 is healthy.", facts(fHealthy, okf("hosting.get_server", "", `{"name":"web-2","status":"running"}`)), Options{}, false, KindStatus, "healthy"},
	})
}

// AF-05: dates and times must be in the facts, for the thing they are
// said of.
func TestDates(t *testing.T) {
	runCases(t, []checkCase{
		{"iso", "blog.acme.test expires 2026-03-15.", facts(fCerts), Options{}, true, "", ""},
		{"changed", "blog.acme.test expires 2026-03-25.", facts(fCerts), Options{}, false, KindDate, "2026-03-25"},
		{"other item's date", "blog.acme.test expires 2026-05-09.", facts(fCerts), Options{}, false, KindDate, "2026-05-09"},
		{"month name", "blog.acme.test expires on March 15; shop.acme.test on 9 May 2026.", facts(fCerts), Options{}, true, "", ""},
		{"month name changed", "blog.acme.test expires on March 16.", facts(fCerts), Options{}, false, KindDate, "March"},
		{"may as a verb", "It may 7 times…", facts(fCerts), Options{}, false, KindNumber, "7"},
		{"timestamp", "Restarted at 2026-03-10T09:30:00Z.", facts(fRestart), Options{}, true, "", ""},
		{"time of day", "Restarted at 09:30 UTC.", facts(fRestart), Options{}, true, "", ""},
		{"time changed", "Restarted at 10:30 UTC.", facts(fRestart), Options{}, false, KindDate, "10:30"},
	})
}

// A failed call supports only its error; the user's request supports only
// names and dates.
func TestFailuresAndRequest(t *testing.T) {
	runCases(t, []checkCase{
		{"error content", "I couldn't restart staging-1: it is stopped.", facts(fFail), Options{}, true, "", ""},
		{"success claimed", "staging-1 has been restarted.", facts(fFail), Options{}, false, KindStatus, "restarted"},
		{"failed", "Restarting staging-1 failed.", facts(fFail), Options{}, true, "", ""},
		{"failure never happened", "Restarting web-1 failed.", facts(fRestart), Options{}, false, KindStatus, "failed"},
		{"args of a failure are no support", "The backup orders-9 is ready.", facts(failf("hosting.restore_database", `{"backup":"orders-9"}`, "not_found", "no such backup")), Options{}, false, KindIdentifier, "orders-9"},
		{"request echo of a name", "There is no server web-9 in the list.", facts(fServers), Options{Request: "show web-9"}, true, "", ""},
		{"no request, no echo", "There is no server web-9 in the list.", facts(fServers), Options{}, false, KindIdentifier, "web-9"},
		{"request is no status evidence", "Yes, web-1 is down.", facts(fWeb1), Options{Request: "is web-1 down?"}, false, KindStatus, "down"},
		{"request is no number evidence", "web-1 has 7 sites.", facts(fWeb1), Options{Request: "does web-1 have 7 sites?"}, false, KindCount, "7"},
	})
}

func TestEdges(t *testing.T) {
	if r := Check("", nil, Options{}); !r.Grounded || len(r.Violations) != 0 {
		t.Fatalf("empty text: %+v", r)
	}
	if r := Check("Hello! How can I help?", nil, Options{}); !r.Grounded {
		t.Fatalf("chit-chat: %+v", r)
	}
	if r := Check("web-1 is running.", nil, Options{}); r.Grounded {
		t.Fatal("no facts support nothing")
	}
	bad := session.Fact{Tool: "x.y", OK: true, Output: json.RawMessage(`{not json`), Args: json.RawMessage(`[1,2`)}
	if r := Check("web-1 has 3 sites.", facts(bad), Options{}); r.Grounded {
		t.Fatal("malformed output supports nothing")
	}
	// violations are reported once per kind and token, in text order
	r := Check("web-9 and web-9 and web-8", facts(fServers), Options{})
	if len(r.Violations) != 2 || r.Violations[0].Token != "web-9" || r.Violations[1].Token != "web-8" {
		t.Fatalf("dedupe/order: %v", r.Violations)
	}
	if s := r.Violations[0].String(); !strings.Contains(s, "web-9") {
		t.Fatalf("String() = %q", s)
	}
	// DefaultStatuses is a copy
	d := DefaultStatuses()
	d[0][0] = "mutated"
	if DefaultStatuses()[0][0] == "mutated" {
		t.Fatal("DefaultStatuses shares its backing arrays")
	}
}

// TestKnownBlindSpots pins what the check does NOT catch today (see
// docs/grounding.md, "Blind spots"). Each text below is a fabrication that
// passes; a change that makes one fail is an improvement — move it to the
// corpus as a planted fabrication and update the docs.
func TestKnownBlindSpots(t *testing.T) {
	cases := []struct {
		why   string
		text  string
		facts []session.Fact
	}{
		{"a plain-word name before its noun", "The payments database was dropped.", facts(fDrop)},
		{"a plain-word name outside a name slot", "Message m-7 sent to carol.", facts(okf("messaging.send_message", `{"to":"bob"}`, `{"id":"m-7","to":"bob","body":"hi"}`))},
		{"values swapped between items named by plain words", "- shop A 203.0.113.20\n- blog A 203.0.113.10", facts(fRecords)},
		{"a host name composed of two supported names", "www is a CNAME for blog.acme.test.", facts(fRecords)},
		{"synonyms share a group", "analytics was dropped and its backups were deleted.", facts(fDrop)},
		{"relative dates", "The backup was taken yesterday.", facts(okf("hosting.backup_database", "", `{"backup":"orders-2","created":"2026-03-10T09:30:00Z"}`))},
		{"an unkeyed number present elsewhere", "staging-1 has been down for 25 minutes.", facts(okf("hosting.server_metrics", "", `{"server":"staging-1","status":"stopped","cpu":0,"memory":0,"disk":25}`))},
		{"future and conditional statements", "web-1 will be down for an hour tonight.", facts(fWeb1)},
		{"status words outside the vocabulary", "web-1 is dead.", facts(fWeb1)},
	}
	for _, c := range cases {
		if r := Check(c.text, c.facts, Options{}); !r.Grounded {
			t.Errorf("blind spot closed (%s): %q now gives %v — move it to the corpus and update docs/grounding.md", c.why, c.text, r.Violations)
		}
	}
}

// Check is safe for concurrent use: the same inputs give the same result
// from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	cases := loadCorpus(t)
	want := make([]Result, len(cases))
	for i, c := range cases {
		want[i] = Check(c.Text, c.sessionFacts(), Options{Request: c.Request})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, c := range cases {
				got := Check(c.Text, c.sessionFacts(), Options{Request: c.Request})
				if fmt.Sprint(got) != fmt.Sprint(want[i]) {
					errs <- c.ID
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for id := range errs {
		t.Errorf("%s: different result under concurrency", id)
	}
}

// TestLongTextStaysLinear guards against a rule that rescans its clause
// for every claim: 40 KB of one unpunctuated clause took 20 s when that
// happened; linear work takes tens of milliseconds (far more under -race).
func TestLongTextStaysLinear(t *testing.T) {
	fs := facts(fServers, fMetrics, fCerts, fTasks, fZone, fFail, fDBs)
	start := time.Now()
	for _, unit := range []string{
		"web-1 running 38 CPU web-2 stopped 47 disk all servers done 3 tasks pending ",
		"Databases: orders, analytics, payments, ",
		"1 2 3 4 5 6 7 8 9 ",
		"done complete finished ",
		"db-1, web-1, web-2 and ",
	} {
		Check(strings.Repeat(unit, 40000/len(unit)), fs, Options{})
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("200 KB took %v: some rule is super-linear", d)
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"web-1: CPU 38%, memory 61%.", "1,240 MB (-3 days) 2026-03-15T09:30:00Z 10:00", "\"quoted\" `x` (s)", "Dec 1, 2026 — 5 of 4 servers are not up", "—-–%%(((", "T-3's"} {
		f.Add(s)
	}
	fs := facts(fServers, fMetrics, fCerts, fTasks, fZone, fFail)
	f.Fuzz(func(t *testing.T, text string) {
		r := Check(text, fs, Options{Request: text})
		if r.Grounded != (len(r.Violations) == 0) {
			t.Fatal("Grounded disagrees with Violations")
		}
		for _, v := range r.Violations {
			if v.Offset < 0 || v.Offset+len(v.Token) > len(text) {
				t.Fatalf("offset out of range: %+v", v)
			}
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	w := newWorld(b, "acme", "alice", 0)
	short := w.call("hosting.server_metrics", `{"server":"web-1"}`)
	list := w.call("hosting.list_servers", "")
	zone := w.call("hosting.export_zone", `{"zone":"acme.test"}`)
	wc := newWorld(b, "acme", "carol", 0)
	for _, title := range manyTitles {
		wc.call("tasks.create_task", `{"title":"`+title+`"}`)
	}
	many := wc.call("tasks.list_tasks", "")
	for _, bc := range []struct {
		name string
		f    session.Fact
	}{{"metrics", short}, {"list_servers", list}, {"export_zone", zone}, {"36_tasks", many}} {
		text := w.narrate(bc.f)
		fs := []session.Fact{bc.f}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				Check(text, fs, Options{})
			}
		})
	}
	worst := strings.Repeat("web-1 running 38 CPU web-2 stopped 47 disk all servers done 3 tasks pending ", 500)
	b.Run("40KB_one_clause", func(b *testing.B) {
		fs := []session.Fact{short, list, zone, many}
		b.ReportAllocs()
		b.SetBytes(int64(len(worst)))
		for b.Loop() {
			Check(worst, fs, Options{})
		}
	})
	turn := []session.Fact{short, list, zone}
	text := w.narrate(short) + "\n" + w.narrate(list)
	b.Run("turn_of_3_facts", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Check(text, turn, Options{})
		}
	})
}
