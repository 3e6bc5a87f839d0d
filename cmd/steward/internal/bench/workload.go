package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Operation classes; the latency of each round trip is kept per class.
const (
	clsRead        = "read"
	clsWrite       = "write"
	clsDestructive = "destructive"
	clsLevel4      = "level4"
	// clsReadStateful: actor 1's reads when its tenant holds --state
	// more tasks.
	clsReadStateful = "read_stateful"
)

// read requests the offline router understands (checked with `steward
// classify`), with a piece of the narration each reply must contain.
var benchReads = []struct{ text, want string }{
	{"list my servers", "server(s):"},
	{"show web-1", "web-1 is"},
	{"cpu usage of web-1", "CPU"},
	{"list the sites", "site(s):"},
	{"list the databases", "database(s):"},
	{"list dns records for acme.test", "record(s) in acme.test"},
	{"list certificates", "certificate(s):"},
	{"what is the status of db-1", "db-1 is"},
	{"which websites run on web-2", "site(s):"},
	{"metrics for web-2", "web-2"},
	{"list tasks", "task(s)"},
}

// read runs one read and checks its narration.
func (a *actor) read() {
	r := benchReads[a.rng.IntN(len(benchReads))]
	if a.sh.echo {
		r.want = ""
	}
	cls := clsRead
	if a.n == 1 && a.sh.o.state > 0 {
		cls = clsReadStateful
	}
	a.countOp(cls)
	ps, ok := a.say(cls, r.text)
	if !ok || r.want == "" {
		return
	}
	for _, p := range ps {
		if p.Type == "text" && strings.Contains(p.Text, r.want) {
			return
		}
	}
	a.oddReply(fmt.Sprintf("%q", r.text), ps)
}

// change asks for a change, checks the proposal (tool, level, impact:
// the decision is made after seeing it) and accepts it.
func (a *actor) change(cls, text, tool string, level int) bool {
	a.countOp(cls)
	ps, ok := a.say(cls, text)
	if !ok {
		return false
	}
	var card *inPart
	for i := range ps {
		if ps[i].Type == "proposal" {
			card = &ps[i]
		}
	}
	if card == nil || !strings.HasSuffix(card.Tool, tool) || card.SafetyLevel != level ||
		len(card.Impact.Targets) == 0 || card.Impact.Summary == "" || (level >= 3 && card.Impact.Backup == "") {
		a.oddReply(fmt.Sprintf("%q (want a level-%d proposal of %s with its impact)", text, level, tool), ps)
		return false
	}
	ps, ok = a.decide(cls, card.ProposalID, "", "")
	if !ok {
		return false
	}
	for _, p := range ps {
		if p.Type == "text" {
			return true
		}
	}
	a.oddReply(fmt.Sprintf("accepting %q", text), ps)
	return false
}

// probe reads the actor's servers so that a run against a gateway a
// previous run left changed starts from what is there (outside the
// figures).
func (a *actor) probe() {
	m := a.measure
	a.measure = false
	defer func() { a.measure = m }()
	if ps, ok := a.say(clsRead, "show web-2"); ok {
		for _, p := range ps {
			if p.Type == "text" && strings.HasPrefix(p.Text, "web-2 is ") {
				a.web2Stopped = strings.HasPrefix(p.Text, "web-2 is stopped")
			}
		}
	}
	if ps, ok := a.say(clsRead, "show web-1"); ok {
		for _, p := range ps {
			if p.Type == "text" && strings.HasPrefix(p.Text, "web-1 is ") {
				a.web1Large = strings.Contains(p.Text, "size l.")
			}
		}
	}
}

// write is a confirmed level 1–2 change that keeps the world valid: a
// stopped web-2 is started first; otherwise restart web-1, resize it back
// and forth, or add a DNS record (deleted later by a destructive turn).
func (a *actor) write() {
	if a.web2Stopped {
		if a.change(clsWrite, "start web-2", "start_server", 1) {
			a.web2Stopped = false
		} else {
			a.probe()
		}
		return
	}
	a.writeSeq++
	switch a.writeSeq % 3 {
	case 1:
		if !a.change(clsWrite, "restart web-1", "restart_server", 2) {
			a.probe()
		}
	case 2:
		size := "l"
		if a.web1Large {
			size = "m"
		}
		if a.change(clsWrite, "resize web-1 to "+size, "resize_server", 2) {
			a.web1Large = !a.web1Large
		} else {
			a.probe()
		}
	default:
		if a.record != "" {
			a.change(clsWrite, "restart web-1", "restart_server", 2)
			return
		}
		name := fmt.Sprintf("bench%d", a.seq+1)
		if a.change(clsWrite, fmt.Sprintf("add an A record named %s to acme.test pointing at 203.0.113.%d", name, 1+a.seq%250), "add_dns_record", 1) {
			a.record = name
		}
	}
}

// destructive is a confirmed level-3 change, accepted after its impact
// (targets, cascade, the backup that runs first) was shown: stop web-2
// (started again by the next write), delete the record a write added, or
// restore a database from its first backup.
func (a *actor) destructive() {
	a.destSeq++
	switch {
	case a.destSeq%2 == 1 && !a.web2Stopped:
		if a.change(clsDestructive, "stop web-2", "stop_server", 3) {
			a.web2Stopped = true
		} else {
			a.probe()
		}
	case a.record != "":
		a.change(clsDestructive, "delete the "+a.record+" record from acme.test", "delete_dns_record", 3)
		a.record = "" // deleted, or not there to delete
	default:
		a.change(clsDestructive, "restore orders from backup orders-1", "restore_database", 3)
	}
}

// level4Propose asks to delete staging-1 (level 4), checks the card (danger
// phrase, cooling period), and accepts at once, which must be refused with
// cooling_period; the accept with the phrase comes once the cooling is over.
func (a *actor) level4Propose() {
	a.l4Done = true
	a.countOp(clsLevel4)
	ps, ok := a.say(clsLevel4, "delete staging-1")
	if !ok {
		return
	}
	var card *inPart
	for i := range ps {
		if ps[i].Type == "proposal" {
			card = &ps[i]
		}
	}
	if card == nil || card.SafetyLevel != 4 || !card.DangerPhraseRequired || card.CoolingUntil == nil || len(card.Impact.Targets) == 0 {
		a.oddReply("delete staging-1 (want a level-4 card with a cooling period)", ps)
		return
	}
	if _, ok := a.decide(clsLevel4, card.ProposalID, "staging-1", "cooling_period"); !ok && a.dead != nil {
		return
	}
	a.l4 = &pendingL4{id: card.ProposalID, until: *card.CoolingUntil}
}

func (a *actor) level4Accept() {
	ps, ok := a.decide(clsLevel4, a.l4.id, "staging-1", "")
	a.l4 = nil
	if ok && !slices.ContainsFunc(ps, func(p inPart) bool { return p.Type == "text" && strings.Contains(p.Text, "deleted") }) {
		a.oddReply("accepting delete staging-1", ps)
	}
}

// reserve takes n turns from the --turns budget, all or nothing.
func (a *actor) reserve(n int64) bool {
	if a.sh.o.turns == 0 {
		return true
	}
	for {
		cur := a.sh.budget.Load()
		if cur < n {
			return false
		}
		if a.sh.budget.CompareAndSwap(cur, cur-n) {
			return true
		}
	}
}

// loop runs operations until ctx ends or the budget is spent.
func (a *actor) loop(ctx context.Context) {
	o := a.sh.o
	for ctx.Err() == nil {
		if a.dead != nil {
			// The reply was lost (counted): a new socket, as a page would
			// open, and a fresh look at the world.
			if err := a.connect(ctx); err != nil {
				return
			}
			a.dead = nil
			if !a.sh.echo {
				a.probe()
			}
			continue
		}
		if a.l4 != nil && time.Now().After(a.l4.until.Add(100*time.Millisecond)) {
			if !a.reserve(1) {
				return
			}
			a.level4Accept()
			continue
		}
		if o.level4 && !a.l4Done && !a.sh.echo && a.reserve(2) {
			a.level4Propose()
			continue
		}
		x := a.rng.Float64()
		switch {
		case !a.sh.echo && x >= o.mixR && x < o.mixR+o.mixW && a.reserve(2):
			a.write()
		case !a.sh.echo && x >= o.mixR+o.mixW && a.reserve(2):
			a.destructive()
		case a.reserve(1):
			// A read, or the last turn of the budget (a change takes two).
			a.read()
		default:
			return
		}
	}
}

// drain puts the world back (a stopped web-2 started, an added record
// deleted) and settles a level-4 proposal once its cooling is over; these
// turns are checked but not timed.
func (a *actor) drain(ctx context.Context) {
	if a.dead != nil || a.sh.echo {
		return
	}
	a.measure = false
	if a.web2Stopped {
		if a.change(clsWrite, "start web-2", "start_server", 1) {
			a.web2Stopped = false
		}
	}
	if a.record != "" && a.dead == nil {
		a.change(clsDestructive, "delete the "+a.record+" record from acme.test", "delete_dns_record", 3)
		a.record = ""
	}
	if a.l4 != nil && a.dead == nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(a.l4.until.Add(100 * time.Millisecond))):
		}
		a.level4Accept()
	}
}
