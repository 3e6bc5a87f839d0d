package llm

import (
	"container/list"
	"strings"
	"sync"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// memory keeps each session's recent requests and what became of them,
// so that a prompt can show the conversation so far. It is bounded (max
// sessions, least recently used dropped first; per requests each) and
// lives in the process: after a restart the fact ledger still carries
// what was done.
type memory struct {
	mu       sync.Mutex
	max, per int
	lru      *list.List // of *convo, most recent first
	by       map[session.SessionID]*list.Element
}

type convo struct {
	sid   session.SessionID
	turns []exchange
}

// exchange is one request of a session and its outcome as planned.
type exchange struct {
	turn    session.TurnID
	text    string
	outcome string
}

func newMemory(max, per int) *memory {
	return &memory{max: max, per: per, lru: list.New(), by: map[session.SessionID]*list.Element{}}
}

// asked remembers a routed request.
func (mm *memory) asked(t route.Turn, in route.Intent) {
	if t.ID == "" {
		return
	}
	outcome := "not understood"
	switch {
	case in.Clarify != "":
		outcome = "asked: " + in.Clarify
	case len(in.Domains) > 0:
		outcome = "routed to " + strings.Join(in.Domains, ", ")
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	c := mm.session(session.SessionFor(t.Actor))
	c.turns = append(c.turns, exchange{turn: t.ID, text: t.Text, outcome: outcome})
	if len(c.turns) > mm.per {
		c.turns = c.turns[len(c.turns)-mm.per:]
	}
}

// planned records what a remembered request was planned as.
func (mm *memory) planned(t route.Turn, p route.Plan) {
	if t.ID == "" {
		return
	}
	var outcome string
	switch {
	case p.Clarify != "":
		outcome = "asked: " + p.Clarify
	case p.Answer != nil:
		outcome = "answered from a recorded result"
	case len(p.Steps) > 0:
		tools := make([]string, len(p.Steps))
		for i, s := range p.Steps {
			tools[i] = string(s.Tool)
		}
		outcome = "planned " + strings.Join(tools, ", ")
	default:
		return
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	c := mm.session(session.SessionFor(t.Actor))
	for i := len(c.turns) - 1; i >= 0; i-- {
		if c.turns[i].turn == t.ID {
			c.turns[i].outcome = outcome
			return
		}
	}
}

// recent returns a session's remembered requests before the given turn,
// oldest first.
func (mm *memory) recent(sid session.SessionID, current session.TurnID) []exchange {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	el, ok := mm.by[sid]
	if !ok {
		return nil
	}
	var out []exchange
	for _, x := range el.Value.(*convo).turns {
		if x.turn != current {
			out = append(out, x)
		}
	}
	return out
}

// session returns (creating) a session's conversation, marking it used.
func (mm *memory) session(sid session.SessionID) *convo {
	if el, ok := mm.by[sid]; ok {
		mm.lru.MoveToFront(el)
		return el.Value.(*convo)
	}
	c := &convo{sid: sid}
	mm.by[sid] = mm.lru.PushFront(c)
	for mm.lru.Len() > mm.max {
		old := mm.lru.Back()
		mm.lru.Remove(old)
		delete(mm.by, old.Value.(*convo).sid)
	}
	return c
}
