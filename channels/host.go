package channels

import (
	"errors"
	"net/http"

	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Channels are modules (sdk/module) in the namespace "channels": a
// platform's package registers "channels.<key>" in its init, and the
// top-level configuration block <key> (web, telegram, …) is decoded into
// it. Adding a platform adds a package and one import; nothing else
// changes.

// Host is what a channel module gets at Provision: the module host (its
// logger, secrets that are masked from then on) and what a channel needs
// besides — the core, the directory, its instance's name, and a place on
// the gateway's listener for its HTTP endpoints.
type Host interface {
	module.Host
	Core() Core
	Directory() session.Directory
	// Instance is the instance's name for a module whose block holds
	// several ("default", "ops"), "" otherwise.
	Instance() string
	// Mount serves h under a path prefix of the gateway's listener. "/"
	// takes every path no other mount serves, as it is; any other prefix
	// ("/hooks/telegram/ops") is stripped, so h sees "/" or "/events".
	Mount(prefix string, h http.Handler)
}

// HostOf returns the channels' host a module was provisioned with.
func HostOf(h module.Host) (Host, error) {
	ch, ok := h.(Host)
	if !ok {
		return nil, errors.New("a channel module needs a channels.Host")
	}
	return ch, nil
}
