package main

// auth.go owns who may call what: API keys (stored only as SHA-256 hashes), their roles, the
// customer a customer key acts for, and a token-bucket rate limit per key. It knows nothing of
// workloads or billing; handlers ask it for the caller and check scopes with Caller's methods.

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Role is what a key may do: an admin and an operator see the whole site; a customer sees only
// its own workloads, usage and invoices.
type Role string

// The roles.
const (
	RoleAdmin    Role = "admin"
	RoleOperator Role = "operator"
	RoleCustomer Role = "customer"
)

// keyEntry is one key in a key file. The key itself is never stored: SHA256 is the hex SHA-256
// of it. A key must be high-entropy (NewKey makes one), so an unsalted hash is enough.
type keyEntry struct {
	Name          string  `json:"name"`
	Role          Role    `json:"role"`
	CustomerID    string  `json:"customer_id,omitempty"`
	SHA256        string  `json:"sha256"`
	RatePerSecond float64 `json:"rate_per_second,omitempty"` // 0: the service default
	Burst         int     `json:"burst,omitempty"`           // 0: the service default
}

type keyFile struct {
	Keys []keyEntry `json:"keys"`
}

// Caller is the authenticated key of a request.
type Caller struct {
	Name       string
	Role       Role
	CustomerID string // only for RoleCustomer
	hash       [sha256.Size]byte
	limiter    *rate.Limiter
}

// IsOperator says whether the caller sees the whole site (admin or operator).
func (c *Caller) IsOperator() bool { return c.Role == RoleAdmin || c.Role == RoleOperator }

// customerScope is the customer a request may act for: a customer key acts for itself (asking for
// another customer is 403); an operator names one (required says whether it must).
func (c *Caller) customerScope(requested string, required bool) (string, error) {
	if c.Role == RoleCustomer {
		if requested != "" && requested != c.CustomerID {
			return "", forbidden("a customer key acts only for its own customer %q", c.CustomerID)
		}
		return c.CustomerID, nil
	}
	if requested == "" && required {
		return "", badRequest("customer_id: required for an %s key", c.Role)
	}
	return requested, nil
}

// keyStore holds the keys of one key file.
type keyStore struct {
	callers []*Caller
}

// loadKeys reads and checks a key file: roles, a customer id exactly for customer keys, unique
// names and hashes, 64-hex-digit hashes and rate limits that make sense.
func loadKeys(path string, defaultRate float64, defaultBurst int) (*keyStore, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	var f keyFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("keys: %s: no keys", path)
	}
	ks := &keyStore{}
	names := map[string]bool{}
	hashes := map[string]bool{}
	for i, k := range f.Keys {
		where := fmt.Sprintf("keys: %s: keys[%d]", path, i)
		switch k.Role {
		case RoleAdmin, RoleOperator:
			if k.CustomerID != "" {
				return nil, fmt.Errorf("%s: customer_id is only for customer keys", where)
			}
		case RoleCustomer:
			if k.CustomerID == "" {
				return nil, fmt.Errorf("%s: a customer key needs customer_id", where)
			}
		default:
			return nil, fmt.Errorf("%s: role must be admin, operator or customer, got %q", where, k.Role)
		}
		if k.Name == "" || names[k.Name] {
			return nil, fmt.Errorf("%s: name must be set and unique, got %q", where, k.Name)
		}
		h, err := hex.DecodeString(strings.ToLower(k.SHA256))
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("%s: sha256 must be 64 hex digits", where)
		}
		if hashes[string(h)] {
			return nil, fmt.Errorf("%s: the same key hash appears twice", where)
		}
		r, b := k.RatePerSecond, k.Burst
		if r == 0 {
			r = defaultRate
		}
		if b == 0 {
			b = defaultBurst
		}
		if !(r > 0) || math.IsInf(r, 0) || b < 1 {
			return nil, fmt.Errorf("%s: rate_per_second must be > 0 and burst >= 1", where)
		}
		names[k.Name], hashes[string(h)] = true, true
		c := &Caller{Name: k.Name, Role: k.Role, CustomerID: k.CustomerID, limiter: rate.NewLimiter(rate.Limit(r), b)}
		copy(c.hash[:], h)
		ks.callers = append(ks.callers, c)
	}
	return ks, nil
}

// customers lists the customers that have keys.
func (ks *keyStore) customers() []string {
	var out []string
	for _, c := range ks.callers {
		if c.Role == RoleCustomer {
			out = append(out, c.CustomerID)
		}
	}
	return out
}

// find returns the caller whose key hashes to the presented key's hash, comparing against every
// stored hash in constant time so that timing says nothing about which hash came close.
func (ks *keyStore) find(key string) *Caller {
	sum := sha256.Sum256([]byte(key))
	var found *Caller
	for _, c := range ks.callers {
		if subtle.ConstantTimeCompare(sum[:], c.hash[:]) == 1 {
			found = c
		}
	}
	return found
}

// authenticate returns the request's caller, or a 401 (no or unknown key) or 429 (over its rate).
func (ks *keyStore) authenticate(w http.ResponseWriter, r *http.Request) (*Caller, error) {
	scheme, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" { // the scheme is case-insensitive (RFC 9110)
		w.Header().Set("WWW-Authenticate", `Bearer realm="hcp"`)
		return nil, errorf(http.StatusUnauthorized, "unauthorized", "send an API key as Authorization: Bearer <key>")
	}
	c := ks.find(strings.TrimSpace(key))
	if c == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hcp", error="invalid_token"`)
		return nil, errorf(http.StatusUnauthorized, "unauthorized", "unknown API key")
	}
	res := c.limiter.Reserve()
	if delay := res.Delay(); delay > 0 {
		res.Cancel()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
		return nil, errorf(http.StatusTooManyRequests, "rate_limited", "key %q is over its rate limit; retry in %s", c.Name, delay.Round(time.Millisecond))
	}
	return c, nil
}

// NewKey makes a high-entropy API key (32 random bytes) and the key-file entry that holds its hash.
func NewKey(name string, role Role, customerID string) (key string, entry keyEntry, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", keyEntry{}, err
	}
	key = "hcp_" + hex.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(key))
	return key, keyEntry{Name: name, Role: role, CustomerID: customerID, SHA256: hex.EncodeToString(sum[:])}, nil
}
