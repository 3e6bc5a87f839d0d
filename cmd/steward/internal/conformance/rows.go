package conformance

import "context"

// row is one requirement of docs/conformance.md: its id, the lowest level
// it applies at, whether it is a MUST, and its black-box check (nil: not
// applicable over the wire, with why).
type row struct {
	ID    string
	Level int
	Must  bool
	Text  string
	check func(ctx context.Context, r *runner) error
	na    string
}

// byTests is the reason given for a row no black-box check can observe.
const byTests = "not observable through the gateway's API; proven by the tests that name this ID"

// aboveLevel is the reason given for a row above the claimed level.
const aboveLevel = "level 3, above the claimed level 2"

func rows() []row {
	return []row{
		{ID: "CTX-01", Level: 1, Must: true, Text: "Nine levels resolved in order from L0", na: byTests},
		{ID: "CTX-04", Level: 1, Must: true, Text: "L0–L2 resolved for every request", na: byTests},
		{ID: "CTX-05", Level: 2, Must: true, Text: "L3–L6 resolved from extensions' context providers", na: byTests},
		{ID: "CTX-06", Level: 3, Must: true, Text: "L7–L8 relations feed cascade impact", na: aboveLevel},
		{ID: "CTX-07", Level: 1, Must: true, Text: "Context permission-filtered before a model sees it", na: byTests},
		{ID: "CTX-08", Level: 3, Must: true, Text: "Context survives sessions, channels and a model swap", na: aboveLevel},
		{ID: "SAFE-01", Level: 1, Must: true, Text: "Every tool has a safety level 0–4", na: "the manifests are checked at load (steward validate); proven by the tests that name this ID"},
		{ID: "SAFE-02", Level: 1, Must: true, Text: "Confirmation escalates with the level", check: checkEscalation},
		{ID: "SAFE-03", Level: 1, Must: true, Text: "TWO-STEP: propose → confirm → execute", check: checkTwoStep},
		{ID: "SAFE-04", Level: 1, Must: true, Text: "Every dispatch audited", check: checkDispatchAudited},
		{ID: "SAFE-05", Level: 1, Must: true, Text: "Backup before level 3–4 operations", check: checkBackup},
		{ID: "SAFE-06", Level: 1, Must: true, Text: "Impact shown before a proposal at level ≥ 2", check: checkImpact},
		{ID: "SAFE-07", Level: 1, Must: true, Text: "Level 4 needs the danger phrase", check: checkPhrase},
		{ID: "SAFE-08", Level: 1, Must: true, Text: "Level 4 cooling ≥ 30 s, server-side", check: checkCooling},
		{ID: "SAFE-09", Level: 1, Must: true, Text: "RBAC with a safety ceiling per role", check: checkCeiling},
		{ID: "SAFE-10", Level: 1, Must: true, Text: "Each chain step confirmed at its own level", na: byTests},
		{ID: "SAFE-11", Level: 1, Must: true, Text: "Same actor, single use", check: checkSingleUse},
		{ID: "SAFE-12", Level: 1, Must: true, Text: "Proposals expire", na: "needs waiting out safety.proposal_ttl (10 min); proven by the tests that name this ID"},
		{ID: "ROUTE-01", Level: 1, Must: true, Text: "Intent routed to domains before a tool is chosen", check: checkRouted},
		{ID: "ROUTE-02", Level: 1, Must: true, Text: "Only the routed subset reaches the planner", na: byTests},
		{ID: "ROUTE-03", Level: 1, Must: true, Text: "A tool outside the routed subset is unreachable", na: byTests},
		{ID: "ROUTE-04", Level: 1, Must: true, Text: "Arguments schema-validated; bounded retry", na: byTests},
		{ID: "CHAIN-01", Level: 1, Must: true, Text: "A multi-tool request is one chain", check: checkChain},
		{ID: "CHAIN-03", Level: 1, Must: true, Text: "Steps depend on earlier steps by id", check: checkChain},
		{ID: "CHAIN-04", Level: 1, Must: true, Text: "Topological order; reads before dependent writes", check: checkChain},
		{ID: "CHAIN-05", Level: 1, Must: true, Text: "A dropped destructive step fails the chain visibly", na: byTests},
		{ID: "CHAIN-06", Level: 1, Must: true, Text: "Per-step audit", check: checkStepAudit},
		{ID: "CHAIN-08", Level: 1, Must: true, Text: "References resolve from the producer's ledger output", na: byTests},
		{ID: "CHAIN-09", Level: 1, Must: true, Text: "A failed producer fails its dependants", na: byTests},
		{ID: "CHAIN-10", Level: 1, Must: true, Text: "An incoherent plan is rejected before any change", na: byTests},
		{ID: "AF-01", Level: 1, Must: true, Text: "Every dispatch's output in the fact ledger", check: checkLedger},
		{ID: "AF-02", Level: 1, Must: true, Text: "The ledger is available on later turns", na: byTests},
		{ID: "AF-04", Level: 1, Must: true, Text: "A per-turn replay cap", na: byTests},
		{ID: "AF-05", Level: 1, Must: true, Text: "Narration claims no value a tool did not return", na: byTests},
		{ID: "AF-06", Level: 1, Must: true, Text: "Narration states no count not enumerated", na: byTests},
		{ID: "AF-07", Level: 1, Must: true, Text: "Narration states no status not retrieved", na: byTests},
		{ID: "AF-08", Level: 1, Must: true, Text: "Grounding check outside the model, enforce mode", na: byTests},
		{ID: "AF-10", Level: 1, Must: true, Text: "PII masked in what reaches a model", na: byTests},
		{ID: "AF-12", Level: 1, Must: true, Text: "A substituted ledger value is detectable", check: checkLedger},
		{ID: "PRO-01", Level: 3, Must: true, Text: "A profile per actor, refreshed in the background", na: aboveLevel},
		{ID: "PRO-02", Level: 3, Must: true, Text: "The profile records its freshness", na: aboveLevel},
		{ID: "PRO-03", Level: 3, Must: true, Text: "The profile's contents", na: aboveLevel},
		{ID: "PRO-04", Level: 3, Must: true, Text: "Alerts and proposals surfaced unprompted", na: aboveLevel},
		{ID: "PRO-05", Level: 3, Must: false, Text: "Divergence from a baseline surfaced", na: aboveLevel},
		{ID: "PRO-06", Level: 3, Must: true, Text: "Alerts on the channel surface, with TWO-STEP", na: aboveLevel},
		{ID: "CHAN-03", Level: 1, Must: true, Text: "Capabilities equivalent on every channel", na: byTests},
		{ID: "CHAN-04", Level: 1, Must: true, Text: "Guarantees identical on every channel", na: byTests},
		{ID: "CHAN-05", Level: 3, Must: true, Text: "A conversation continues on another channel", na: aboveLevel},
		{ID: "CHAN-06", Level: 1, Must: true, Text: "Voice phrasing and spoken confirmation", na: "the demo world configures no phone channel; proven by the voice tests"},
		{ID: "CHAN-07", Level: 3, Must: true, Text: "Outreach on the preferred channel", na: aboveLevel},
		{ID: "OBS-01", Level: 1, Must: true, Text: "Metrics of the pipeline", check: checkMetrics},
		{ID: "OBS-02", Level: 1, Must: true, Text: "No PII in metric labels", check: checkLabels},
		{ID: "OBS-03", Level: 1, Must: true, Text: "OpenTelemetry traces of each stage", check: checkTraces},
		{ID: "OBS-04", Level: 1, Must: true, Text: "JSON logs carrying the trace id", check: checkLogs},
		{ID: "OBS-05", Level: 1, Must: true, Text: "The audit trail reconstructs a turn", check: checkStepAudit},
		{ID: "OBS-06", Level: 1, Must: true, Text: "Tamper-evident audit with a verifier", check: checkVerify},
		{ID: "OBS-07", Level: 1, Must: true, Text: "Telemetry failure never breaks a request", na: "needs a failing collector; proven by TestOBS07_CollectorFailureIsolated"},
		{ID: "EXT-01", Level: 1, Must: true, Text: "The manifest declares identity, tools, scopes…", na: byTests},
		{ID: "EXT-02", Level: 1, Must: true, Text: "Manifests validated before registration", na: byTests},
		{ID: "EXT-03", Level: 1, Must: true, Text: "An invalid manifest is a structured error", na: byTests},
		{ID: "EXT-04", Level: 1, Must: true, Text: "No partial registration", na: byTests},
		{ID: "EXT-05", Level: 1, Must: true, Text: "Each lifecycle stage audited", check: checkExtensionAudit},
		{ID: "EXT-06", Level: 1, Must: true, Text: "A higher conformance level is refused", na: byTests},
		{ID: "EXT-07", Level: 1, Must: true, Text: "Scopes fail closed", na: byTests},
		{ID: "LRO-01", Level: 1, Must: true, Text: "Promotion to a task after the inline budget", na: "the demo world has no tool slow enough; proven by the tests that name this ID"},
		{ID: "LRO-02", Level: 1, Must: true, Text: "Progress, cancellation, caps", na: "the demo world has no tool slow enough; proven by the tests that name this ID"},
		{ID: "LRO-03", Level: 1, Must: true, Text: "A task's result delivered as a new turn", na: "the demo world has no tool slow enough; proven by the tests that name this ID"},
		{ID: "LRO-04", Level: 1, Must: true, Text: "Tasks and proposals survive a restart", na: "needs a restart of the gateway; proven by the crash test"},
		{ID: "ISO-01", Level: 1, Must: true, Text: "Actor, tenant, roles injected by the kernel", na: byTests},
		{ID: "ISO-02", Level: 1, Must: true, Text: "Cross-tenant access refused and audited", check: checkCrossTenant},
		{ID: "ISO-03", Level: 1, Must: true, Text: "Acting as another user only as the system actor", na: "the terminal's --as, not the gateway; proven by the tests that name this ID"},
		{ID: "ISO-04", Level: 1, Must: true, Text: "Stable error codes, never stack traces", check: checkErrors},
		{ID: "ISO-05", Level: 1, Must: true, Text: "Secrets never in logs or audit", check: checkSecrets},
	}
}
