// Package sqlite is the embedded storage back-end: one SQLite file (pure-Go
// driver, WAL, synchronous=FULL) under the data directory holding the audit
// chains, proposals, the fact ledger, extension state and delivered notes.
//
// Contract. Every method is safe for concurrent use. A write has reached
// the disk when its method returns nil. Audit appends are group-committed:
// concurrent appends share one transaction and one fsync, and each caller
// returns only after its records are durable. Within a tenant, audit
// records are numbered without gaps and each carries its predecessor's hash
// (store.ChainHash); the per-tenant head (last seq and hash) is kept in the
// same transaction so that truncating the chain is detected too.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/steward-os/steward/session/store"
)

// FileName is the database file inside the data directory.
const FileName = "steward.db"

// Store is the SQLite back-end.
type Store struct {
	w, r   *sql.DB
	stmts  map[string]*sql.Stmt // prepared once: parsing SQL is a large share of a turn's cost
	broken atomic.Pointer[error]
	log    *slog.Logger
	audit  chan *appendReq
	batch  atomic.Pointer[func(int)] // sees each group commit's size (stats.go)
	done   chan struct{}
	closed chan struct{}
}

// Open opens (creating if needed) the store in dir.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := private(path); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	if _, err := w.ExecContext(ctx, schema+approvalsSchema); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("upgrade %s: %w", path, err)
	}
	s := &Store{w: w, r: r, log: log, audit: make(chan *appendReq, 256), done: make(chan struct{}), closed: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	for name, q := range hot {
		db := w
		if strings.HasPrefix(name, "r:") {
			db = r
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("prepare %s: %w", name, err)
		}
		s.stmts[name] = st
	}
	go s.appender()
	return s, nil
}

// Close stops the appender and closes the database.
func (s *Store) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	<-s.closed
	for _, st := range s.stmts {
		st.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// loadRow reads one JSON-encoded row by id; store.ErrNotFound when absent.
func loadRow[T any](ctx context.Context, s *Store, query, id, what string) (T, error) {
	var v T
	var raw string
	if err := found(s.w.QueryRowContext(ctx, query, id).Scan(&raw), "get "+what); err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

// loadRows reads JSON-encoded rows from a query's single column.
func loadRows[T any](rows *sql.Rows, what string) ([]T, error) {
	return scanAll(rows, func(rows *sql.Rows) (T, error) {
		var v T
		raw, err := text[string](rows)
		if err != nil {
			return v, err
		}
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return v, fmt.Errorf("decode %s: %w", what, err)
		}
		return v, nil
	})
}

// found maps the error of a single-row read: store.ErrNotFound when there
// was no row, any other error wrapped with what, nil when there was one.
func found(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// scanAll scans every row of a result with scan, in order, and closes it.
func scanAll[T any](rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// text scans a result's single text column.
func text[T ~string | ~[]byte](rows *sql.Rows) (T, error) {
	var v string
	err := rows.Scan(&v)
	return T(v), err
}

// optional scans the single text column of a row that may not exist: ok
// is false (and err nil) when it does not; what names the query in errors.
func optional[T ~string | ~[]byte](row *sql.Row, what string) (v T, ok bool, err error) {
	var raw string
	err = row.Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("%s: %w", what, err)
	}
	return T(raw), true, nil
}

// putRow stores a JSON-encoded row: it runs query with args followed by
// the encoded row; what names the write in errors.
func (s *Store) putRow(ctx context.Context, what, query string, row any, args ...any) error {
	b, err := json.Marshal(row)
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, query, append(args, string(b))...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

var _ store.Backend = (*Store)(nil)
