package configs

import (
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/steward-os/steward/sdk/module"
)

// Channels and extensions are modules (sdk/module): a top-level key of the
// document is a channel's block when the module "channels.<key>" is
// registered, and extension_config.<id> is the block of the module
// "extensions.<id>". This package knows no channel: the program that links
// a channel's package registers it, and its block becomes valid here.

// documentType is the document's shape for overrides and STEWARD_*
// variables: Config's own sections, plus each registered channel's block
// (a mapping of instances for a module with instances).
func documentType() reflect.Type {
	var fields []reflect.StructField
	t := reflect.TypeFor[Config]()
	for i := 0; i < t.NumField(); i++ {
		fields = append(fields, t.Field(i))
	}
	for _, info := range module.Namespace("channels") {
		bt := reflect.TypeOf(info.New())
		if info.Instances {
			bt = reflect.MapOf(reflect.TypeFor[string](), bt)
		}
		fields = append(fields, reflect.StructField{Name: "Channel_" + info.ID.Name(), Type: bt, Tag: reflect.StructTag(`json:"` + info.ID.Name() + `"`)})
	}
	return reflect.StructOf(fields)
}

// ProfileModule decodes the profile: block (the background refresh).
const ProfileModule module.ID = "proactive.profile"

// channelBlocks takes every channel's block out of the document.
func channelBlocks(root map[string]any) map[string]any {
	out := map[string]any{}
	for key, v := range root {
		if _, ok := module.Lookup(module.ID("channels." + key)); ok {
			out[key] = v
			delete(root, key)
		}
	}
	return out
}

// checkModules decodes and validates every channel's and extension's
// block with its module (no I/O: nothing is provisioned), so a
// configuration error stops Load rather than start-up.
func (c *Config) checkModules() error {
	var errs []error
	for _, key := range sortedKeys(c.Channels) {
		id := module.ID("channels." + key)
		info, _ := module.Lookup(id)
		if !info.Instances {
			if _, err := module.Decode(id, c.Channels[key]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
			}
			continue
		}
		if _, ok := c.Channels[key].(map[string]any); !ok && c.Channels[key] != nil {
			errs = append(errs, fmt.Errorf("%s: want a mapping of names to blocks", key))
			continue
		}
		for name, block := range Instances(c.Channels[key]) {
			if _, err := module.Decode(id, block); err != nil {
				errs = append(errs, fmt.Errorf("%s.%s: %w", key, name, err))
			}
		}
	}
	for _, ext := range c.Extensions {
		errs = append(errs, checkExtension(ext, c.ExtensionConfig[ext]))
	}
	if _, ok := module.Lookup(ProfileModule); ok || c.Profile != nil {
		if _, err := module.Decode(ProfileModule, c.Profile); err != nil {
			errs = append(errs, fmt.Errorf("profile: %w", err))
		}
	}
	return errors.Join(errs...)
}

// checkExtension decodes an extension's block with its module: one block,
// or for a module with instances (extensions.mcp: one per server) each
// instance's block.
func checkExtension(ext string, block any) error {
	id := module.ID("extensions." + ext)
	if info, ok := module.Lookup(id); ok && info.Instances {
		if _, ok := block.(map[string]any); !ok && block != nil {
			return fmt.Errorf("extensions: %s: want a mapping of names to blocks", ext)
		}
		var errs []error
		for _, name := range sortedKeys(Instances(block)) {
			if _, err := module.Decode(id, Instances(block)[name]); err != nil {
				errs = append(errs, fmt.Errorf("extensions: %s.%s: %w", ext, name, err))
			}
		}
		return errors.Join(errs...)
	}
	if _, err := module.Decode(id, block); err != nil {
		return fmt.Errorf("extensions: %s: %w", ext, err)
	}
	return nil
}

// Instances splits the block of a module with instances by instance name
// (nil for an empty block).
func Instances(block any) map[string]any {
	m, _ := block.(map[string]any)
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
