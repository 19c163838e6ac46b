package main

// ws.go owns /ws: live updates pushed to authenticated WebSocket clients. Each message is
// {"type", "time", "data"} with type workload_update, resource_update, metrics_update,
// alert_update or billing_update. A message meant for one customer reaches that customer's keys
// and the operators; a site-wide one reaches operators only, or everyone where it says so. A
// client that falls behind is disconnected rather than allowed to hold the service back.

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The message types.
const (
	msgWorkload = "workload_update"
	msgResource = "resource_update"
	msgMetrics  = "metrics_update"
	msgAlert    = "alert_update"
	msgBilling  = "billing_update"
)

// audience says who receives a message.
type audience struct {
	everyone bool   // every client
	customer string // this customer's clients and the operators; "" with everyone false: operators only
}

var (
	toOperators = audience{}
	toEveryone  = audience{everyone: true}
)

func toCustomer(id string) audience { return audience{customer: id} }

type wsMessage struct {
	Type string `json:"type"`
	Time string `json:"time"`
	Data any    `json:"data"`
}

type wsClient struct {
	caller *Caller
	send   chan []byte
	drop   context.CancelFunc
}

// hub fans messages out to the connected clients.
type hub struct {
	mu      sync.Mutex
	clients map[*wsClient]struct{}
	closed  bool
	wg      sync.WaitGroup
	now     func() time.Time
}

func newHub(now func() time.Time) *hub {
	return &hub{clients: map[*wsClient]struct{}{}, now: now}
}

func (a audience) reaches(c *Caller) bool {
	return a.everyone || c.IsOperator() || (a.customer != "" && c.CustomerID == a.customer)
}

// publish queues a message for every client it is meant for; a client whose queue is full is
// disconnected.
func (h *hub) publish(typ string, to audience, data any) {
	b, err := json.Marshal(wsMessage{Type: typ, Time: h.now().UTC().Format(time.RFC3339Nano), Data: data})
	if err != nil {
		log.Printf("ws: cannot encode %s: %v", typ, err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if !to.reaches(c.caller) {
			continue
		}
		select {
		case c.send <- b:
		default:
			c.drop()
			delete(h.clients, c)
		}
	}
}

// serve upgrades an authenticated request and writes the client's messages until it goes away,
// falls behind or the hub closes. hello is sent first, so a client sees the site at once.
func (h *hub) serve(w http.ResponseWriter, r *http.Request, caller *Caller, hello []wsMessage) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has written the HTTP error
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &wsClient{caller: caller, send: make(chan []byte, 256), drop: cancel}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		cancel()
		conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	h.clients[c] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	defer func() {
		h.mu.Lock()
		delete(h.clients, c)
		h.mu.Unlock()
		cancel()
	}()
	// The service reads nothing from clients; CloseRead answers pings and notices a close.
	readCtx := conn.CloseRead(ctx)
	for _, m := range hello {
		m.Time = h.now().UTC().Format(time.RFC3339Nano)
		b, _ := json.Marshal(m)
		if err := write(readCtx, conn, b); err != nil {
			return
		}
	}
	for {
		select {
		case b := <-c.send:
			if err := write(readCtx, conn, b); err != nil {
				return
			}
		case <-readCtx.Done():
			h.mu.Lock()
			closed := h.closed
			h.mu.Unlock()
			if closed {
				conn.Close(websocket.StatusGoingAway, "server shutting down")
			} else {
				conn.Close(websocket.StatusPolicyViolation, "client too slow or gone")
			}
			return
		}
	}
}

func write(ctx context.Context, conn *websocket.Conn, b []byte) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, b)
}

// close disconnects every client with "going away" and waits for their writers to finish.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	for c := range h.clients {
		c.drop()
	}
	h.mu.Unlock()
	h.wg.Wait()
}
