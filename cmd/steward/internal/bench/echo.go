package bench

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// echoServer is a bare gorilla/websocket server that answers the protocol
// with no work: ready for auth, a one-part turn for every message.
type echoServer struct {
	srv   *http.Server
	addr  string
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

func startEcho() (*echoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &echoServer{addr: ln.Addr().String(), conns: map[*websocket.Conn]struct{}{}}
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, CheckOrigin: func(*http.Request) bool { return true }}
	var turn atomic.Int64
	e.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[ws] = struct{}{}
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			delete(e.conns, ws)
			e.mu.Unlock()
			ws.Close()
		}()
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			}
			if json.Unmarshal(b, &f) != nil {
				return
			}
			var out []byte
			switch f.Type {
			case "auth":
				out, _ = json.Marshal(map[string]any{"type": "ready", "actor": "echo", "tenant": "echo"})
			case "message", "decision":
				out, _ = json.Marshal(map[string]any{"type": "turn", "in_reply_to": f.ID,
					"turn_id": "t_" + strconv.FormatInt(turn.Add(1), 36), "replies": []map[string]string{{"type": "text", "text": "echo"}}})
			default:
				continue
			}
			if ws.WriteMessage(websocket.TextMessage, out) != nil {
				return
			}
		}
	})}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

func (e *echoServer) close() {
	_ = e.srv.Close()
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
}

func runBaseline(ctx context.Context, o *options) (*loadResult, error) {
	e, err := startEcho()
	if err != nil {
		return nil, err
	}
	defer e.close()
	res, actors, err := runLoad(ctx, o, e.addr, []string{"echo"}, true)
	if err != nil {
		return nil, err
	}
	closeActors(actors)
	res.Target = "echo baseline (bare gorilla/websocket in this process)"
	return res, nil
}
