package offline

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
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

// clause is one command of a request. Today a request is one clause; the
// chain planner will split requests on "and then", commas and sentence ends
// and route each clause on its own (see segment).
type clause struct {
	a     *analysis
	tools []int // candidate tools, indexes into a.ix.tools
	rank  []toolScore
	conf  float64
}

// segment splits a request into clauses. It returns one clause spanning the
// whole request for now; multi-step plans will refine it.
func segment(a *analysis) []*analysis { return []*analysis{a} }

// classify routes one request over the given tools.
func (r *Router) classify(ix *index, t route.Turn, tools []int) clause {
	a := analyze(ix, r.gazetteer(ix, t), t, r.now())
	a = segment(a)[0]
	a.findPayload(tools)
	rk := a.rank(tools, a.head)
	return clause{a: a, tools: tools, rank: rk, conf: confidence(rk)}
}

// Route classifies t.Text against t.Catalog (ROUTE-01): the intent kind
// comes from the best tool's safety level (0 read, 1–2 write, 3–4
// destructive); Domains lists every extension whose best tool scores close
// to the winner, best first. Below the confidence threshold the intent is
// "none" with a Clarify message saying what the router can help with.
func (r *Router) Route(ctx context.Context, t route.Turn) (route.Intent, error) {
	if err := ctx.Err(); err != nil {
		return route.Intent{}, err
	}
	ix := r.index(t.Catalog)
	all := make([]int, len(ix.tools))
	for i := range all {
		all[i] = i
	}
	c := r.classify(ix, t, all)
	if c.conf < r.min {
		return route.Intent{Kind: session.IntentNone, Confidence: c.conf, Clarify: r.help(ix, c)}, nil
	}
	top := c.rank[0]
	in := route.Intent{
		Kind:       kindOf(ix.tools[top.tool].spec.SafetyLevel),
		Confidence: c.conf,
	}
	seen := map[string]bool{}
	for _, s := range c.rank {
		if s.total <= 0 || s.total < domainShare*top.total {
			break
		}
		ext := ix.tools[s.tool].spec.Extension
		if !seen[ext] {
			seen[ext] = true
			in.Domains = append(in.Domains, ext)
		}
	}
	return in, nil
}

// Plan picks the best tool of surface alone (ROUTE-02) and extracts its
// arguments. It returns:
//
//   - one step and no Clarify when every required argument is known;
//   - one step holding only the arguments it could determine, plus a
//     Clarify question, when a required argument is missing or ambiguous.
//     Such a step always lacks a required argument, so it can never pass
//     schema validation: the kernel must ask the question and not run it;
//   - no steps and a Clarify message when nothing in surface fits.
//
// The intent is not consulted beyond what it routed: the planner re-reads
// the request against surface, so it works with any router.
func (r *Router) Plan(ctx context.Context, t route.Turn, in route.Intent, surface []route.ToolSpec) (route.Plan, error) {
	if err := ctx.Err(); err != nil {
		return route.Plan{}, err
	}
	if len(surface) == 0 {
		ix := r.index(t.Catalog)
		return route.Plan{Steps: []route.Step{}, Clarify: r.help(ix, clause{})}, nil
	}
	ix, tools := r.surfaceIndex(t.Catalog, surface)
	c := r.classify(ix, t, tools)
	if c.conf < r.min {
		return route.Plan{Steps: []route.Step{}, Confidence: c.conf, Clarify: r.help(ix, c)}, nil
	}
	d := &ix.tools[c.rank[0].tool]
	args, question := c.a.extract(d)
	raw, err := json.Marshal(args)
	if err != nil {
		return route.Plan{}, fmt.Errorf("offline: encode arguments: %w", err)
	}
	return route.Plan{
		Steps:      []route.Step{{ID: "s1", Tool: d.spec.ID, Args: raw, DependsOn: []string{}}},
		Confidence: c.conf,
		Clarify:    question,
	}, nil
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
	var ex []string
	for _, e := range ix.exts {
		if h := ix.help[e]; h != "" {
			ex = append(ex, fmt.Sprintf("%s (for example “%s”)", e, h))
		}
	}
	lead := "Sorry, I can't help with that."
	if c.a != nil && len(c.rank) > 0 && c.rank[0].total > 0 && c.conf >= r.min/2 {
		lead = "I'm not sure what you'd like me to do."
	}
	if len(ex) == 0 {
		return lead
	}
	return lead + " I can help with " + joinOr(ex, "and") + "."
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
