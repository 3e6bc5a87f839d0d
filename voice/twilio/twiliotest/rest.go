package twiliotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Placed is one call the fake REST API was asked to place.
type Placed struct {
	SID, To, From, Twiml string
}

// REST is a fake of the REST API's Calls resource: POST
// /2010-04-01/Accounts/{sid}/Calls.json with HTTP Basic auth (account sid,
// auth token) and a form (To, From, Twiml), answered 201 with the call
// resource as JSON, as the real API does.
type REST struct {
	URL string

	sid, token string
	mu         sync.Mutex
	placed     []Placed
	failing    int
}

// NewREST starts the fake for one account; it closes with the test.
func NewREST(t testing.TB, accountSID, authToken string) *REST {
	r := &REST{sid: accountSID, token: authToken}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Fail makes every request answer with the status (0: work again).
func (r *REST) Fail(status int) {
	r.mu.Lock()
	r.failing = status
	r.mu.Unlock()
}

// Placed returns the calls placed so far.
func (r *REST) Placed() []Placed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Placed(nil), r.placed...)
}

func (r *REST) serve(w http.ResponseWriter, q *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	user, pass, ok := q.BasicAuth()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !ok || user != r.sid || pass != r.token:
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 20003, "message": "Authenticate", "status": 401})
		return
	case r.failing != 0:
		w.WriteHeader(r.failing)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 20500, "message": "Internal server error", "status": r.failing})
		return
	case q.Method != http.MethodPost || q.URL.Path != "/2010-04-01/Accounts/"+r.sid+"/Calls.json":
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 20404, "message": "not found", "status": 404})
		return
	}
	if err := q.ParseForm(); err != nil || q.PostForm.Get("To") == "" || q.PostForm.Get("From") == "" || q.PostForm.Get("Twiml") == "" {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 21201, "message": "To, From and Twiml are required", "status": 400})
		return
	}
	p := Placed{SID: fmt.Sprintf("CA%032x", len(r.placed)+1), To: q.PostForm.Get("To"), From: q.PostForm.Get("From"), Twiml: q.PostForm.Get("Twiml")}
	r.placed = append(r.placed, p)
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": p.SID, "account_sid": r.sid, "to": p.To, "from": p.From, "status": "queued"})
}
