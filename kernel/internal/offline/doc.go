// Package offline is the embedded router and planner: no model, no
// network. [Router] implements both [route.Router] and [route.Planner].
//
// Contract.
//
//   - Route classifies Turn.Text against Turn.Catalog and the turn's own
//     resources and members (ROUTE-01). Intent.Kind comes from the best
//     tool's safety level: 0 read, 1–2 write, 3–4 destructive. Domains lists
//     the extension of every tool scoring at least 55% of the winner, best
//     first. Below Options.MinConfidence (default 0.45) the intent is "none",
//     with no domains and a Clarify message saying what the router can help
//     with (one example request per extension).
//   - A request that needs several tools is a chain (CHAIN-01): Route says
//     "chain" with the union of the clauses' domains and the weakest
//     clause's confidence; Plan returns steps s1, s2, … in running order
//     with DependsOn (CHAIN-03). "then", "after that", "once done" and
//     "before" order what follows after everything before it; "X after Y"
//     runs Y first; "and" leaves clauses independent. Names joined by "and"
//     repeat the step ("restart web-1 and web-2"). A pronoun for something
//     named earlier becomes its id ("snapshot web-1 and then resize it");
//     a pronoun for an earlier step's output fills a message or title with
//     {"$ref": "sN"} (CHAIN-08). Content ("saying the backup and the restore
//     are done") is never split. If any clause cannot be understood or
//     lacks a required argument, the plan has no steps and a question about
//     that clause; a condition ("if not, start it") is a question too.
//   - Turn.Facts (AF-02) resolve references to earlier turns: "restart the
//     first one" → {"$ref": "fact:42#/servers/0/name"}, "restart it" after
//     a single result, "restart them" (one step per item); and questions
//     about an earlier result ("how many of those are in eu-west?") are
//     answered with Plan.Answer, a route.LedgerQuery, and no steps. Only
//     successful facts of the turn are used; a request that does not refer
//     back plans exactly as without a ledger.
//   - Plan chooses only from the surface it is given (ROUTE-02). It re-reads
//     the request against the surface, so it works after any router. For
//     one command, when a required argument is missing or ambiguous, the
//     plan holds one step with the arguments that are known plus Clarify, a
//     plain question ("Which server do you mean: web-1, web-2, db-1 or
//     staging-1?"). Such a step always lacks a required argument, so it
//     cannot pass schema validation: the kernel must ask, not run. When
//     nothing in the surface fits, the plan has no steps and a Clarify
//     message.
//   - Resource names come only from Turn.Resources and Turn.Members: ids
//     match case-insensitively and with separators varied ("web 1", "web1",
//     "WEB-1"); "blog" names blog.acme.test and "staging" names staging-1 when
//     that word is not a word of any tool; a resource's "title" attribute
//     names it too ("the review backups task"). Parameters take the resource
//     id. A missing resource is inferred from the relations of the ones named
//     (a record's zone, a database's backups) when that leaves one
//     candidate. Person parameters take member ids; "me", "my", "I" mean the
//     actor, "my manager" (or boss, supervisor) the actor's manager.
//   - Enum values are taken when written (case-insensitive, except values
//     that are also English words, such as "A") or said in everyday words
//     ("extra large" → xl, "down" → stopped); a comparative ("bigger") is
//     not a value. Integer parameters take amounts, converted to the
//     parameter's unit ("2 weeks" → 14 for expiring_within_days). Date
//     parameters (named due/date/deadline, or described as YYYY-MM-DD) take
//     dates relative to Options.Now ("tomorrow", "on friday", "june 3").
//     Prose parameters (body, title, subject, …) take the request's content:
//     a quoted text, what follows a cue ("that", "saying", ":", "remind me
//     to …", "tell bob …"), or "subject X"; that content is never routing
//     evidence ("remind me to restart web-1" creates a task).
//
// How it scores. Tool documents (name, keywords, description, examples,
// weighted in that order) are indexed with BM25 after light stemming and a
// small, general English lexicon of action verbs (show/list, remove/delete,
// reboot/restart, shut down/stop …; see lexicon). Domain words live in
// the manifests, never here. Named resources add evidence for tools with a
// parameter of that kind and count against tools without one; enum values,
// amounts and dates add evidence for tools that take them. A tool that
// changes something (level ≥ 1) must be anchored by one of its own words
// (name or keywords): a name alone, or a word of its description, can lead
// to a read at most. Confidence is sqrt(strength) × coverage × margin, where
// strength saturates the winner's score, coverage is the share of the
// request's words and names the winner explains, and margin is its lead over
// the runner-up; it is reduced further when the tool needs a target the
// request does not name while unknown words remain ("turn on the lights").
//
// Measured (docs/router.md has the method and every miss): development set
// 172/172; held-out set A 58/72 (80.6%) on its blind first run and 60/72
// (83.3%) after two generic bug fixes, 0 of 18 out-of-scope requests
// force-fitted; held-out set B, written after those fixes and run once
// blind, 45/46 (97.8%) with 1 of 13 out-of-scope requests force-fitted to
// a read. Multi-step requests: held-out 28/34 (82.4%) on the blind first
// run, 32/34 (94.1%) after four generic fixes; references to earlier turns:
// held-out 14/14. Route takes ≈ 35–45 µs for one command and ≈ 120–130 µs
// for a multi-step request on 2 vCPU; indexing a catalog (cached) ≈ 2 ms.
//
// It never performs I/O, holds no global mutable state, and is safe for
// concurrent use: the only shared state is two bounded caches (catalog
// indexes and per-tenant name tables, which also keep decoded ledger
// facts) keyed by a hash of their content.
// Turn.Feedback is not used (planning is deterministic, so a retry would
// give the same answer). Splitting and chain planning are in chain.go and
// the chain_*.go files; pronouns and ordinals in refs.go, ledger facts and
// answers in ledger.go and ledger_answer.go.
package offline
