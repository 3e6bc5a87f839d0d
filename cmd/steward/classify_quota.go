package main

// quotaNotice is said once on standard error when classify, reading
// requests from standard input, meets the turn quota: each classification
// is a turn of the actor (it is routed and planned, and audited), so a
// long input is refused line by line with rate_limited once the quota is
// spent.
const quotaNotice = "steward classify: each classification counts as a turn against the actor's turn quota " +
	"(turns_per_minute, or tenants.<tenant>.turns_per_minute); lines over it are answered with the error rate_limited. " +
	"Wait a minute and send the rest, or raise the quota with --set."
