package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/steward-os/steward/session"
)

// The fact ledger: verbatim tool outputs, per session.

// Record appends a fact to the ledger and returns its id.
func (s *Store) Record(ctx context.Context, f session.Fact) (int64, error) {
	var errJSON any
	if f.Error != nil {
		b, _ := json.Marshal(f.Error)
		errJSON = string(b)
	}
	var out any
	if len(f.Output) > 0 {
		out = string(f.Output)
	}
	var id int64
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.stmts["factInsert"]).ExecContext(ctx, string(f.Session), string(f.Turn), f.Step, f.Tool, string(f.Args), f.ArgsHash, f.OK, out, errJSON, ts(f.At))
		if err != nil {
			return fmt.Errorf("record fact: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
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
