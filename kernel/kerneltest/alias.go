package kerneltest

import "github.com/steward-os/steward/session/store"

type sqliteRow = store.AuditRow
