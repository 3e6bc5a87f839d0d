package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// crashWorld is the demo world with a 2-second health check, so that with a
// 1-second inline budget every health check becomes a background task.
func crashWorld(t *testing.T, dir string) string {
	raw, err := os.ReadFile("../../configs/world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// acme's hosting block may have its settings line already (the
	// probes' motion); the health checks' length joins it.
	s := string(raw)
	hosting, settings := strings.Index(s, "  acme:\n    hosting:\n"), strings.Index(s, "\n      settings: {")
	if tasks := strings.Index(s, "\n    tasks:\n"); hosting >= 0 && settings > hosting && settings < tasks {
		s = s[:settings] + "\n      settings: {health_check_seconds: 2, " + s[settings+len("\n      settings: {"):]
	} else {
		s = strings.Replace(s, "  acme:\n    hosting:\n", "  acme:\n    hosting:\n      settings: {health_check_seconds: 2}\n", 1)
	}
	if s == string(raw) {
		t.Fatal("world file layout changed")
	}
	p := filepath.Join(dir, "world.yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type sent struct {
	id, text string
	answered bool
	reply    string // the texts and error codes of the answer
}

// crashTitle is the title of the task a level-1 write of message id
// creates: one per message, so the extension's own state shows how many
// times each write ran.
func crashTitle(id string) string { return "crash " + id }

// nextOp picks the next message: a read, a confirmed restart, a health
// check, a cancellation, or a level-1 write (a new task, or completing
// one created earlier).
func nextOp(rnd *rand.Rand, id string, created []string) string {
	ops := []string{"list my servers", "restart web-1", "run a health check on web-2", "show me db-1", "cancel that"}
	switch n := rnd.IntN(len(ops) + 4); {
	case n < len(ops):
		return ops[n]
	case n == len(ops) && len(created) > 0:
		return "complete task " + created[rnd.IntN(len(created))]
	}
	return fmt.Sprintf(`add a todo "%s"`, crashTitle(id))
}

var reCreated = regexp.MustCompile(`Created task (T-\d+): crash m-\d+`)

// TestCrashRecovery drives the real binary with a stream of turns —
// reads, level-1 writes (tasks created and completed at once), confirmed
// restarts, background health checks, cancellations — kills it with
// SIGKILL at random points several times, restarts it, and checks
// afterwards: every accepted inbound message has exactly one outcome;
// every level-1 write ran at most once, counted in the tasks extension's
// own state, and every write acknowledged as done is there; no confirmed
// action ran twice; no proposal vanished silently; every task settled and
// was reported; and the audit chain and ledger verify (LRO-04).
// CRASH_KILLS and CRASH_TURNS scale it (make crash-test).
func TestCrashRecovery(t *testing.T) {
	kills, perRound := envInt("CRASH_KILLS", 3), envInt("CRASH_TURNS", 20)
	rnd := crashRand(t, 7)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	args := []string{"--set", "tasks.inline_budget=1s", "--set", "world=" + crashWorld(t, dir)}

	var msgs []*sent
	var created []string           // task ids acknowledged as created
	proposals := map[string]bool{} // proposal id → we got an answer to our accept
	next := 0
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(g *proc, path string, body any) (map[string]any, bool) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", g.base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer demo-alice")
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, false // the gateway died under us
		}
		defer resp.Body.Close()
		var m map[string]any
		if json.NewDecoder(resp.Body).Decode(&m) != nil {
			return nil, false
		}
		return m, true
	}
	send := func(g *proc, m *sent) bool {
		out, ok := post(g, "/v1/messages", map[string]string{"text": m.text, "id": m.id})
		if !ok {
			return false
		}
		m.answered = true
		for _, r := range out["replies"].([]any) {
			rep := r.(map[string]any)
			text, _ := rep["text"].(string)
			code, _ := rep["code"].(string)
			m.reply += text + code + "\n"
			if c := reCreated.FindStringSubmatch(text); c != nil {
				created = append(created, c[1])
			}
			if rep["type"] == "proposal" {
				id := rep["proposal_id"].(string)
				if _, seen := proposals[id]; !seen {
					proposals[id] = false
				}
			}
		}
		return true
	}
	rounds := 0
	for round := 0; round <= kills; round++ {
		g := startArgs(t, data, args...)
		rounds++
		// Redeliver what the last crash left unanswered (same ids).
		for _, m := range msgs {
			if !m.answered && !send(g, m) {
				t.Fatalf("redelivery of %s failed on a fresh gateway", m.id)
			}
		}
		// Accept every pending proposal we know of; a retry is harmless.
		for id, done := range proposals {
			if done {
				continue
			}
			if out, ok := post(g, "/v1/proposals/"+id, map[string]string{"decision": "accept"}); ok {
				proposals[id] = true
				_ = out
			}
		}
		var killed chan struct{}
		kill := func(after time.Duration) {
			killed = make(chan struct{})
			go func() {
				time.Sleep(after)
				_ = g.cmd.Process.Kill() // SIGKILL
				close(killed)
			}()
		}
		// Every other round dies in the middle of a level-1 write (within
		// 10 ms of sending it); the others at a random point, which also
		// catches background tasks and confirmations.
		atWrite := -1
		if round < kills && round%2 == 0 {
			atWrite = rnd.IntN(perRound)
		} else if round < kills {
			kill(time.Duration(500+rnd.IntN(2500)) * time.Millisecond)
		}
		for i := 0; i < perRound; i++ {
			next++
			id := fmt.Sprintf("m-%d", next)
			m := &sent{id: id, text: nextOp(rnd, id, created)}
			if i == atWrite {
				m.text = fmt.Sprintf(`add a todo "%s"`, crashTitle(id))
				if len(created) > 0 && rnd.IntN(3) == 0 {
					m.text = "complete task " + created[rnd.IntN(len(created))]
				}
				kill(time.Duration(rnd.IntN(10000)) * time.Microsecond)
			}
			msgs = append(msgs, m)
			if !send(g, m) {
				break
			}
			for id, done := range proposals {
				if !done {
					if _, ok := post(g, "/v1/proposals/"+id, map[string]string{"decision": "accept"}); ok {
						proposals[id] = true
					}
				}
			}
		}
		if killed != nil {
			<-killed
			<-g.done
			continue
		}
		// Final round: let background work settle, then stop cleanly.
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && runningTasks(t, data) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		g.stop()
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// 1. Every accepted inbound message has exactly one outcome.
	outcomes, lost := 0, 0
	for _, m := range msgs {
		var n, withOutcome int
		_ = db.QueryRow(`SELECT count(*), count(outcome) FROM inbound WHERE key LIKE ?`, "%\x1f"+m.id).Scan(&n, &withOutcome)
		switch {
		case !m.answered:
			lost++
			t.Errorf("%s (%q) never got an answer", m.id, m.text)
		case n != 1 || withOutcome != 1:
			lost++
			t.Errorf("%s has %d records, %d with an outcome", m.id, n, withOutcome)
		default:
			outcomes++
		}
	}
	// 2. No confirmed action ran twice: the fleet's own restart counter equals
	// the executed restart proposals, and each proposal was confirmed once.
	var executed, confirmedTwice, facts int
	_ = db.QueryRow(`SELECT count(*) FROM proposals WHERE state = 'executed' AND row LIKE '%hosting.restart_server%'`).Scan(&executed)
	_ = db.QueryRow(`SELECT count(*) FROM (SELECT json_extract(data, '$.proposal') p FROM audit WHERE kind = 'confirmed' GROUP BY p HAVING count(*) > 1)`).Scan(&confirmedTwice)
	_ = db.QueryRow(`SELECT count(*) FROM facts WHERE tool = 'hosting.restart_server' AND ok = 1`).Scan(&facts)
	var restarts int
	var raw string
	_ = db.QueryRow(`SELECT value FROM ext_state WHERE ext = 'hosting' AND tenant = 'acme' AND coll = 'servers' AND key = 'web-1'`).Scan(&raw)
	var srv struct{ Restarts int }
	_ = json.Unmarshal([]byte(raw), &srv)
	restarts = srv.Restarts
	writes, acked, twice := checkWrites(t, db, msgs)
	duplicates := confirmedTwice + max(restarts-executed, 0) + twice
	if duplicates != 0 || facts != restarts {
		t.Errorf("restarts counted %d, executed proposals %d, restart facts %d, proposals confirmed twice %d", restarts, executed, facts, confirmedTwice)
	}
	// 3. No proposal vanished: each one we were shown exists in a known state.
	states := map[string]int{}
	for id := range proposals {
		var st string
		if err := db.QueryRow(`SELECT state FROM proposals WHERE id = ?`, id).Scan(&st); err != nil {
			t.Errorf("proposal %s vanished", id)
			continue
		}
		states[st]++
		if st == "executing" {
			t.Errorf("proposal %s left half-done", id)
		}
	}
	// 4. Every task settled, and its owner was told.
	taskStates := map[string]int{}
	rows, _ := db.Query(`SELECT id, state FROM tasks`)
	var unreported []string
	for rows.Next() {
		var id, st string
		_ = rows.Scan(&id, &st)
		taskStates[st]++
		var n int
		_ = db.QueryRow(`SELECT count(*) FROM events WHERE outbound LIKE ? AND outbound NOT LIKE '%"state":"running"%'`, "%"+id+"%").Scan(&n)
		if st != "running" && n == 0 {
			unreported = append(unreported, id)
		}
	}
	rows.Close()
	if taskStates["running"] > 0 || len(unreported) > 0 {
		t.Errorf("tasks %v; settled but never reported: %v", taskStates, unreported)
	}
	var resumed, interrupted int
	_ = db.QueryRow(`SELECT count(*) FROM audit WHERE kind = 'task_resumed'`).Scan(&resumed)
	_ = db.QueryRow(`SELECT count(*) FROM audit WHERE kind = 'interrupted'`).Scan(&interrupted)
	// 5. The audit chain and the ledger verify.
	out, errOut, code := runCmd(t, "", "audit", "verify", "--data", data)
	if code != 0 {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	var reconciled, unknown int
	_ = db.QueryRow(`SELECT count(*) FROM audit WHERE kind = 'reconciled'`).Scan(&reconciled)
	_ = db.QueryRow(`SELECT count(*) FROM audit WHERE kind = 'reconciled' AND json_extract(data, '$.known') = 0`).Scan(&unknown)
	summary := fmt.Sprintf("crash test: turns=%d kills=%d restarts=%d outcomes=%d level1-writes=%d level1-acknowledged=%d duplicates=%d lost=%d proposals=%v restart-executions=%d tasks=%v resumed=%d interrupted=%d reconciled=%d outcome-unknown=%d",
		len(msgs), kills, rounds, outcomes, writes, acked, duplicates, lost, states, restarts, taskStates, resumed, interrupted, reconciled, unknown)
	t.Log(summary)
	fmt.Println(summary)
}

// checkWrites counts the level-1 writes in the tasks extension's own
// state: each "add a todo" message created its task at most once, and
// exactly once when its answer said so; each "complete task" message that
// was answered done left its task done. It returns how many writes were
// sent, how many were acknowledged, and how many ran more than once.
func checkWrites(t *testing.T, db *sql.DB, msgs []*sent) (writes, acked, twice int) {
	titles, done := map[string]int{}, map[string]bool{}
	rows, err := db.Query(`SELECT value FROM ext_state WHERE ext = 'tasks' AND tenant = 'acme' AND coll = 'tasks'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var raw string
		_ = rows.Scan(&raw)
		var task struct{ ID, Title, Status string }
		_ = json.Unmarshal([]byte(raw), &task)
		titles[task.Title]++
		done[task.ID] = task.Status == "done"
	}
	rows.Close()
	for _, m := range msgs {
		create, complete := strings.HasPrefix(m.text, "add a todo"), strings.HasPrefix(m.text, "complete task ")
		if !create && !complete {
			continue
		}
		writes++
		if m.answered {
			acked++
		}
		switch n := titles[crashTitle(m.id)]; {
		case create && n > 1:
			twice++
			t.Errorf("%s (%q) created %d tasks", m.id, m.text, n)
		case create && n == 0 && strings.Contains(m.reply, "Created task"):
			t.Errorf("%s (%q) was answered %q but created no task", m.id, m.text, m.reply)
		case complete && strings.Contains(m.reply, "is now done") && !done[strings.TrimPrefix(m.text, "complete task ")]:
			t.Errorf("%s (%q) was answered %q but the task is not done", m.id, m.text, m.reply)
		}
	}
	return writes, acked, twice
}

func runningTasks(t *testing.T, data string) int {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db")+"?mode=ro")
	if err != nil {
		return 0
	}
	defer db.Close()
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM tasks WHERE state = 'running'`).Scan(&n)
	return n
}
