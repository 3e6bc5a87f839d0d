package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// shared is what the actors of one run share.
type shared struct {
	o      *options
	addr   string
	echo   bool // the echo baseline: every request is a read
	run    string
	budget atomic.Int64 // turns left when --turns is set
	oddMu  sync.Mutex
	odd    []string

	// turn_id → in_reply_to (as 64-bit hashes, to stay small), to catch one
	// turn answering two requests.
	turnMu  sync.Mutex
	turnIDs map[uint64]uint64
}

// sameTurn records a turn id and reports whether it already answered
// another request.
func (sh *shared) sameTurn(turn, id string) bool {
	if sh.echo {
		return false
	}
	t, i := hash64(turn), hash64(id)
	sh.turnMu.Lock()
	defer sh.turnMu.Unlock()
	if prev, ok := sh.turnIDs[t]; ok {
		return prev != i
	}
	sh.turnIDs[t] = i
	return false
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// actorStats are one actor's figures (no locking: merged at the end).
type actorStats struct {
	lat        map[string][]time.Duration
	ops        map[string]int64
	expected   map[string]int
	unexpected map[string]int
	turns      int64
	lost       int64
	misrouted  int64
	duplicates int64
	odd        int64
	events     int64
	reconnects int64
	drain      int64
}

type actor struct {
	sh      *shared
	n       int // 1-based
	token   string
	ws      *websocket.Conn
	rng     *rand.Rand
	seq     int
	st      actorStats
	measure bool // false in the drain phase

	// The actor's view of its tenant's world.
	web2Stopped bool
	web1Large   bool
	record      string // a DNS record it added and has not deleted yet
	writeSeq    int
	destSeq     int
	l4          *pendingL4
	l4Done      bool
	dead        error
}

type pendingL4 struct {
	id    string
	until time.Time
}

func newActor(sh *shared, n int, token string) *actor {
	return &actor{
		sh: sh, n: n, token: token, measure: true,
		rng: rand.New(rand.NewPCG(sh.o.seed, uint64(n))),
		st: actorStats{lat: map[string][]time.Duration{}, ops: map[string]int64{},
			expected: map[string]int{}, unexpected: map[string]int{}},
	}
}

func (a *actor) connect(ctx context.Context) error {
	if a.ws != nil {
		a.ws.Close()
		a.ws = nil
		a.st.reconnects++
	}
	ws, _, err := dialSession(ctx, a.sh.addr, a.token, a.sh.o.timeout)
	if err != nil {
		return err
	}
	a.ws = ws
	return nil
}

// answered reports whether id is one of this actor's earlier requests (a
// second reply to it is a duplicate, not a misrouted reply): ids are
// RUN-aN-SEQ[d].
func (a *actor) answered(id string) bool {
	prefix := fmt.Sprintf("%s-a%d-", a.sh.run, a.n)
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return false
	}
	seq, err := strconv.Atoi(strings.TrimSuffix(rest, "d"))
	return err == nil && seq < a.seq
}

func (a *actor) nextID(suffix string) string {
	a.seq++
	return fmt.Sprintf("%s-a%d-%d%s", a.sh.run, a.n, a.seq, suffix)
}

// errBroken is a turn whose reply did not come: counted as lost.
var errBroken = errors.New("no reply")

// roundTrip sends one frame and waits for the turn (or error frame) that
// answers its id. Replies for other ids are misrouted (or duplicates of
// ones already answered); event frames are counted and skipped.
func (a *actor) roundTrip(cls, id string, frame any) (*inFrame, error) {
	b, err := json.Marshal(frame)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	deadline := began.Add(a.sh.o.timeout)
	_ = a.ws.SetWriteDeadline(deadline)
	if err := a.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		a.st.lost++
		return nil, errBroken
	}
	if a.measure {
		a.st.turns++
	} else {
		a.st.drain++
	}
	_ = a.ws.SetReadDeadline(deadline)
	for {
		_, data, err := a.ws.ReadMessage()
		if err != nil {
			a.st.lost++
			return nil, errBroken
		}
		var f inFrame
		if err := json.Unmarshal(data, &f); err != nil {
			a.st.unexpected["bench:bad_frame"]++
			continue
		}
		switch f.Type {
		case "event":
			a.st.events++
			continue
		case "turn", "error":
		default:
			a.st.unexpected["bench:frame_"+f.Type]++
			continue
		}
		if f.InReplyTo != id {
			switch {
			case f.Type == "error" && f.InReplyTo == "":
				a.st.unexpected[f.Code]++ // a refusal not tied to a frame
			case a.answered(f.InReplyTo):
				a.st.duplicates++
			default:
				a.st.misrouted++
			}
			continue
		}
		if a.measure {
			a.st.lat[cls] = append(a.st.lat[cls], time.Since(began))
		}
		if f.Type == "turn" && a.sh.sameTurn(f.TurnID, id) {
			a.st.misrouted++ // one turn id answering two requests
		}
		return &f, nil
	}
}

func parts(f *inFrame) []inPart {
	out := make([]inPart, 0, len(f.Replies))
	for _, r := range f.Replies {
		var p inPart
		if json.Unmarshal(r, &p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// errorOf returns the first error code of a reply ("" when none): an error
// frame's code or an error part's.
func replyError(f *inFrame, ps []inPart) string {
	if f.Type == "error" {
		return f.Code
	}
	for _, p := range ps {
		if p.Type == "error" {
			return p.Code
		}
	}
	return ""
}

func (a *actor) oddReply(what string, ps []inPart) {
	a.st.odd++
	a.sh.oddMu.Lock()
	defer a.sh.oddMu.Unlock()
	if len(a.sh.odd) < 5 {
		b, _ := json.Marshal(ps)
		a.sh.odd = append(a.sh.odd, fmt.Sprintf("actor %d, %s: %.300s", a.n, what, b))
	}
}

// countOp counts an operation of the measured phase.
func (a *actor) countOp(cls string) {
	if a.measure {
		a.st.ops[cls]++
	}
}

// say sends a text message and returns the reply's parts, or ok=false when
// the turn failed (counted).
func (a *actor) say(cls, text string) ([]inPart, bool) {
	id := a.nextID("")
	f, err := a.roundTrip(cls, id, msgFrame{Type: "message", ID: id, Text: text})
	if err != nil {
		a.dead = err
		return nil, false
	}
	ps := parts(f)
	if code := replyError(f, ps); code != "" {
		a.st.unexpected[code]++
		return ps, false
	}
	return ps, true
}

// decide sends a decision; expect is an error code the turn is expected to
// answer with ("" for success).
func (a *actor) decide(cls, proposal, phrase, expect string) ([]inPart, bool) {
	id := a.nextID("d")
	f, err := a.roundTrip(cls, id, decisionFrame{Type: "decision", ID: id, ProposalID: proposal, Decision: "accept", Phrase: phrase})
	if err != nil {
		a.dead = err
		return nil, false
	}
	ps := parts(f)
	code := replyError(f, ps)
	switch {
	case code == expect && code != "":
		a.st.expected[code]++
		return ps, true
	case code != "":
		a.st.unexpected[code]++
		return ps, false
	case expect != "":
		a.oddReply("expected "+expect+" after accepting", ps)
		return ps, false
	}
	return ps, true
}
