// Package crosschannel holds the tests that run one person's conversation
// across several chat platforms at once (Telegram and Slack, through their
// real client libraries and fake platform servers), over one kernel.
//
// Contract. It has no production code; it exists so that a test may
// import several adapters without any adapter importing another.
package crosschannel
