package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Upgrades of a file an older build created, run by Open after the schema
// (whose CREATE TABLE statements already hold these columns for a new
// file), and the permissions of the data files.

// added are the columns added to a table after it was first created.
var added = []struct{ table, column, decl string }{
	{"executions", "inbound", "TEXT"},
	{"executions", "row", "TEXT"},
	{"executions", "fact", "INTEGER"},
	{"inbound", "request", "TEXT"},
}

// addedIndexes index added columns, so they run after the columns exist.
const addedIndexes = `
CREATE INDEX IF NOT EXISTS executions_inbound ON executions(inbound) WHERE inbound IS NOT NULL;
CREATE INDEX IF NOT EXISTS executions_open ON executions(key) WHERE row IS NOT NULL AND fact IS NULL;
`

// migrate adds every column of added that the file lacks, then the indexes.
func migrate(ctx context.Context, db *sql.DB) error {
	for _, c := range added {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", c.table, err)
		}
		if n == 0 {
			if _, err := db.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, c.table, c.column, c.decl)); err != nil {
				return fmt.Errorf("add %s.%s: %w", c.table, c.column, err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, addedIndexes); err != nil {
		return fmt.Errorf("create indexes: %w", err)
	}
	return nil
}

// private makes the database file and its -wal and -shm files readable by
// their owner only: the file is created 0600 before SQLite opens it (SQLite
// gives the files it creates beside it the database file's mode), and
// files an older build created are narrowed.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
