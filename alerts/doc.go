// Package alerts turns conditions reported by sources (the profile's
// findings, Prometheus Alertmanager's webhook, POST /v1/alerts) into alert
// episodes that page the people on call, and carries out what they do
// about them (ack, unack, snooze, resolve, escalate) from any channel.
//
// Contract. An episode is one condition (tenant, source, fingerprint) from
// its first firing until it is resolved; a repeat bumps its count and
// edits the copies already posted, and never pages again; a re-fire within
// the flap window of its resolution reopens the same episode. A receive
// carrying an idempotency key (a webhook's resend, a retried POST) changes
// nothing the second time. Paging follows the tenant's escalation policy
// (levels with delays), the schedules (rotations, overrides) and each
// person's notification rules (channels by severity with delays) and quiet
// hours (non-critical notifications held for a digest; critical ones
// always go out). Every step of that schedule is stored before it is
// due, claimed before it is carried out (exactly one process wins) and
// finished once under its idempotency key, so a restart neither loses nor
// repeats a page that reached the session bus. An ack, a snooze or a
// resolve cancels every pending step for everyone and edits every posted
// copy; a snooze always ends, and a severity rise breaks through it. A
// suggested fix becomes an ordinary proposal of the person paged:
// acknowledging is not approving. Every receive, refusal, notification,
// failure and state change is audited.
//
// Files: config.go the alerts: block, oncall.go schedules and quiet hours,
// service.go receiving, acts.go people's acts, steps.go the schedule's
// steps, card.go the card and its series, http.go the webhook and API,
// sink.go profile findings, module.go the module.
package alerts
