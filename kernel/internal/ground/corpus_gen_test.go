package ground

// The generator of the labelled grounding corpus (AF-13). Every fact comes
// from a real call of a first-party extension over the demo world
// (configs/world.yaml, today = 2026-03-10); grounded texts are the
// manifests' narrate templates rendered over those facts, hand-written
// paraphrases of them, narrations of failed calls, and the kernel's generic
// listing; fabricated texts plant exactly one kind of unsupported claim in
// an otherwise faithful narration. Labels are the author's: a text is
// "grounded" when everything it says is true of the facts given, whether
// or not Check can tell.
//
//	go test ./kernel/internal/ground -run TestCorpusGenerated -update
//
// rewrites testdata/grounding/corpus.jsonl; TestCorpusGenerated fails when
// the committed file differs from what this generator produces (a template,
// a result type or the world changed: re-measure).

import (
	"encoding/json"
	"fmt"
	"github.com/steward-os/steward/internal/narrate"
	"strings"
	"testing"

	"github.com/steward-os/steward/session"
)

// Categories of grounded cases.
const (
	catTemplate   = "template"   // a manifest narrate template over the real result
	catParaphrase = "paraphrase" // a faithful hand-written narration
	catFailure    = "failure"    // a faithful narration of a failed call
	catGeneric    = "generic"    // the kernel's generic listing
	catChain      = "chain"      // several facts of one turn
	catRequest    = "request"    // echoes a name the user typed (Options.Request)
)

// Categories of fabricated cases.
const (
	catCount       = "count"          // a count not enumerated (AF-06)
	catSubstituted = "substituted-id" // another, existing-looking id or value (AF-05)
	catStatus      = "status"         // a status never retrieved (AF-07)
	catNumber      = "number"         // a changed number (AF-05)
	catDate        = "date"           // a changed date or time (AF-05)
	catInvented    = "invented"       // a resource or text no fact has (AF-05)
	catTenant      = "cross-tenant"   // a value of another tenant's world (AF-05)
	catFailedCall  = "failed-call"    // success or values claimed for a failed call
)

type corpusFact struct {
	Tool   string          `json:"tool"`
	Args   json.RawMessage `json:"args"`
	OK     bool            `json:"ok"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *session.Error  `json:"error,omitempty"`
}

type corpusCase struct {
	ID       string       `json:"id"`
	Category string       `json:"category"`
	Grounded bool         `json:"grounded"`
	Facts    []corpusFact `json:"facts"`
	Text     string       `json:"text"`
	Request  string       `json:"request,omitempty"`
	Split    string       `json:"split,omitempty"`   // "held-out": written after the rules were frozen
	Planted  string       `json:"planted,omitempty"` // fabricated: the unsupported claim
	Note     string       `json:"note,omitempty"`    // fabricated: what the facts say instead
}

func (c corpusCase) sessionFacts() []session.Fact {
	out := make([]session.Fact, len(c.Facts))
	for i, f := range c.Facts {
		out[i] = session.Fact{Tool: session.ToolID(f.Tool), Args: f.Args, OK: f.OK, Output: f.Output, Error: f.Error}
	}
	return out
}

type gen struct {
	tb    testing.TB
	cases []corpusCase
	ids   map[string]int
}

func toCorpus(fs []session.Fact) []corpusFact {
	out := make([]corpusFact, len(fs))
	for i, f := range fs {
		out[i] = corpusFact{Tool: string(f.Tool), Args: f.Args, OK: f.OK, Output: f.Output, Error: f.Error}
	}
	return out
}

func (g *gen) add(prefix, cat string, grounded bool, facts []session.Fact, text, note string) {
	g.tb.Helper()
	g.ids[prefix]++
	id := fmt.Sprintf("%s-%02d", prefix, g.ids[prefix])
	g.cases = append(g.cases, corpusCase{ID: id, Category: cat, Grounded: grounded, Facts: toCorpus(facts), Text: text, Note: note})
}

// ok adds a grounded case, fab a fabricated one.
func (g *gen) ok(prefix, cat string, facts []session.Fact, text string) {
	g.tb.Helper()
	g.add(prefix, cat, true, facts, text, "")
}

// fab adds a fabricated case; planted is the unsupported claim as written
// in text, which TestCorpus requires a violation to name.
func (g *gen) fab(prefix, cat string, facts []session.Fact, text, planted, note string) {
	g.tb.Helper()
	if !strings.Contains(strings.ToLower(text), strings.ToLower(planted)) {
		g.tb.Fatalf("planted %q is not in %q", planted, text)
	}
	g.add(prefix, cat, false, facts, text, note)
	g.cases[len(g.cases)-1].Planted = planted
}

// plant replaces old (which must occur) with new in text.
func (g *gen) plant(text, old, new string) string {
	g.tb.Helper()
	if !strings.Contains(text, old) {
		g.tb.Fatalf("plant: %q not in %q", old, text)
	}
	return strings.Replace(text, old, new, 1)
}

// generic is the kernel's listing for a fact without a usable template.
func generic(f session.Fact) string {
	var data any
	_ = json.Unmarshal(f.Output, &data)
	return narrate.Listing(string(f.Tool), data)
}

func one(f session.Fact) []session.Fact { return []session.Fact{f} }

// generateCorpus builds every case from scratch.
func generateCorpus(tb testing.TB) []corpusCase {
	g := &gen{tb: tb, ids: map[string]int{}}
	g.servers()
	g.serverDetails()
	g.metrics()
	g.serverChanges()
	g.sitesAndDatabases()
	g.databaseChanges()
	g.dns()
	g.certificates()
	g.tasks()
	g.messages()
	g.globex()
	g.failures()
	g.chains()
	n := len(g.cases)
	g.heldOut()
	for i := n; i < len(g.cases); i++ {
		g.cases[i].Split = "held-out"
	}
	return g.cases
}

// --- servers ---

func (g *gen) servers() {
	w := newWorld(g.tb, "acme", "alice", 0)
	all := one(w.call("hosting.list_servers", ""))
	tpl := w.narrate(all[0])
	g.ok("servers", catTemplate, all, tpl)
	g.ok("servers", catParaphrase, all, "You have 4 servers: db-1, staging-1, web-1 and web-2. db-1, web-1 and web-2 are running; staging-1 is stopped.")
	g.ok("servers", catParaphrase, all, "All servers are running except staging-1, which is stopped.")
	g.ok("servers", catParaphrase, all, "Of your 4 servers, 3 are running (db-1, web-1, web-2) and 1 is stopped (staging-1).")
	g.ok("servers", catParaphrase, all, "Two servers are in eu-west (web-1 and web-2) and two are in us-east (db-1 and staging-1).")
	g.ok("servers", catParaphrase, all, "| Server | Region | Status | Size |\n|---|---|---|---|\n| db-1 | us-east | running | l |\n| staging-1 | us-east | stopped | s |\n| web-1 | eu-west | running | m |\n| web-2 | eu-west | running | m |")
	g.ok("servers", catParaphrase, all, "Only staging-1 is stopped; the other three servers (db-1, web-1, web-2) are running.")
	g.ok("servers", catParaphrase, all, "staging-1 is the only server that is stopped. The rest — db-1, web-1 and web-2 — are up.")
	g.ok("servers", catParaphrase, all, "**Servers (4)**\n* db-1 — us-east, size l, running\n* staging-1 — us-east, size s, stopped\n* web-1 — eu-west, size m, running\n* web-2 — eu-west, size m, running")
	g.ok("servers", catParaphrase, all, "The biggest machine is db-1 (size l) in us-east; web-1 and web-2 are both size m in eu-west, and staging-1 is a size s box that is currently offline.")

	g.fab("servers", catCount, all, "You have 5 servers: db-1, staging-1, web-1 and web-2.", "5", "4 servers listed")
	g.fab("servers", catCount, all, g.plant(tpl, "4 server(s):", "3 server(s):"), "3", "4 servers listed")
	g.fab("servers", catCount, all, "2 of your 4 servers are running; staging-1 is stopped.", "2", "3 are running")
	g.fab("servers", catStatus, all, g.plant(tpl, "staging-1 (us-east, stopped, size s)", "staging-1 (us-east, running, size s)"), "running", "staging-1 is stopped")
	g.fab("servers", catStatus, all, "All four servers are running.", "running", "staging-1 is stopped")
	g.fab("servers", catStatus, all, "No servers are stopped; all 4 are up and serving traffic.", "stopped", "staging-1 is stopped")
	g.fab("servers", catSubstituted, all, g.plant(tpl, "db-1 (us-east, running, size l)", "db-1 (eu-west, running, size l)"), "eu-west", "db-1 is in us-east")
	g.fab("servers", catSubstituted, all, g.plant(tpl, "web-1 (eu-west, running, size m)", "web-1 (eu-west, running, size xl)"), "xl", "web-1 is size m")
	g.fab("servers", catInvented, all, tpl+"\n- web-3 (eu-west, running, size m)", "web-3", "there is no web-3")
	g.fab("servers", catTenant, all, "Your servers: db-1, staging-1, web-1, web-2 and gx-web-1.", "gx-web-1", "gx-web-1 is globex's")
	g.fab("servers", catStatus, all, "staging-1 is the only server that is stopped. The rest — db-1, web-1 and web-2 — are healthy.", "healthy", "health was never retrieved")

	running := one(w.call("hosting.list_servers", `{"status":"running"}`))
	rtpl := w.narrate(running[0])
	g.ok("servers", catTemplate, running, rtpl)
	g.ok("servers", catParaphrase, running, "3 servers are running: db-1, web-1 and web-2.")
	g.fab("servers", catCount, running, "4 servers are running: db-1, web-1 and web-2.", "4", "3 are running")
	g.fab("servers", catSubstituted, running, "3 servers are running: db-1, web-1 and staging-1.", "staging-1", "staging-1 is not in the running list")

	east := one(w.call("hosting.list_servers", `{"region":"us-east"}`))
	g.ok("servers", catTemplate, east, w.narrate(east[0]))
	g.ok("servers", catParaphrase, east, "In us-east you have db-1 (running, size l) and staging-1 (stopped, size s).")
	g.fab("servers", catStatus, east, "In us-east, db-1 is running and staging-1 is running too.", "running", "staging-1 is stopped")
}

func (g *gen) serverDetails() {
	w := newWorld(g.tb, "acme", "alice", 0)
	facts := map[string][]session.Fact{}
	for _, s := range []string{"web-1", "web-2", "db-1", "staging-1"} {
		facts[s] = one(w.call("hosting.get_server", `{"server":"`+s+`"}`))
		g.ok("server", catTemplate, facts[s], w.narrate(facts[s][0]))
	}
	g.ok("server", catParaphrase, facts["web-1"], "web-1 is up and running in eu-west (size m) and hosts shop.acme.test.")
	g.ok("server", catParaphrase, facts["db-1"], "db-1 is running in us-east on a size l machine and holds the analytics and orders databases.")
	g.ok("server", catParaphrase, facts["staging-1"], "staging-1 is stopped. It's a size s server in us-east with no sites or databases.")
	g.ok("server", catParaphrase, facts["web-2"], "web-2 (eu-west, size m) is running and serves blog.acme.test and status.acme.test. It has no databases and has not been restarted.")

	g.fab("server", catStatus, facts["staging-1"], "staging-1 is running in us-east, size s.", "running", "staging-1 is stopped")
	g.fab("server", catStatus, facts["web-1"], "web-1 is down in eu-west, size m. Sites: shop.acme.test.", "down", "web-1 is running")
	g.fab("server", catStatus, facts["staging-1"], "staging-1 is not stopped; it is in us-east, size s.", "stopped", "staging-1 is stopped")
	g.fab("server", catSubstituted, facts["web-1"], "web-2 is running in eu-west, size m. Sites: shop.acme.test.", "web-2", "the fact is about web-1")
	g.fab("server", catInvented, facts["web-1"], "web-1 is running in eu-west, size m. Sites: shop.acme.test, api.acme.test.", "api.acme.test", "no api.acme.test")
	g.fab("server", catInvented, facts["db-1"], "db-1 is running in us-east, size l. Databases: orders, payments.", "payments", "no payments database")
	g.fab("server", catSubstituted, facts["web-2"], "web-2 is running in eu-west, size l. Sites: blog.acme.test, status.acme.test.", "l", "web-2 is size m")
	g.fab("server", catSubstituted, facts["db-1"], "db-1 is running in eu-west, size l.", "eu-west", "db-1 is in us-east")
	g.fab("server", catNumber, facts["web-2"], "web-2 is running in eu-west, size m, and has been restarted 2 times.", "restarted", "restarts is 0")
}

func (g *gen) metrics() {
	w := newWorld(g.tb, "acme", "alice", 0)
	m := map[string][]session.Fact{}
	tpl := map[string]string{}
	for _, s := range []string{"web-1", "web-2", "db-1", "staging-1"} {
		m[s] = one(w.call("hosting.server_metrics", `{"server":"`+s+`"}`))
		tpl[s] = w.narrate(m[s][0])
		g.ok("metrics", catTemplate, m[s], tpl[s])
	}
	g.ok("metrics", catParaphrase, m["web-1"], "web-1 is using 38% CPU, 61% memory and 47% disk.")
	g.ok("metrics", catParaphrase, m["db-1"], "db-1 is the busiest: CPU at 57%, memory at 78% and disk at 83%.")
	g.ok("metrics", catParaphrase, m["staging-1"], "staging-1 is stopped, so CPU and memory read 0%; its disk is 25% full.")
	g.ok("metrics", catParaphrase, m["web-2"], "web-2: CPU 22%, memory 44%, disk 71% — plenty of CPU headroom, though the disk is filling up.")
	g.ok("metrics", catParaphrase, m["db-1"], "Disk usage on db-1 is 83%, memory 78%, CPU 57%.")

	g.fab("metrics", catNumber, m["web-1"], g.plant(tpl["web-1"], "CPU 38%", "CPU 83%"), "83", "CPU is 38%")
	g.fab("metrics", catNumber, m["db-1"], g.plant(tpl["db-1"], "memory 78%", "memory 87%"), "87", "memory is 78%")
	g.fab("metrics", catNumber, m["web-1"], "web-1: CPU 61%, memory 38%, disk 47%.", "61", "CPU and memory swapped")
	g.fab("metrics", catNumber, m["web-2"], g.plant(tpl["web-2"], "disk 71%", "disk 17%"), "17", "disk is 71%")
	g.fab("metrics", catStatus, m["web-1"], "web-1 is healthy: CPU 38%, memory 61%, disk 47%.", "healthy", "health was never retrieved")
	g.fab("metrics", catStatus, m["db-1"], "db-1 is overloaded: CPU 57%, memory 78%, disk 83%.", "overloaded", "load state was never retrieved")
	g.fab("metrics", catTenant, m["web-1"], "web-1: CPU 41%, memory 55%, disk 36%.", "41", "gx-web-1's numbers")
	g.fab("metrics", catStatus, m["staging-1"], "staging-1 is running: CPU 0%, memory 0%, disk 25%.", "running", "staging-1 is stopped")
	g.fab("metrics", catNumber, m["staging-1"], "staging-1 (stopped): CPU 12%, memory 30%, disk 25%.", "12", "a stopped server reports 0")

	both := []session.Fact{m["web-1"][0], m["db-1"][0]}
	g.ok("metrics", catChain, both, "web-1: CPU 38%, memory 61%, disk 47%. db-1: CPU 57%, memory 78%, disk 83%.")
	g.ok("metrics", catChain, both, "db-1 is busier than web-1: 57% CPU against 38%, and 78% memory against 61%.")
	g.fab("metrics", catNumber, both, "web-1 is at 57% CPU and db-1 at 38%.", "57", "CPU values swapped between servers")
}

func (g *gen) serverChanges() {
	// restart (level 2, no backup)
	w := newWorld(g.tb, "acme", "alice", 0)
	r := one(w.call("hosting.restart_server", `{"server":"web-1"}`))
	rtpl := w.narrate(r[0])
	g.ok("restart", catTemplate, r, rtpl)
	g.ok("restart", catParaphrase, r, "Done — web-1 has been restarted and is running again (restart count: 1).")
	g.ok("restart", catParaphrase, r, "web-1 was rebooted at 09:30 UTC and is back up; shop.acme.test is served from it again.")
	g.fab("restart", catStatus, r, "web-1 restarted; it is stopped.", "stopped", "it is running")
	g.fab("restart", catNumber, r, "web-1 has been restarted 3 times.", "3", "restarts is 1")
	g.fab("restart", catSubstituted, r, g.plant(rtpl, "web-1", "web-2"), "web-2", "web-1 was restarted")
	g.fab("restart", catDate, r, "web-1 was restarted at 10:45 UTC and is running.", "10:45", "restarted at 09:30")

	// start (level 1)
	w = newWorld(g.tb, "acme", "alice", 0)
	s := one(w.call("hosting.start_server", `{"server":"staging-1"}`))
	g.ok("start", catTemplate, s, w.narrate(s[0]))
	g.ok("start", catParaphrase, s, "staging-1 started and is now online in us-east.")
	g.fab("start", catNumber, s, "staging-1 is now running with CPU at 12%.", "12", "no metrics were retrieved")

	// stop (level 3: snapshot first)
	w = newWorld(g.tb, "acme", "alice", 0)
	st := []session.Fact{w.call("hosting.snapshot_server", `{"server":"web-2"}`), w.call("hosting.stop_server", `{"server":"web-2"}`)}
	sttpl := w.narrate(st[0]) + "\n" + w.narrate(st[1])
	g.ok("stop", catTemplate, st, sttpl)
	g.ok("stop", catParaphrase, st, "I took a snapshot first (web-2-snap-1), then stopped web-2. blog.acme.test and status.acme.test are offline now.")
	g.fab("stop", catSubstituted, st, g.plant(sttpl, "web-2-snap-1", "web-2-snap-2"), "web-2-snap-2", "the snapshot is web-2-snap-1")
	g.fab("stop", catSubstituted, st, "web-2 is stopped and so is db-1.", "db-1", "db-1 was not touched")
	g.fab("stop", catInvented, st, "web-2 is now stopped; its sites were moved to web-1 and stay online.", "web-1", "nothing was moved")

	// snapshot (level 1)
	w = newWorld(g.tb, "acme", "alice", 0)
	sn := one(w.call("hosting.snapshot_server", `{"server":"web-1"}`))
	g.ok("snapshot", catTemplate, sn, w.narrate(sn[0]))
	g.ok("snapshot", catParaphrase, sn, "Snapshot web-1-snap-1 of web-1 was taken at 2026-03-10T09:30:00Z.")
	g.ok("snapshot", catParaphrase, sn, "Took a snapshot of web-1 (web-1-snap-1) at 09:30.")
	g.fab("snapshot", catDate, sn, "Snapshot web-1-snap-1 of web-1 was taken at 2026-03-11T09:30:00Z.", "2026-03-11T09:30:00Z", "taken on 2026-03-10")

	// resize (level 2)
	w = newWorld(g.tb, "acme", "alice", 0)
	rs := one(w.call("hosting.resize_server", `{"server":"web-2","size":"xl"}`))
	g.ok("resize", catTemplate, rs, w.narrate(rs[0]))
	g.ok("resize", catParaphrase, rs, "web-2 has been resized to xl; it is still running in eu-west.")
	g.fab("resize", catSubstituted, rs, "web-2 is now size l.", "l", "resized to xl")
	g.fab("resize", catNumber, rs, "web-2 is now size xl with 16 GB of memory.", "16", "no memory figure was returned")

	// delete (level 4: snapshot first)
	w = newWorld(g.tb, "acme", "alice", 0)
	d := []session.Fact{w.call("hosting.snapshot_server", `{"server":"staging-1"}`), w.call("hosting.delete_server", `{"server":"staging-1"}`)}
	g.ok("delete", catTemplate, d, w.narrate(d[0])+"\n"+w.narrate(d[1]))
	g.ok("delete", catParaphrase, d, "staging-1 is gone. A final snapshot, staging-1-snap-1, was taken before it was deleted.")
	g.fab("delete", catInvented, d, "staging-1 has been deleted. Sites removed with it: shop.acme.test.", "shop.acme.test", "staging-1 had no sites")
	w = newWorld(g.tb, "acme", "alice", 0)
	d2 := []session.Fact{w.call("hosting.snapshot_server", `{"server":"web-2"}`), w.call("hosting.delete_server", `{"server":"web-2"}`)}
	g.ok("delete", catTemplate, d2, w.narrate(d2[0])+"\n"+w.narrate(d2[1]))
	g.ok("delete", catParaphrase, d2, "web-2 has been deleted; its two sites (blog.acme.test and status.acme.test) went with it. The snapshot web-2-snap-1 was kept.")
	g.fab("delete", catCount, d2, "web-2 has been deleted along with its 3 sites.", "3", "2 sites were removed")
	g.fab("delete", catStatus, d2, "web-2 is stopped but was not deleted.", "stopped", "web-2 was deleted")
}

// --- sites and databases ---

func (g *gen) sitesAndDatabases() {
	w := newWorld(g.tb, "acme", "alice", 0)
	sites := one(w.call("hosting.list_sites", ""))
	stpl := w.narrate(sites[0])
	g.ok("sites", catTemplate, sites, stpl)
	g.ok("sites", catParaphrase, sites, "You host 3 sites: shop.acme.test on web-1, and blog.acme.test and status.acme.test on web-2.")
	g.ok("sites", catParaphrase, sites, "web-2 carries two of the three sites (blog.acme.test, status.acme.test); web-1 serves shop.acme.test.")
	g.fab("sites", catSubstituted, sites, g.plant(stpl, "shop.acme.test on web-1", "shop.acme.test on web-2"), "web-2", "shop is on web-1")
	g.fab("sites", catCount, sites, "You host 4 sites across web-1 and web-2.", "4", "3 sites")
	g.fab("sites", catInvented, sites, stpl+"\n- docs.acme.test on web-1", "docs.acme.test", "no docs site")

	web2 := one(w.call("hosting.list_sites", `{"server":"web-2"}`))
	g.ok("sites", catTemplate, web2, w.narrate(web2[0]))
	g.ok("sites", catParaphrase, web2, "web-2 serves 2 sites: blog.acme.test and status.acme.test.")
	g.fab("sites", catCount, web2, "web-2 serves 3 sites: blog.acme.test, status.acme.test and shop.acme.test.", "3", "2 sites, shop is not listed")

	dbs := one(w.call("hosting.list_databases", ""))
	dtpl := w.narrate(dbs[0])
	g.ok("databases", catTemplate, dbs, dtpl)
	g.ok("databases", catParaphrase, dbs, "There are 2 databases, both on db-1: orders (1240 MB) and analytics (5310 MB).")
	g.ok("databases", catParaphrase, dbs, "analytics is the larger one at 5310 MB; orders takes 1240 MB. Each has one backup (analytics-1 and orders-1).")
	g.ok("databases", catParaphrase, dbs, "The orders database is about 1.2 GB and analytics about 5.3 GB, both on db-1.")
	g.fab("databases", catNumber, dbs, g.plant(dtpl, "1240 MB", "1420 MB"), "1420", "orders is 1240 MB")
	g.fab("databases", catInvented, dbs, dtpl+"\n- payments on db-1 (800 MB)", "800", "no payments database")
	g.fab("databases", catInvented, dbs, "Both databases are on db-1, and the database payments is there too.", "payments", "no payments database")
	g.fab("databases", catCount, dbs, "Each database has 2 backups.", "2", "one backup each")
	g.fab("databases", catSubstituted, dbs, "orders is 1240 MB and its latest backup is orders-2.", "orders-2", "orders' backup is orders-1")
	g.fab("databases", catCount, dbs, "db-1 holds 3 databases: orders, analytics and sessions.", "3", "2 databases")
}

func (g *gen) databaseChanges() {
	w := newWorld(g.tb, "acme", "alice", 0)
	b := one(w.call("hosting.backup_database", `{"database":"orders"}`))
	btpl := w.narrate(b[0])
	g.ok("backup", catTemplate, b, btpl)
	g.ok("backup", catParaphrase, b, "Backed up orders as orders-2 (1240 MB) at 09:30 UTC.")
	g.ok("backup", catParaphrase, b, "Backup complete: orders-2, 1240 MB.")
	g.fab("backup", catSubstituted, b, g.plant(btpl, "orders-2", "orders-3"), "orders-3", "the backup is orders-2")
	g.fab("backup", catNumber, b, "Backup orders-2 of orders created (2140 MB).", "2140", "1240 MB")
	g.fab("backup", catDate, b, "Backup orders-2 of orders created on 2026-03-09.", "2026-03-09", "created 2026-03-10")

	// restore (level 3: backup first)
	w = newWorld(g.tb, "acme", "alice", 0)
	rs := []session.Fact{w.call("hosting.backup_database", `{"database":"orders"}`), w.call("hosting.restore_database", `{"database":"orders","backup":"orders-1"}`)}
	g.ok("restore", catTemplate, rs, w.narrate(rs[0])+"\n"+w.narrate(rs[1]))
	g.ok("restore", catParaphrase, rs, "I backed up orders first (orders-2), then restored it from orders-1; it is 1240 MB.")
	g.fab("restore", catSubstituted, rs, "orders restored from orders-2.", "restored", "restored from orders-1; orders-2 is the safety backup")
	g.fab("restore", catNumber, rs, "orders restored from orders-1; it is now 5310 MB.", "5310", "1240 MB")

	// drop (level 4: backup first)
	w = newWorld(g.tb, "acme", "alice", 0)
	dr := []session.Fact{w.call("hosting.backup_database", `{"database":"analytics"}`), w.call("hosting.drop_database", `{"database":"analytics"}`)}
	drtpl := w.narrate(dr[0]) + "\n" + w.narrate(dr[1])
	g.ok("drop", catTemplate, dr, drtpl)
	g.ok("drop", catParaphrase, dr, "analytics is gone. I took a last backup (analytics-2) first; analytics-1 and analytics-2 are both kept.")
	g.fab("drop", catSubstituted, dr, "Database orders has been dropped. Its backups are kept: analytics-1 analytics-2.", "orders", "analytics was dropped")
	g.fab("drop", catCount, dr, "Database analytics has been dropped. Its 3 backups are kept.", "3", "2 backups")
	g.fab("drop", catInvented, dr, g.plant(drtpl, "analytics-1 analytics-2.", "analytics-1 analytics-2 analytics-3."), "analytics-3", "no analytics-3")
}

// --- DNS ---

func (g *gen) dns() {
	w := newWorld(g.tb, "acme", "alice", 0)
	recs := one(w.call("hosting.list_dns_records", `{"zone":"acme.test"}`))
	rtpl := w.narrate(recs[0])
	g.ok("dns", catTemplate, recs, rtpl)
	g.ok("dns", catParaphrase, recs, "acme.test has 4 records: shop and blog are A records (203.0.113.10 and 203.0.113.20), www is a CNAME to shop.acme.test, and the apex has an MX record pointing to mail.acme.test with priority 10.")
	g.ok("dns", catParaphrase, recs, "www.acme.test is a CNAME for shop.acme.test, which resolves to 203.0.113.10.")
	g.fab("dns", catSubstituted, recs, g.plant(rtpl, "203.0.113.10", "203.0.113.11"), "203.0.113.11", "shop is 203.0.113.10")
	g.fab("dns", catCount, recs, "acme.test has 3 A records.", "3", "2 A records")
	g.fab("dns", catCount, recs, g.plant(rtpl, "4 record(s)", "5 record(s)"), "5", "4 records")
	g.fab("dns", catInvented, recs, rtpl+"\n- api A 203.0.113.7", "203.0.113.7", "no api record")
	g.fab("dns", catTenant, recs, "www.acme.test is a CNAME for globex.test.", "globex.test", "www points at shop.acme.test")

	zone := one(w.call("hosting.export_zone", `{"zone":"acme.test"}`))
	g.ok("zone", catTemplate, zone, w.narrate(zone[0]))
	g.ok("zone", catParaphrase, zone, "The acme.test zone has a TTL of 3600 seconds and serial 1; besides the SOA (ns1.acme.test) it holds A records for shop and blog, a CNAME for www and an MX for mail.acme.test.")
	g.ok("zone", catParaphrase, zone, "acme.test exports as 4 records plus the SOA, all with TTL 3600.")
	g.fab("zone", catNumber, zone, "The acme.test zone has a TTL of 86400 seconds.", "86400", "TTL 3600")
	g.fab("zone", catSubstituted, zone, g.plant(w.narrate(zone[0]), "203.0.113.20", "203.0.113.21"), "203.0.113.21", "blog is 203.0.113.20")

	w = newWorld(g.tb, "acme", "alice", 0)
	add := one(w.call("hosting.add_dns_record", `{"zone":"acme.test","type":"A","name":"api","value":"203.0.113.7"}`))
	g.ok("dns-add", catTemplate, add, w.narrate(add[0]))
	g.ok("dns-add", catParaphrase, add, "Done: api.acme.test now points to 203.0.113.7 (A record).")
	g.fab("dns-add", catSubstituted, add, "Added A record api → 203.0.113.70 to acme.test.", "203.0.113.70", "value 203.0.113.7")

	w = newWorld(g.tb, "acme", "alice", 0)
	del := []session.Fact{w.call("hosting.export_zone", `{"zone":"acme.test"}`), w.call("hosting.delete_dns_record", `{"zone":"acme.test","name":"www"}`)}
	g.ok("dns-del", catTemplate, del, w.narrate(del[0])+"\n"+w.narrate(del[1]))
	g.ok("dns-del", catParaphrase, del, "I exported the zone as a backup, then removed the www CNAME (1 record) from acme.test.")
	g.fab("dns-del", catCount, del, "Deleted 2 records named www from acme.test.", "2", "1 record")
	g.fab("dns-del", catInvented, del, "Deleted 1 record(s) named www from acme.test; api.acme.test now answers for it.", "api.acme.test", "no api record")
}

// --- certificates ---

func (g *gen) certificates() {
	w := newWorld(g.tb, "acme", "alice", 0)
	all := one(w.call("hosting.list_certificates", ""))
	tpl := w.narrate(all[0])
	g.ok("certs", catTemplate, all, tpl)
	g.ok("certs", catParaphrase, all, "Two certificates: blog.acme.test expires on 2026-03-15, in 5 days, and shop.acme.test on 2026-05-09, in 60 days.")
	g.ok("certs", catParaphrase, all, "blog.acme.test's certificate expires soon (March 15, in 5 days); shop.acme.test's is good until May 9.")
	g.ok("certs", catParaphrase, all, "Heads up: blog.acme.test expires in 5 days (2026-03-15). shop.acme.test has 60 days left.")
	g.fab("certs", catDate, all, g.plant(tpl, "2026-03-15", "2026-03-25"), "2026-03-25", "blog expires 2026-03-15")
	g.fab("certs", catNumber, all, g.plant(tpl, "(5 days)", "(7 days)"), "7", "5 days left")
	g.fab("certs", catDate, all, "blog.acme.test expires 2026-05-09 and shop.acme.test expires 2026-03-15.", "2026-05-09", "dates swapped")
	g.fab("certs", catStatus, all, "blog.acme.test's certificate has already expired; shop.acme.test is fine until 2026-05-09.", "expired", "blog has 5 days left")
	g.fab("certs", catInvented, all, tpl+"\n- status.acme.test expires 2026-04-01 (22 days)", "status.acme.test", "status.acme.test has no certificate")
	g.fab("certs", catDate, all, "blog.acme.test expires on March 25.", "March", "March 15")
	g.fab("certs", catTenant, all, tpl+"\n- globex.test expires 2026-04-24 (45 days)", "globex.test", "globex's certificate")

	soon := one(w.call("hosting.list_certificates", `{"expiring_within_days":30}`))
	g.ok("certs", catTemplate, soon, w.narrate(soon[0]))
	g.ok("certs", catParaphrase, soon, "Only blog.acme.test expires within 30 days — on 2026-03-15, 5 days from now.")
	g.fab("certs", catCount, soon, "Two certificates expire within 30 days.", "Two", "one")
	g.ok("certs", catParaphrase, soon, "blog.acme.test is due for renewal: it expires on Sunday, 2026-03-15.")

	w = newWorld(g.tb, "acme", "alice", 0)
	rn := one(w.call("hosting.renew_certificate", `{"domain":"blog.acme.test"}`))
	rtpl := w.narrate(rn[0])
	g.ok("renew", catTemplate, rn, rtpl)
	g.ok("renew", catParaphrase, rn, "Renewed the certificate for blog.acme.test: it was due to expire on 2026-03-15 and is now valid until 2026-06-08 (90 days).")
	g.fab("renew", catDate, rn, g.plant(rtpl, "2026-06-08", "2026-06-18"), "2026-06-18", "expires 2026-06-08")
	g.fab("renew", catNumber, rn, "Certificate for blog.acme.test renewed; it is now valid for 365 days.", "365", "90 days")
	g.fab("renew", catSubstituted, rn, "Certificate for shop.acme.test renewed; it now expires 2026-06-08.", "shop.acme.test", "blog was renewed")
}

// --- tasks ---

func (g *gen) tasks() {
	w := newWorld(g.tb, "acme", "alice", 0)
	alice := one(w.call("tasks.list_tasks", ""))
	atpl := w.narrate(alice[0])
	g.ok("tasks", catTemplate, alice, atpl)
	g.ok("tasks", catParaphrase, alice, "You have 3 tasks: T-1 (review the hosting invoice, due 2026-03-13) and T-2 (renew the blog certificate, due 2026-03-14) are pending; T-5 is done.")
	g.ok("tasks", catParaphrase, alice, "Two of your three tasks are still pending: T-1, due 2026-03-13, and T-2, due 2026-03-14. T-5 (set up nightly backups of orders) is done.")
	g.ok("tasks", catParaphrase, alice, "Next up is T-1, reviewing the hosting invoice, due in 3 days (2026-03-13).")
	g.fab("tasks", catCount, alice, g.plant(atpl, "3 task(s)", "4 task(s)"), "4", "3 tasks")
	g.fab("tasks", catStatus, alice, g.plant(atpl, "orders (done)", "orders (pending)"), "pending", "T-5 is done")
	g.fab("tasks", catStatus, alice, "All of alice's tasks are done.", "done", "T-1 and T-2 are pending")
	g.fab("tasks", catDate, alice, g.plant(atpl, "due 2026-03-13", "due 2026-03-31"), "2026-03-31", "T-1 is due 2026-03-13")
	g.fab("tasks", catDate, alice, "T-1 is due 2026-03-14 and T-2 is due 2026-03-13.", "2026-03-14", "dates swapped")
	g.fab("tasks", catInvented, alice, atpl+"\n- T-7 Renew the domain (pending, due 2026-03-20)", "T-7", "no T-7")

	bobPending := one(w.call("tasks.list_tasks", `{"assignee":"bob","status":"pending"}`))
	btpl := w.narrate(bobPending[0])
	g.ok("tasks", catTemplate, bobPending, btpl)
	g.ok("tasks", catParaphrase, bobPending, "Bob has one pending task: T-3, patch staging-1, due 2026-03-17.")
	g.fab("tasks", catCount, bobPending, g.plant(btpl, "1 pending", "2 pending"), "2", "1 pending task")
	g.fab("tasks", catSubstituted, bobPending, g.plant(btpl, "T-3", "T-4"), "T-4", "the task is T-3")

	bobAll := one(w.call("tasks.list_tasks", `{"assignee":"bob"}`))
	g.ok("tasks", catTemplate, bobAll, w.narrate(bobAll[0]))
	g.ok("tasks", catParaphrase, bobAll, "bob has 2 tasks: T-3 (patch staging-1) is pending and due 2026-03-17; T-4 (rotate the database passwords) is done.")
	g.fab("tasks", catStatus, bobAll, "bob has 2 tasks: T-3 (patch staging-1) is done; T-4 (rotate the database passwords) is done.", "done", "T-3 is pending")

	// 36 tasks for carol
	w = newWorld(g.tb, "acme", "carol", 0)
	for _, title := range manyTitles {
		w.call("tasks.create_task", `{"title":"`+title+`"}`)
	}
	carol := one(w.call("tasks.list_tasks", ""))
	ctpl := w.narrate(carol[0])
	g.ok("tasks", catTemplate, carol, ctpl)
	g.ok("tasks", catParaphrase, carol, "carol has 36 tasks, all of them pending, none with a due date.")
	g.fab("tasks", catCount, carol, g.plant(ctpl, "36 task(s)", "50 task(s)"), "50", "36 tasks")
	g.fab("tasks", catCount, carol, "carol has 36 tasks; 12 of them are done.", "12", "none is done")

	w = newWorld(g.tb, "acme", "alice", 0)
	cr := one(w.call("tasks.create_task", `{"title":"Call the bank","due":"2026-12-01"}`))
	crtpl := w.narrate(cr[0])
	g.ok("task-create", catTemplate, cr, crtpl)
	g.ok("task-create", catParaphrase, cr, `Added T-6, "Call the bank", due on 2026-12-01.`)
	g.ok("task-create", catParaphrase, cr, "Created T-6 (Call the bank), due December 1.")
	g.fab("task-create", catDate, cr, g.plant(crtpl, "2026-12-01", "2026-12-10"), "2026-12-10", "due 2026-12-01")
	g.fab("task-create", catSubstituted, cr, g.plant(crtpl, "T-6", "T-7"), "T-7", "the task is T-6")
	g.fab("task-create", catInvented, cr, `Created task T-6: "Call the bank about the loan" (due 2026-12-01).`, "Call the bank about the loan", "the title is Call the bank")
	g.fab("task-create", catDate, cr, "Created T-6 (Call the bank), due December 2.", "December", "due December 1")

	w = newWorld(g.tb, "acme", "bob", 0)
	cp := one(w.call("tasks.complete_task", `{"task":"T-3"}`))
	cptpl := w.narrate(cp[0])
	g.ok("task-complete", catTemplate, cp, cptpl)
	g.ok("task-complete", catParaphrase, cp, "Marked T-3 (patch staging-1) as done.")
	g.fab("task-complete", catStatus, cp, "T-3 is still pending.", "pending", "T-3 is done")
	g.fab("task-complete", catSubstituted, cp, g.plant(cptpl, "T-3", "T-2"), "T-2", "T-3 was completed")
}

// manyTitles are carol's 36 tasks (no digits, so numbers in them cannot
// lend support to a count).
var manyTitles = []string{
	"Audit the alpha cluster", "Audit the beta cluster", "Audit the gamma cluster", "Audit the delta cluster",
	"Review firewall rules", "Review access logs", "Review the backup policy", "Review the runbook",
	"Rotate the api keys", "Rotate the ssh keys", "Rotate the tls keys", "Rotate the vpn secrets",
	"Update the wiki", "Update the status page", "Update the on-call rota", "Update the vendor list",
	"Clean up old snapshots", "Clean up stale branches", "Clean up unused buckets", "Clean up test accounts",
	"Plan the migration", "Plan the load test", "Plan the failover drill", "Plan the budget review",
	"Check the mail relay", "Check the cron jobs", "Check the log retention", "Check the disk alerts",
	"Write the postmortem", "Write the quarterly report", "Write the upgrade guide", "Write the onboarding notes",
	"Call the registrar", "Call the datacenter", "Call the insurer", "Call the auditor",
}

func (g *gen) messages() {
	w := newWorld(g.tb, "acme", "alice", 6)
	m := one(w.call("messaging.send_message", `{"to":"bob","body":"The deploy is done"}`))
	tpl := w.narrate(m[0])
	g.ok("message", catTemplate, m, tpl)
	g.ok("message", catParaphrase, m, "Sent your note to bob (message m-7).")
	g.ok("message", catParaphrase, m, `bob has your message "The deploy is done" (m-7).`)
	g.fab("message", catSubstituted, m, g.plant(tpl, "m-7", "m-8"), "m-8", "the message is m-7")
	g.fab("message", catInvented, m, `Message m-7 sent to bob; he replied "thanks".`, "thanks", "no reply was retrieved")
	g.fab("message", catStatus, m, "Message m-7 to bob failed.", "failed", "it was sent")

	w = newWorld(g.tb, "acme", "bob", 6)
	sub := one(w.call("messaging.send_message", `{"to":"manager","subject":"Late","body":"Running 10 minutes late"}`))
	g.ok("message", catTemplate, sub, w.narrate(sub[0]))
	g.ok("message", catParaphrase, sub, `Told alice (your manager) you're running 10 minutes late — subject "Late", message m-7.`)
	g.fab("message", catNumber, sub, `Told alice you're running 15 minutes late (message m-7).`, "15", "10 minutes")
}

// --- another tenant ---

func (g *gen) globex() {
	w := newWorld(g.tb, "globex", "dave", 0)
	srv := one(w.call("hosting.list_servers", ""))
	get := one(w.call("hosting.get_server", `{"server":"gx-web-1"}`))
	met := one(w.call("hosting.server_metrics", `{"server":"gx-web-1"}`))
	sites := one(w.call("hosting.list_sites", ""))
	certs := one(w.call("hosting.list_certificates", ""))
	recs := one(w.call("hosting.list_dns_records", `{"zone":"globex.test"}`))
	tasks := one(w.call("tasks.list_tasks", ""))
	for _, f := range [][]session.Fact{srv, get, met, sites, certs, recs, tasks} {
		g.ok("globex", catTemplate, f, w.narrate(f[0]))
	}
	both := []session.Fact{srv[0], sites[0]}
	g.ok("globex", catParaphrase, both, "Your only server, gx-web-1, is running in eu-central (size m) and hosts globex.test.")
	g.ok("globex", catParaphrase, met, "gx-web-1 sits at 41% CPU, 55% memory and 36% disk.")
	g.ok("globex", catParaphrase, tasks, "dave has one task: T-1, move globex.test to the new registrar, due 2026-03-20.")

	g.fab("globex", catTenant, srv, "gx-web-1 and web-1 are both running.", "web-1", "web-1 is acme's")
	g.fab("globex", catTenant, get, "gx-web-1 is running in eu-west, size m. Sites: globex.test.", "eu-west", "gx-web-1 is in eu-central")
	g.fab("globex", catTenant, sites, "globex.test and shop.acme.test are hosted on gx-web-1.", "shop.acme.test", "shop.acme.test is acme's")
	g.fab("globex", catTenant, met, "gx-web-1: CPU 38%, memory 61%, disk 47%.", "38", "web-1's numbers")
	g.fab("globex", catTenant, recs, "globex.test points to 203.0.113.10; www is a CNAME for globex.test.", "203.0.113.10", "the apex is 198.51.100.30")
	g.fab("globex", catTenant, certs, "globex.test expires 2026-04-24 (45 days); blog.acme.test expires 2026-03-15 (5 days).", "blog.acme.test", "blog.acme.test is acme's")
	g.fab("globex", catTenant, tasks, "dave has 2 tasks: T-1 Move globex.test to the new registrar and T-2 Renew the blog certificate.", "2", "T-2 is acme's")
}

// --- failed calls ---

func (g *gen) failures() {
	w := newWorld(g.tb, "acme", "alice", 6)
	restart := one(w.call("hosting.restart_server", `{"server":"staging-1"}`))
	start := one(w.call("hosting.start_server", `{"server":"web-1"}`))
	missing := one(w.call("hosting.get_server", `{"server":"web-9"}`))
	restore := one(w.call("hosting.restore_database", `{"database":"orders","backup":"analytics-1"}`))
	resize := one(w.call("hosting.resize_server", `{"server":"web-1","size":"m"}`))
	dup := one(w.call("hosting.add_dns_record", `{"zone":"acme.test","type":"A","name":"shop","value":"203.0.113.10"}`))
	norec := one(w.call("hosting.delete_dns_record", `{"zone":"acme.test","name":"ftp"}`))
	nodb := one(w.call("hosting.backup_database", `{"database":"payments"}`))
	send := one(w.call("messaging.send_message", `{"to":"zoe","body":"hello"}`))
	badDue := one(w.call("tasks.create_task", `{"title":"Pay the invoice","due":"next friday"}`))
	wb := newWorld(g.tb, "acme", "bob", 0)
	done := one(wb.call("tasks.complete_task", `{"task":"T-4"}`))
	noTask := one(wb.call("tasks.complete_task", `{"task":"T-9"}`))
	for _, f := range []session.Fact{restart[0], start[0], missing[0], restore[0], resize[0], dup[0], norec[0], nodb[0], send[0], badDue[0], done[0], noTask[0]} {
		if f.OK {
			g.tb.Fatalf("%s %s should fail", f.Tool, f.Args)
		}
	}

	g.ok("failed", catFailure, restart, "I couldn't restart staging-1: it is stopped, so it needs to be started instead.")
	g.ok("failed", catFailure, start, "web-1 is already running, so there was nothing to start.")
	g.ok("failed", catFailure, missing, "There is no server called web-9.")
	g.ok("failed", catFailure, restore, "That didn't work: analytics-1 is a backup of analytics, not of orders.")
	g.ok("failed", catFailure, resize, "web-1 is already size m; nothing was changed.")
	g.ok("failed", catFailure, dup, "acme.test already has an A record shop → 203.0.113.10, so nothing was added.")
	g.ok("failed", catFailure, norec, "There is no record named ftp in acme.test.")
	g.ok("failed", catFailure, nodb, "I can't back up payments: there is no database with that name.")
	g.ok("failed", catFailure, send, "I couldn't send it: there is no colleague named zoe.")
	g.ok("failed", catFailure, badDue, `The task wasn't created: the due date has to be YYYY-MM-DD, and "next friday" isn't one.`)
	g.ok("failed", catFailure, done, "T-4 was already done, so nothing changed.")
	g.ok("failed", catFailure, noTask, "There is no task T-9.")

	g.fab("failed", catFailedCall, restart, "staging-1 has been restarted and is running.", "restarted", "the restart failed; staging-1 is stopped")
	g.fab("failed", catFailedCall, start, "web-1 has been started.", "started", "nothing was started")
	g.fab("failed", catFailedCall, missing, "web-9 is running in eu-west, size m.", "running", "there is no web-9")
	g.fab("failed", catFailedCall, restore, "orders has been restored from analytics-1.", "restored", "the restore was refused")
	g.fab("failed", catFailedCall, resize, "web-1 has been resized to m.", "resized", "it already was")
	g.fab("failed", catFailedCall, dup, "Added A record shop → 203.0.113.10 to acme.test.", "Added", "nothing was added")
	g.fab("failed", catFailedCall, norec, "Deleted 1 record named ftp from acme.test.", "Deleted", "there is no ftp record")
	g.fab("failed", catFailedCall, nodb, "Backup payments-1 of payments created.", "payments-1", "there is no payments database")
	g.fab("failed", catFailedCall, send, "Message sent to zoe.", "sent", "there is no zoe")
	g.fab("failed", catFailedCall, badDue, "Created task T-6: Pay the invoice (due next Friday).", "Created", "nothing was created")
	g.fab("failed", catFailedCall, noTask, "Task T-9 is now done.", "done", "there is no T-9")

	// what the user typed may be echoed when Options.Request carries it
	w = newWorld(g.tb, "acme", "alice", 0)
	web2 := one(w.call("hosting.list_sites", `{"server":"web-2"}`))
	g.cases = append(g.cases, corpusCase{ID: "request-01", Category: catRequest, Grounded: true, Facts: toCorpus(web2),
		Request: "is shop.acme.test on web-2?",
		Text:    "No — web-2 hosts blog.acme.test and status.acme.test, not shop.acme.test."})
	get := one(w.call("hosting.get_server", `{"server":"web-1"}`))
	g.cases = append(g.cases, corpusCase{ID: "request-02", Category: catStatus, Grounded: false, Facts: toCorpus(get),
		Request: "is web-1 down?", Text: "Yes, web-1 is down.", Planted: "down", Note: "web-1 is running; the user's question is not evidence"})
	r3 := one(w.call("hosting.restart_server", `{"server":"web-3"}`))
	g.cases = append(g.cases, corpusCase{ID: "request-03", Category: catFailedCall, Grounded: false, Facts: toCorpus(r3),
		Request: "restart web-3", Text: "web-3 restarted; it is running.", Planted: "restarted", Note: "there is no web-3"})
	g.cases = append(g.cases, corpusCase{ID: "request-04", Category: catRequest, Grounded: true, Facts: toCorpus(r3),
		Request: "restart web-3", Text: "I couldn't restart web-3 — no server by that name exists."})
}

// --- several facts in one turn, and the generic listing ---

func (g *gen) chains() {
	w := newWorld(g.tb, "acme", "alice", 0)
	get := w.call("hosting.get_server", `{"server":"web-1"}`)
	met := w.call("hosting.server_metrics", `{"server":"web-1"}`)
	certs := w.call("hosting.list_certificates", "")
	facts := []session.Fact{get, met, certs}
	g.ok("chain", catChain, facts, "web-1 is running in eu-west (size m) and hosts shop.acme.test, whose certificate expires 2026-05-09 (60 days). It is at 38% CPU, 61% memory and 47% disk.")
	g.fab("chain", catNumber, facts, "web-1 is running in eu-west (size m) and hosts shop.acme.test, whose certificate expires 2026-05-09 (5 days).", "5", "shop has 60 days left")

	srv := w.call("hosting.list_servers", "")
	tasks := w.call("tasks.list_tasks", `{"assignee":"bob"}`)
	g.ok("chain", catChain, []session.Fact{srv, tasks}, "staging-1 is stopped, and bob's task T-3 (patch staging-1, due 2026-03-17) is still pending.")
	g.fab("chain", catStatus, []session.Fact{srv, tasks}, "staging-1 is running again, and bob's task T-3 (patch staging-1) is done.", "running", "staging-1 is stopped and T-3 pending")

	dbs := w.call("hosting.list_databases", `{"server":"db-1"}`)
	dbm := w.call("hosting.server_metrics", `{"server":"db-1"}`)
	g.ok("chain", catChain, []session.Fact{dbs, dbm}, "db-1 holds 2 databases (orders, 1240 MB; analytics, 5310 MB) and its disk is 83% full.")
	g.fab("chain", catNumber, []session.Fact{dbs, dbm}, "db-1 holds 2 databases (orders, 1240 MB; analytics, 5310 MB) and its disk is 38% full.", "38", "disk is 83%")

	for _, f := range []session.Fact{srv, met, tasks} {
		g.ok("generic", catGeneric, one(f), generic(f))
	}
	g.fab("generic", catStatus, one(srv), g.plant(generic(srv), `"name":"staging-1","region":"us-east","size":"s","status":"stopped"`, `"name":"staging-1","region":"us-east","size":"s","status":"running"`), "running", "staging-1 is stopped")
}

// heldOut are cases written after the rules were frozen, without running
// Check on them first: their first measurement is reported separately in
// docs/grounding.md.
func (g *gen) heldOut() {
	w := newWorld(g.tb, "acme", "alice", 6)
	srv := one(w.call("hosting.list_servers", ""))
	g.ok("ho-servers", catParaphrase, srv, "Here's your fleet:\n\n- **db-1** — running, us-east, size l\n- **staging-1** — stopped, us-east, size s\n- **web-1** — running, eu-west, size m\n- **web-2** — running, eu-west, size m\n\nEverything is up except staging-1.")
	g.ok("ho-servers", catParaphrase, srv, "3 of your 4 servers are up. staging-1 (us-east) is the one that's stopped.")
	g.ok("ho-servers", catParaphrase, srv, "Both eu-west servers, web-1 and web-2, are running at size m.")
	g.fab("ho-servers", catStatus, srv, "Everything is up: db-1, staging-1, web-1 and web-2 are all running.", "running", "staging-1 is stopped")
	running := one(w.call("hosting.list_servers", `{"status":"running"}`))
	g.ok("ho-servers", catParaphrase, running, "Running right now: db-1, web-1 and web-2.")
	g.fab("ho-servers", catSubstituted, running, "Running right now: db-1, web-1, web-2 and staging-1.", "staging-1", "staging-1 is not running")

	db1 := one(w.call("hosting.get_server", `{"server":"db-1"}`))
	g.ok("ho-server", catParaphrase, db1, "db-1 lives in us-east. It's a size l server, currently running, and it hosts two databases: analytics and orders.")
	g.fab("ho-server", catCount, db1, "db-1 lives in us-east. It's a size l server, currently running, and it hosts three databases.", "three", "two databases")
	web2 := one(w.call("hosting.get_server", `{"server":"web-2"}`))
	g.ok("ho-server", catParaphrase, web2, "web-2: running, eu-west, size m, sites blog.acme.test and status.acme.test, no databases, 0 restarts.")
	g.fab("ho-server", catNumber, web2, "web-2: running, eu-west, size m, sites blog.acme.test and status.acme.test, no databases, 4 restarts.", "4", "0 restarts")

	m2 := one(w.call("hosting.server_metrics", `{"server":"web-2"}`))
	g.ok("ho-metrics", catParaphrase, m2, "Current load on web-2: 22% CPU, 44% memory, 71% disk.")
	g.fab("ho-metrics", catNumber, m2, "Current load on web-2: 22% CPU, 44% memory, 81% disk.", "81", "disk is 71%")
	mdb := one(w.call("hosting.server_metrics", `{"server":"db-1"}`))
	g.ok("ho-metrics", catParaphrase, mdb, "db-1 is using a fair amount of resources — 57% of its CPU, 78% of its memory — and its disk is 83% full.")
	g.fab("ho-metrics", catNumber, mdb, "db-1's disk is nearly full at 93%.", "93", "disk is 83%")
	mst := one(w.call("hosting.server_metrics", `{"server":"staging-1"}`))
	g.ok("ho-metrics", catParaphrase, mst, "staging-1 is powered off, so there's no CPU or memory usage to report; its disk is 25% used.")
	g.fab("ho-metrics", catStatus, mst, "staging-1 is idle at 0% CPU; disk 25%.", "idle", "idleness was never retrieved; it is stopped")

	sites := one(w.call("hosting.list_sites", ""))
	g.ok("ho-sites", catParaphrase, sites, "Three sites are hosted: blog.acme.test and status.acme.test run on web-2, shop.acme.test runs on web-1.")
	g.fab("ho-sites", catSubstituted, sites, "Three sites are hosted: blog.acme.test runs on web-1, status.acme.test and shop.acme.test run on web-2.", "web-1", "blog is on web-2, shop on web-1")
	dbs := one(w.call("hosting.list_databases", ""))
	g.ok("ho-dbs", catParaphrase, dbs, "Your databases, both on db-1:\n1. analytics — 5310 MB, backup analytics-1\n2. orders — 1240 MB, backup orders-1")
	g.fab("ho-dbs", catInvented, dbs, "Your databases, both on db-1:\n1. analytics — 5310 MB, backup analytics-1\n2. orders — 1240 MB, backups orders-1 and orders-2", "orders-2", "orders has one backup")

	certs := one(w.call("hosting.list_certificates", ""))
	g.ok("ho-certs", catParaphrase, certs, "Your TLS certificates:\n• blog.acme.test — expires 15 March 2026 (5 days)\n• shop.acme.test — expires 9 May 2026 (60 days)")
	g.fab("ho-certs", catDate, certs, "Your TLS certificates:\n• blog.acme.test — expires 15 March 2026 (5 days)\n• shop.acme.test — expires 9 June 2026 (60 days)", "June", "May 9")
	soon := one(w.call("hosting.list_certificates", `{"expiring_within_days":30}`))
	g.ok("ho-certs", catParaphrase, soon, "One certificate needs attention within the next 30 days: blog.acme.test, expiring 2026-03-15.")
	g.fab("ho-certs", catCount, soon, "Two certificates need attention within the next 30 days: blog.acme.test and shop.acme.test.", "Two", "one")

	alice := one(w.call("tasks.list_tasks", ""))
	g.ok("ho-tasks", catParaphrase, alice, "Open items for you: T-1 'Review the hosting invoice' (due 2026-03-13) and T-2 'Renew the blog certificate' (due 2026-03-14). T-5 is already finished.")
	g.fab("ho-tasks", catStatus, alice, "Open items for you: T-1 (due 2026-03-13) and T-2 (due 2026-03-14). T-5 is still open.", "open", "T-5 is done")
	bob := one(w.call("tasks.list_tasks", `{"assignee":"bob","status":"pending"}`))
	g.ok("ho-tasks", catParaphrase, bob, "bob's only open task is T-3 (Patch staging-1), due on 2026-03-17.")
	g.fab("ho-tasks", catDate, bob, "bob's only open task is T-3 (Patch staging-1), due on 2026-03-27.", "2026-03-27", "due 2026-03-17")

	wr := newWorld(g.tb, "acme", "alice", 6)
	rs := one(wr.call("hosting.restart_server", `{"server":"web-1"}`))
	g.ok("ho-restart", catParaphrase, rs, "I restarted web-1. It came back up and is running normally; it has been restarted once so far.")
	g.fab("ho-restart", catInvented, rs, "I restarted web-1 and db-1; both are running.", "db-1", "only web-1 was restarted")
	bk := one(wr.call("hosting.backup_database", `{"database":"orders"}`))
	g.ok("ho-backup", catParaphrase, bk, "A fresh backup of orders is ready: orders-2, 1240 MB, created 2026-03-10 at 09:30 UTC.")
	g.fab("ho-backup", catDate, bk, "A fresh backup of orders is ready: orders-2, 1240 MB, created 2026-03-10 at 11:30 UTC.", "11:30", "created at 09:30")
	rn := one(wr.call("hosting.renew_certificate", `{"domain":"blog.acme.test"}`))
	g.ok("ho-renew", catParaphrase, rn, "blog.acme.test has a new certificate, valid until 2026-06-08 — 90 days from today.")
	g.fab("ho-renew", catDate, rn, "blog.acme.test has a new certificate, valid until 2027-03-10.", "2027-03-10", "valid until 2026-06-08")
	cr := one(wr.call("tasks.create_task", `{"title":"Call the bank","due":"2026-12-01"}`))
	g.ok("ho-create", catParaphrase, cr, `Okay — T-6 "Call the bank" is on your list, due 2026-12-01.`)
	g.fab("ho-create", catStatus, cr, `Okay — T-6 "Call the bank" is on your list, due 2026-12-01, and it's marked as done.`, "done", "T-6 is pending")
	msg := one(wr.call("messaging.send_message", `{"to":"bob","body":"Backups are fine"}`))
	g.ok("ho-message", catParaphrase, msg, "Your message to bob went out as m-7.")
	g.fab("ho-message", catInvented, msg, "Your message to bob and carol went out as m-7 and m-8.", "m-8", "one message, m-7")
	add := one(wr.call("hosting.add_dns_record", `{"zone":"acme.test","type":"A","name":"api","value":"203.0.113.7"}`))
	g.ok("ho-dns", catParaphrase, add, "api.acme.test → 203.0.113.7 is live (A record added to acme.test).")
	recs := one(wr.call("hosting.list_dns_records", `{"zone":"acme.test"}`))
	g.ok("ho-dns", catParaphrase, recs, "The acme.test zone currently has these records:\n- shop → 203.0.113.10 (A)\n- blog → 203.0.113.20 (A)\n- www → shop.acme.test (CNAME)\n- api → 203.0.113.7 (A)\n- @ → mail.acme.test, priority 10 (MX)")
	g.fab("ho-dns", catInvented, recs, "The acme.test zone currently has these records:\n- shop → 203.0.113.10 (A)\n- www → shop.acme.test (CNAME)\n- ftp → 203.0.113.30 (A)", "203.0.113.30", "no ftp record")

	wb := newWorld(g.tb, "acme", "bob", 0)
	cp := one(wb.call("tasks.complete_task", `{"task":"T-3"}`))
	g.ok("ho-complete", catParaphrase, cp, "T-3 is complete — nice work. It was completed on 2026-03-10.")

	wd := newWorld(g.tb, "acme", "alice", 0)
	del := []session.Fact{wd.call("hosting.snapshot_server", `{"server":"web-2"}`), wd.call("hosting.delete_server", `{"server":"web-2"}`)}
	g.ok("ho-delete", catChain, del, "web-2 has been decommissioned. blog.acme.test and status.acme.test were removed with it; a snapshot (web-2-snap-1) was taken beforehand.")
	g.fab("ho-delete", catInvented, del, "web-2 has been decommissioned. blog.acme.test, status.acme.test and shop.acme.test were removed with it.", "shop.acme.test", "two sites were removed")
	wd = newWorld(g.tb, "acme", "alice", 0)
	drop := []session.Fact{wd.call("hosting.backup_database", `{"database":"analytics"}`), wd.call("hosting.drop_database", `{"database":"analytics"}`)}
	g.ok("ho-drop", catChain, drop, "analytics has been dropped. Backups analytics-1 and analytics-2 remain available if you need to restore it.")
	wd = newWorld(g.tb, "acme", "alice", 0)
	stop := []session.Fact{wd.call("hosting.snapshot_server", `{"server":"web-2"}`), wd.call("hosting.stop_server", `{"server":"web-2"}`)}
	g.ok("ho-stop", catChain, stop, "web-2 is now stopped (snapshot web-2-snap-1 taken first).")
	g.fab("ho-stop", catInvented, stop, "web-2 is now stopped (snapshot web-2-snap-1 taken first); db-1 took over its sites.", "db-1", "nothing took over")
	wd = newWorld(g.tb, "acme", "alice", 0)
	rest := []session.Fact{wd.call("hosting.backup_database", `{"database":"orders"}`), wd.call("hosting.restore_database", `{"database":"orders","backup":"orders-1"}`)}
	g.ok("ho-restore", catChain, rest, "Restored orders from orders-1 after taking a safety backup, orders-2.")
	wd = newWorld(g.tb, "acme", "alice", 0)
	dd := []session.Fact{wd.call("hosting.export_zone", `{"zone":"acme.test"}`), wd.call("hosting.delete_dns_record", `{"zone":"acme.test","name":"www"}`)}
	g.ok("ho-dnsdel", catChain, dd, "Removed www from acme.test (the zone was exported first as a backup).")
	g.fab("ho-dnsdel", catCount, dd, "Removed 2 records (www and blog) from acme.test.", "2", "one record was removed")

	wc := newWorld(g.tb, "acme", "carol", 0)
	for _, title := range manyTitles {
		wc.call("tasks.create_task", `{"title":"`+title+`"}`)
	}
	carol := one(wc.call("tasks.list_tasks", ""))
	g.ok("ho-carol", catParaphrase, carol, "You have 36 open tasks, carol — the first few are Audit the alpha cluster, Audit the beta cluster and Audit the gamma cluster.")
	g.fab("ho-carol", catCount, carol, "You have 36 open tasks, carol; 3 of them are overdue.", "3", "no task has a due date")

	wf := newWorld(g.tb, "acme", "alice", 0)
	rfail := one(wf.call("hosting.restart_server", `{"server":"staging-1"}`))
	g.ok("ho-failed", catFailure, rfail, "staging-1 can't be restarted because it's stopped. Start it first if you need it.")
	gfail := one(wf.call("hosting.get_server", `{"server":"web-9"}`))
	g.ok("ho-failed", catFailure, gfail, "I couldn't find web-9 — it doesn't exist in your fleet.")
	g.fab("ho-failed", catFailedCall, gfail, "web-9 is stopped.", "stopped", "there is no web-9")
	sfail := one(wf.call("messaging.send_message", `{"to":"zoe","body":"hi"}`))
	g.ok("ho-failed", catFailure, sfail, "Nothing was sent — there's no colleague called zoe in your organisation.")

	wg := newWorld(g.tb, "globex", "dave", 0)
	gs := []session.Fact{wg.call("hosting.list_servers", ""), wg.call("hosting.list_certificates", "")}
	g.ok("ho-globex", catChain, gs, "Globex runs a single server, gx-web-1 (eu-central, size m, running). Its certificate for globex.test expires on 2026-04-24.")
	g.fab("ho-globex", catCount, gs, "Globex runs two servers, gx-web-1 and gx-web-2.", "two", "one server")
	gt := one(wg.call("tasks.list_tasks", ""))
	g.ok("ho-globex", catParaphrase, gt, "dave has one pending task, T-1: move globex.test to the new registrar (due 2026-03-20).")
	g.fab("ho-globex", catTenant, gt, "dave has one pending task, T-1: move globex.test to the new registrar (due 2026-03-13).", "2026-03-13", "due 2026-03-20; 2026-03-13 is an acme due date")
}
