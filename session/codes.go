package session

// Stable error codes shown to users, shared by the kernel and every
// channel. docs/errors.md lists each with its meaning; never rename one.
const (
	CodeBadRequest        = "bad_request"
	CodeUnknownField      = "unknown_field"
	CodeBodyTooLarge      = "body_too_large"
	CodeUnsupportedMedia  = "unsupported_media_type"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeUnauthenticated   = "unauthenticated"
	CodeRateLimited       = "rate_limited"
	CodeNotFound          = "not_found"
	CodeUnknownTool       = "unknown_tool"
	CodeInvalidArguments  = "invalid_arguments"
	CodeForbidden         = "forbidden"
	CodeSafetyCeiling     = "safety_ceiling"
	CodeProposalNotFound  = "proposal_not_found"
	CodeNotYourProposal   = "not_your_proposal"
	CodeProposalExpired   = "proposal_expired"
	CodeProposalRejected  = "proposal_rejected"
	CodeAlreadyExecuted   = "already_executed"
	CodeCoolingPeriod     = "cooling_period"
	CodeWrongDangerPhrase = "wrong_danger_phrase"
	CodeArgsTampered      = "arguments_changed"
	CodeToolFailed        = "tool_failed"
	CodeInvalidPlan       = "invalid_plan"
	CodeDependencyFailed  = "dependency_failed"
	CodeDuplicate         = "duplicate_in_progress"
	CodeInterrupted       = "interrupted"
	CodeInternal          = "internal"
	CodeUnavailable       = "unavailable"
)
