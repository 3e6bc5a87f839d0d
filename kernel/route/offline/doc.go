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
//   - Plan chooses only from the surface it is given (ROUTE-02) and returns
//     at most one step, ID "s1", with no dependencies. It re-reads the request
//     against the surface, so it works after any router. When a required
//     argument is missing or ambiguous, the plan holds one step with the
//     arguments that are known plus Clarify, a plain question ("Which server
//     do you mean: web-1, web-2, db-1 or staging-1?"). Such a step always
//     lacks a required argument, so it cannot pass schema validation: the
//     kernel must ask, not run. When nothing in the surface fits, the plan has
//     no steps and a Clarify message.
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
// 167/167; held-out set A 58/72 (80.6%) on its blind first run and 60/72
// (83.3%) after two generic bug fixes, 0 of 18 out-of-scope requests
// force-fitted; held-out set B, written after those fixes and run once
// blind, 45/46 (97.8%) with 1 of 13 out-of-scope requests force-fitted to
// a read. No set ever produced a wrong state-changing plan without a
// question. Route takes ≈ 30–40 µs and a Route+Plan turn ≈ 55–80 µs on
// 2 vCPU; indexing a catalog (cached) ≈ 2 ms.
//
// It never performs I/O, holds no global mutable state, and is safe for
// concurrent use: the only shared state is two bounded caches (catalog
// indexes and per-tenant name tables) keyed by a hash of their content.
// Turn.Facts and Turn.Feedback are not used (planning is deterministic, so a
// retry would give the same answer). A request is handled as one clause;
// segment is where multi-step plans will split it.
package offline
