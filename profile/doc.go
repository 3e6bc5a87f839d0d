// Package profile keeps the User Intelligence Profile of each actor and
// refreshes it in the background from extensions' probes; its detectors
// turn observations into findings handed to a Sink.
package profile
