package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// The fact ledger: verbatim tool outputs, per session.

// Record appends a fact to the ledger, with the audit entries audit
// builds from its id in the same commit, and returns its id.
func (s *Store) Record(ctx context.Context, f session.Fact, audit store.Audited) (int64, error) {
	var id int64
	insert := func(ctx context.Context, tx *sql.Tx) (err error) {
		id, err = s.insertFact(ctx, tx, f)
		return err
	}
	if audit == nil {
		return id, s.inBatch(ctx, insert)
	}
	return id, s.inBatchAudited(ctx, insert, func() []store.AuditEntry { return audit(id) })
}

// insertFact inserts a fact inside tx and returns its id.
func (s *Store) insertFact(ctx context.Context, tx *sql.Tx, f session.Fact) (int64, error) {
	var errJSON any
	if f.Error != nil {
		b, _ := json.Marshal(f.Error)
		errJSON = string(b)
	}
	var out any
	if len(f.Output) > 0 {
		out = string(f.Output)
	}
	res, err := tx.StmtContext(ctx, s.stmts["factInsert"]).ExecContext(ctx, string(f.Session), string(f.Turn), f.Step, f.Tool, string(f.Args), f.ArgsHash, f.OK, out, errJSON, ts(f.At))
	if err != nil {
		return 0, fmt.Errorf("record fact: %w", err)
	}
	return res.LastInsertId()
}

// Facts returns every session's facts after an id, oldest first.
func (s *Store) Facts(ctx context.Context, after int64, limit int) ([]session.Fact, error) {
	if limit < 1 || limit > 500 {
		limit = 500
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, session, turn, step, tool, args, args_hash, ok, output, error, at FROM facts WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (session.Fact, error) {
		var sid string
		f, err := scanFact(rows, &sid)
		f.Session = session.SessionID(sid)
		return f, err
	})
}

// Fact loads one fact by id; store.ErrNotFound when absent.
func (s *Store) Fact(ctx context.Context, id int64) (session.Fact, error) {
	var sid string
	f, err := scanFact(s.w.QueryRowContext(ctx, `SELECT id, session, turn, step, tool, args, args_hash, ok, output, error, at FROM facts WHERE id = ?`, id), &sid)
	if err := found(err, "fact"); err != nil {
		return session.Fact{}, err
	}
	f.Session = session.SessionID(sid)
	return f, nil
}

// Recent returns the session's newest facts, oldest first, within the cap.
func (s *Store) Recent(ctx context.Context, sid session.SessionID, c session.Cap) ([]session.Fact, error) {
	limit := c.Count
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.stmts["r:recent"].QueryContext(ctx, string(sid), limit)
	if err != nil {
		return nil, fmt.Errorf("recent facts: %w", err)
	}
	defer rows.Close()
	var out []session.Fact
	total := 0
	for rows.Next() {
		f, err := scanFact(rows, nil)
		if err != nil {
			return nil, err
		}
		f.Session = sid
		size := len(f.Args) + len(f.Output)
		if c.Bytes > 0 && total+size > c.Bytes && len(out) > 0 {
			break
		}
		total += size
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// scanFact scans a fact's columns: id, then session when sid is not nil
// (it receives it), then turn, step, tool, args, args_hash, ok, output,
// error, at.
func scanFact(row interface{ Scan(dest ...any) error }, sid *string) (session.Fact, error) {
	var f session.Fact
	var turn, args, at string
	var output, errJSON sql.NullString
	dest := []any{&f.ID, &turn, &f.Step, &f.Tool, &args, &f.ArgsHash, &f.OK, &output, &errJSON, &at}
	if sid != nil {
		dest = slices.Insert(dest, 1, any(sid))
	}
	if err := row.Scan(dest...); err != nil {
		return f, err
	}
	f.Turn, f.Args, f.At = session.TurnID(turn), json.RawMessage(args), parseTS(at)
	if output.Valid {
		f.Output = json.RawMessage(output.String)
	}
	if errJSON.Valid {
		f.Error = &session.Error{}
		_ = json.Unmarshal([]byte(errJSON.String), f.Error)
	}
	return f, nil
}
