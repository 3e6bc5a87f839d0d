package sdk

import "github.com/steward-os/steward/sdk/module"

// ExtensionModule is an extension packaged as a module (id
// "extensions.<name>"): the host loads the module from its configuration
// block, then registers what Extension returns with the kernel.
type ExtensionModule interface {
	module.Module
	Extension() Extension
}

// RegisterExtension registers an extension that takes no configuration as
// the module "extensions.<name>" (call it from the extension's init). An
// extension with settings registers its own ExtensionModule type instead,
// whose fields its configuration block is decoded into.
func RegisterExtension(name string, build func() Extension) {
	module.Register(&plainExtension{id: module.ID("extensions." + name), build: build})
}

// plainExtension is the module of an extension without settings.
type plainExtension struct {
	id    module.ID
	build func() Extension
}

func (p *plainExtension) Module() module.Info {
	return module.Info{ID: p.id, New: func() module.Module { return &plainExtension{id: p.id, build: p.build} }}
}

func (p *plainExtension) Extension() Extension { return p.build() }
