// Package all links every channel this build ships, for the side effect
// of their registrations as modules ("channels.web", "channels.telegram",
// "channels.slack", "channels.discord", "channels.mcp", the phone channel
// "channels.twilio" from voice/twilio and the alerts' "channels.alerts", which links upward as cmd/steward
// does: this package is linking only, imported by programs). A program that reads a
// configuration naming them imports it; adding a platform to the build is
// one more import here.
package all

import (
	_ "github.com/steward-os/steward/alerts"             // channels.alerts (the alerts: block)
	_ "github.com/steward-os/steward/channels/discord"   // channels.discord
	_ "github.com/steward-os/steward/channels/mcpserver" // channels.mcp
	_ "github.com/steward-os/steward/channels/slack"     // channels.slack
	_ "github.com/steward-os/steward/channels/telegram"  // channels.telegram
	_ "github.com/steward-os/steward/channels/web"       // channels.web
	_ "github.com/steward-os/steward/voice/twilio"       // channels.twilio
)
