package offline

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// DefaultMinConfidence is the confidence below which a request is answered
// with a question instead of a tool. See docs/router.md for how it was
// chosen.
const DefaultMinConfidence = 0.45

// Options configures a Router. The zero value is usable.
type Options struct {
	// MinConfidence is the threshold in 0..1 below which Route returns
	// intent "none" and Plan returns no steps, both with a Clarify message.
	// Zero means DefaultMinConfidence.
	MinConfidence float64
	// Now is the clock for relative dates ("tomorrow", "on friday").
	// Nil means time.Now.
	Now func() time.Time
	// CacheSize bounds how many catalogs' indexes are kept (a catalog
	// changes only when extensions are loaded or unloaded). Zero means 8.
	CacheSize int
}

// Router is the embedded offline router and planner. It is safe for
// concurrent use; its only mutable state is two bounded caches: catalog
// indexes and per-tenant name tables, keyed by a hash of their content.
type Router struct {
	min  float64
	now  func() time.Time
	seed maphash.Seed

	indexes cache[*index]
	last    atomic.Pointer[index] // the index used last
	names   cache[*gazetteer]
	// spellers are the catalogs' known words, for misspellings (typo.go).
	spellers cache[*speller]
}

var (
	_ route.Router  = (*Router)(nil)
	_ route.Planner = (*Router)(nil)
)

// New returns a Router.
func New(opts Options) *Router {
	r := &Router{min: opts.MinConfidence, now: opts.Now, seed: maphash.MakeSeed()}
	if r.min <= 0 {
		r.min = DefaultMinConfidence
	}
	if r.now == nil {
		r.now = time.Now
	}
	n := opts.CacheSize
	if n <= 0 {
		n = 8
	}
	r.indexes.limit = n
	r.names.limit = 8 * n
	r.spellers.limit = n
	return r
}

// cache is a small map bounded by emptying it when full: catalogs and
// tenants' resources change rarely, so misses are rare.
type cache[V any] struct {
	mu    sync.Mutex
	m     map[uint64]V
	limit int
}

func (c *cache[V]) get(k uint64) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *cache[V]) put(k uint64, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.limit {
		c.m = make(map[uint64]V, c.limit)
	}
	c.m[k] = v
}

func (r *Router) index(catalog []route.ToolSpec) *index {
	// Fast path: the same catalog as last time (comparing strings that
	// share memory is cheap).
	if ix := r.last.Load(); ix != nil && ix.same(catalog) {
		return ix
	}
	fp := fingerprint(r.seed, catalog)
	if ix, ok := r.indexes.get(fp); ok {
		r.last.Store(ix)
		return ix
	}
	ix := buildIndex(catalog)
	ix.fp = fp
	r.indexes.put(fp, ix)
	r.last.Store(ix)
	return ix
}

// gazetteer returns the name table of the turn's resources and members.
func (r *Router) gazetteer(ix *index, t route.Turn) *gazetteer {
	var h maphash.Hash
	h.SetSeed(r.seed)
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], ix.fp)
	h.Write(buf[:])
	w := func(s string) {
		h.WriteString(s)
		h.WriteByte(0)
	}
	if t.ContextKey != "" {
		w(t.ContextKey) // the same key, the same resources: no need to read them
	} else {
		for _, res := range t.Resources {
			w(res.Kind)
			w(res.ID)
			// Only the attributes the gazetteer reads.
			for _, k := range []string{"title", "name"} {
				w(res.Attrs[k])
			}
			for _, k := range ix.slotList {
				w(res.Attrs[k])
			}
			h.WriteByte(1)
		}
	}
	for _, m := range t.Members {
		w(string(m.ID))
	}
	k := h.Sum64()
	if g, ok := r.names.get(k); ok {
		return g
	}
	g := buildGazetteer(t, ix)
	r.names.put(k, g)
	return g
}

// clause is one command of a request, classified over a set of tools.
type clause struct {
	a     *analysis
	tools []int // candidate tools, indexes into a.ix.tools
	rank  []toolScore
	conf  float64
}

func allTools(ix *index) []int {
	all := make([]int, len(ix.tools))
	for i := range all {
		all[i] = i
	}
	return all
}

// conditionalMsg answers a request whose steps depend on a condition.
const conditionalMsg = "I can't make one step depend on the result of another yet (\"if …\", \"otherwise …\"), so I haven't done anything. Ask for the check first, then for the change."

// Route classifies t.Text against t.Catalog (ROUTE-01).
//
//   - One command: the intent kind comes from the best tool's safety level
//     (0 read, 1–2 write, 3–4 destructive); Domains lists every extension
//     whose best tool scores close to the winner, best first.
//   - Several commands, or one repeated for several names ("restart web-1
//     and web-2"), or for every item of an earlier result ("restart them"):
//     kind "chain" (CHAIN-01), Domains the union of the clauses' domains
//     (the strongest clause's winner first), confidence the weakest
//     clause's.
//   - A question about an earlier result ("how many of those are
//     stopped?"): kind "read", Domains the extension of the fact's tool.
//
// Below the confidence threshold, for any clause, the intent is "none" with
// a Clarify message; so is a request whose steps depend on a condition.
func (r *Router) Route(ctx context.Context, t route.Turn) (route.Intent, error) {
	if err := ctx.Err(); err != nil {
		return route.Intent{}, err
	}
	ix := r.index(t.Catalog)
	t = r.spelled(ix, t)
	all := allTools(ix)
	u := r.understand(ix, t, all, all, false)
	switch {
	case u.answer != nil:
		return route.Intent{Kind: session.IntentRead, Confidence: u.conf, Domains: []string{u.ext}}, nil
	case u.conditional:
		return route.Intent{Kind: session.IntentNone, Confidence: 0, Clarify: conditionalMsg}, nil
	case u.failed != nil:
		return route.Intent{Kind: session.IntentNone, Confidence: u.failed.c.conf, Clarify: r.failMsg(ix, u)}, nil
	}
	steps := u.stepCount()
	if steps > maxSteps {
		return route.Intent{Kind: session.IntentNone, Confidence: u.conf, Clarify: tooMany(steps)}, nil
	}
	in := route.Intent{Confidence: u.conf, Domains: u.domains()}
	if steps > 1 {
		in.Kind = session.IntentChain
	} else {
		in.Kind = kindOf(ix.tools[u.clauses[0].c.rank[0].tool].spec.SafetyLevel)
	}
	return in, nil
}

// domains lists the extensions of the clauses' best tools, strongest
// clause first, then every extension whose best tool scores at least
// domainShare of a clause's winner.
func (u *understanding) domains() []string {
	cls := slices.Clone(u.clauses)
	slices.SortStableFunc(cls, func(x, y *clauseRes) int { return cmp.Compare(y.c.conf, x.c.conf) })
	var out []string
	add := func(ext string) {
		if !slices.Contains(out, ext) {
			out = append(out, ext)
		}
	}
	for _, cl := range cls {
		add(cl.c.a.ix.tools[cl.c.rank[0].tool].spec.Extension)
	}
	for _, cl := range cls {
		top := cl.c.rank[0]
		for _, s := range cl.c.rank {
			if s.total <= 0 || s.total < domainShare*top.total {
				break
			}
			add(cl.c.a.ix.tools[s.tool].spec.Extension)
		}
	}
	return out
}

// Plan plans t.Text with the tools of surface only (ROUTE-02). It returns:
//
//   - one step and no Clarify when one command has every required
//     argument;
//   - one step holding only the arguments it could determine, plus a
//     Clarify question, when a one-command request lacks a required
//     argument (the step can never pass schema validation: the kernel must
//     ask, not run it);
//   - several steps s1, s2, … with DependsOn for a multi-step request
//     (CHAIN-01, CHAIN-03), arguments possibly referring to an earlier
//     step's output ({"$ref": "s1"}, CHAIN-08) or to an earlier turn's
//     result ({"$ref": "fact:42#/servers/1/name"}, AF-02);
//   - no steps and Answer set for a question about an earlier result;
//   - no steps and a Clarify message when nothing in surface fits, when
//     any clause of a multi-step request cannot be understood or lacks a
//     required argument (nothing of it runs), or when a step would depend
//     on a condition.
//
// The intent is not consulted: the planner re-reads the request against
// surface, so it works with any router.
func (r *Router) Plan(ctx context.Context, t route.Turn, in route.Intent, surface []route.ToolSpec) (route.Plan, error) {
	if err := ctx.Err(); err != nil {
		return route.Plan{}, err
	}
	t = r.spelled(r.index(t.Catalog), t)
	if len(surface) == 0 {
		// Nothing to run; a question about an earlier result needs no tool.
		ix := r.index(t.Catalog)
		if u := r.understand(ix, t, allTools(ix), nil, true); u.answer != nil {
			return route.Plan{Steps: []route.Step{}, Confidence: u.conf, Answer: u.answer}, nil
		}
		return route.Plan{Steps: []route.Step{}, Clarify: r.help(ix, clause{})}, nil
	}
	ix, tools := r.surfaceIndex(t.Catalog, surface)
	u := r.understand(ix, t, allTools(ix), tools, true)
	switch {
	case u.answer != nil:
		return route.Plan{Steps: []route.Step{}, Confidence: u.conf, Answer: u.answer}, nil
	case u.conditional:
		return route.Plan{Steps: []route.Step{}, Clarify: conditionalMsg}, nil
	case u.failed != nil:
		return route.Plan{Steps: []route.Step{}, Confidence: u.failed.c.conf, Clarify: r.failMsg(ix, u)}, nil
	}
	if n := u.stepCount(); n > maxSteps {
		return route.Plan{Steps: []route.Step{}, Confidence: u.conf, Clarify: tooMany(n)}, nil
	}
	steps, ok := u.steps()
	if !ok {
		return route.Plan{Steps: []route.Step{}, Confidence: u.conf, Clarify: "I couldn't put those steps in an order, so I haven't done anything. Please ask for them one at a time."}, nil
	}
	if len(steps) == 1 {
		// One command: a question comes with the step it is about.
		return route.Plan{Steps: steps, Confidence: u.conf, Clarify: u.clauses[0].question}, nil
	}
	for _, cl := range u.clauses {
		if cl.question != "" {
			return route.Plan{Steps: []route.Step{}, Confidence: u.conf, Clarify: fmt.Sprintf("For “%s”: %s", cl.text, cl.question)}, nil
		}
	}
	return route.Plan{Steps: steps, Confidence: u.conf}, nil
}

func tooMany(n int) string {
	return fmt.Sprintf("That would be %d steps; I can plan at most %d at once, so I haven't done anything. Please split the request.", n, maxSteps)
}

// failMsg says which part of a request could not be understood.
func (r *Router) failMsg(ix *index, u *understanding) string {
	if len(u.clauses) == 1 {
		return r.help(ix, u.failed.c)
	}
	msg := fmt.Sprintf("I'm not sure what you mean by “%s”, so I haven't done anything.", u.failed.text)
	if h := r.canHelp(ix); h != "" {
		msg += " " + h
	}
	return msg
}

func mustJSON(v map[string]any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// Arguments are strings, numbers and references built here.
		panic(fmt.Sprintf("offline: encode arguments: %v", err))
	}
	return b
}

// surfaceIndex returns the index to plan with and the surface's tools in
// it. Term statistics come from the whole catalog when the surface is part
// of it, so the planner weighs words exactly as the router did; only the
// surface's tools can be chosen (ROUTE-02).
func (r *Router) surfaceIndex(catalog, surface []route.ToolSpec) (*index, []int) {
	if len(catalog) > 0 {
		ix := r.index(catalog)
		tools := make([]int, 0, len(surface))
		for _, s := range surface {
			i, ok := ix.byID[s.ID]
			if !ok || !sameSpec(&s, &ix.tools[i].spec) {
				tools = nil
				break
			}
			tools = append(tools, i)
		}
		if tools != nil {
			return ix, tools
		}
	}
	ix := r.index(surface)
	tools := make([]int, len(ix.tools))
	for i := range tools {
		tools[i] = i
	}
	return ix, tools
}

func kindOf(level int) string {
	switch {
	case level <= 0:
		return session.IntentRead
	case level <= 2:
		return session.IntentWrite
	default:
		return session.IntentDestructive
	}
}

// help says what the router can do, with one example request per
// extension, for requests it cannot place.
func (r *Router) help(ix *index, c clause) string {
	lead := "Sorry, I can't help with that."
	if c.a != nil && len(c.rank) > 0 && c.rank[0].total > 0 && c.conf >= r.min/2 {
		lead = "I'm not sure what you'd like me to do."
	}
	if h := r.canHelp(ix); h != "" {
		return lead + " " + h
	}
	return lead
}

// canHelp is "I can help with hosting (for example “list my servers”), …".
func (r *Router) canHelp(ix *index) string {
	var ex []string
	for _, e := range ix.exts {
		if h := ix.help[e]; h != "" {
			ex = append(ex, fmt.Sprintf("%s (for example “%s”)", e, h))
		}
	}
	if len(ex) == 0 {
		return ""
	}
	return "I can help with " + joinOr(ex, "and") + "."
}

// joinOr lists items as "a, b and c" (or "a, b or c").
func joinOr(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
