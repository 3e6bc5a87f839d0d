// Package ground is the kernel's grounding check (AF-05, AF-06, AF-07,
// AF-08): a deterministic test, outside any model, that a narrated reply
// claims nothing the turn's facts do not support.
//
// Contract. Check(text, facts, opts) reads the text's claims — numbers,
// counts, identifiers, statuses and dates — and reports each one that no
// fact supports. Support comes only from the facts' verbatim outputs and
// arguments (every string, number, key and array length, recursively) and,
// for a failed fact (OK=false), only from its error message and code.
// Statuses, scalar numbers and dates stated about a named thing must be
// found in a fact object that mentions that thing. Options may add allowed
// words, replace the status vocabulary or let the user's own request text
// be echoed as names and dates (never as numbers or statuses).
//
// The package is pure Go: no I/O, no global mutable state (package-level
// tables are built once and only read), no model. Check is safe for
// concurrent use. The exact rules and their known blind spots are in
// docs/grounding.md; the labelled corpus that measures them is in
// testdata/grounding (AF-13).
package ground
