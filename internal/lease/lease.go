// Package lease is a lease in Redis with a fencing token: among the replicas
// of one deployment, at most one holds a named lease at a time, for as long
// as it keeps renewing it, and every acquisition gets a token higher than
// any before it.
//
// The lease is one key, SET with NX and PX (a time to live), whose value
// names the holder, its token and the acquisition; the token comes from INCR on a counter
// key beside it. Renewal and release compare the value first (Lua), so a
// holder that lost the lease — it paused longer than the TTL and another
// replica took over — can neither extend nor delete the new holder's lease.
//
// A lease in Redis is not a lock in the strict sense: a holder that stalls
// past the TTL still believes it holds the lease until its next renewal, and
// a Sentinel or Cluster failover can lose the newest writes (Redis
// replicates asynchronously), the lease key and the counter among them. The
// token is what makes that safe: whatever the holder writes carries it, and
// the place written to refuses a token lower than one it has seen (the
// store's sync state does; see market.ErrStaleFence). Acquire takes a floor,
// the highest token the store has seen, so a counter lost in a failover
// never hands out a token again that the store has already recorded.
//
// Both keys share a hash tag, so the scripts run on one node in Redis
// Cluster; they work the same in single, Sentinel and Cluster mode.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrHeld is returned (wrapped in a *HeldError) by Acquire when another
// owner holds the lease.
var ErrHeld = errors.New("lease: held by another owner")

// ErrLost means the lease is no longer ours: it expired (and may have been
// taken by another owner) or it was deleted. A Keep context ends with it as
// its cause.
var ErrLost = errors.New("lease: lost")

// HeldError names the current holder of a lease that Acquire could not take.
type HeldError struct {
	Owner string        // the holder's owner string
	Token uint64        // the holder's fencing token
	TTL   time.Duration // how long the lease lasts unless renewed
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("lease: held by %s (token %d) for %s more unless renewed", e.Owner, e.Token, e.TTL.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Leaser hands out one named lease.
type Leaser struct {
	rdb      redis.UniversalClient
	key      string // the lease: "<token> <owner> <nonce>", with a TTL
	fenceKey string // the token counter, no TTL
	owner    string
	ttl      time.Duration
}

// New returns the leaser of the lease name, with keys under prefix (the
// cache's CACHE_PREFIX): prefix+"lease:{name}" and
// prefix+"lease:{name}:fence". owner names this process in the lease (a
// host name and pid, say; it must not contain a space); ttl is how long the
// lease outlives its holder's last renewal, and a minimum of 100 ms.
func New(rdb redis.UniversalClient, prefix, name, owner string, ttl time.Duration) (*Leaser, error) {
	switch {
	case name == "" || strings.ContainsAny(name, "{}"):
		return nil, fmt.Errorf("lease: name %q: want a non-empty name without braces", name)
	case owner == "" || strings.ContainsAny(owner, " \n"):
		return nil, fmt.Errorf("lease: owner %q: want a non-empty word", owner)
	case ttl < 100*time.Millisecond:
		return nil, fmt.Errorf("lease: ttl %s: want at least 100ms", ttl)
	}
	// The braces are a hash tag: both keys live in one slot of a cluster,
	// which a script touching both needs.
	key := prefix + "lease:{" + name + "}"
	return &Leaser{rdb: rdb, key: key, fenceKey: key + ":fence", owner: owner, ttl: ttl}, nil
}

// TTL is the lease's time to live.
func (l *Leaser) TTL() time.Duration { return l.ttl }

// Key is the Redis key of the lease (for operators and tests).
func (l *Leaser) Key() string { return l.key }

// acquireScript takes the lease when it is free: the counter is first raised
// to the floor, then INCRemented for the new token, and the lease is SET NX
// PX with the token and owner as its value. When the lease is held it
// answers the holder's value and remaining TTL instead.
//
// KEYS: lease, counter. ARGV: owner and nonce, ttl (ms), floor.
var acquireScript = redis.NewScript(`
local held = redis.call('GET', KEYS[1])
if held then
	return {0, held, redis.call('PTTL', KEYS[1])}
end
local floor = tonumber(ARGV[3])
if tonumber(redis.call('GET', KEYS[2]) or '0') < floor then
	redis.call('SET', KEYS[2], ARGV[3])
end
local value = redis.call('INCR', KEYS[2]) .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {1, value}
`)

// renewScript extends the lease only while it still holds our value.
// KEYS: lease. ARGV: value, ttl (ms).
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes the lease only while it still holds our value.
// KEYS: lease. ARGV: value.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Acquire takes the lease if it is free. Its token is higher than every
// token handed out before and than floor (pass the highest token the
// fenced resource has recorded, or 0). A held lease is an error that
// matches ErrHeld and is a *HeldError; any other error is Redis's.
func (l *Leaser) Acquire(ctx context.Context, floor uint64) (*Lease, error) {
	// The nonce tells this attempt apart: when a client retries the script
	// after its answer was lost, it finds the lease held by this very
	// attempt and takes it as its own.
	var b [6]byte
	rand.Read(b[:])
	id := l.owner + " " + hex.EncodeToString(b[:])
	res, err := acquireScript.Run(ctx, l.rdb, []string{l.key, l.fenceKey},
		id, l.ttl.Milliseconds(), strconv.FormatUint(floor, 10)).Slice()
	if err != nil {
		return nil, fmt.Errorf("lease: acquire %s: %w", l.key, err)
	}
	if len(res) < 2 {
		return nil, fmt.Errorf("lease: acquire %s: unexpected answer %v", l.key, res)
	}
	value, _ := res[1].(string)
	token, holder, err := parseValue(value)
	if err != nil {
		return nil, fmt.Errorf("lease: acquire %s: %w", l.key, err)
	}
	if took, _ := res[0].(int64); took != 1 && holder != id {
		held := &HeldError{Owner: strings.Fields(holder)[0], Token: token}
		if len(res) > 2 {
			if ms, ok := res[2].(int64); ok && ms > 0 {
				held.TTL = time.Duration(ms) * time.Millisecond
			}
		}
		return nil, held
	}
	return &Lease{l: l, value: value, token: token}, nil
}

// Holder reads who holds the lease now; ok is false when nobody does.
func (l *Leaser) Holder(ctx context.Context) (owner string, token uint64, ok bool, err error) {
	value, err := l.rdb.Get(ctx, l.key).Result()
	if errors.Is(err, redis.Nil) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("lease: read %s: %w", l.key, err)
	}
	token, holder, err := parseValue(value)
	if err != nil {
		return "", 0, false, err
	}
	return strings.Fields(holder)[0], token, true, nil
}

// parseValue splits a lease value, "<token> <owner> <nonce>".
func parseValue(v string) (token uint64, holder string, err error) {
	t, holder, ok := strings.Cut(v, " ")
	if ok {
		token, err = strconv.ParseUint(t, 10, 64)
	}
	if !ok || err != nil || len(strings.Fields(holder)) != 2 {
		return 0, "", fmt.Errorf("malformed lease value %q", v)
	}
	return token, holder, nil
}

// Lease is one acquisition of a lease.
type Lease struct {
	l     *Leaser
	value string
	token uint64
}

// Token is the lease's fencing token: whatever the holder writes under the
// lease should carry it.
func (x *Lease) Token() uint64 { return x.token }

// Owner is the owner string the lease was taken with.
func (x *Lease) Owner() string { return x.l.owner }

// Renew extends the lease by its TTL from now. ErrLost means it is no
// longer ours; any other error is Redis's (the lease may still be ours).
func (x *Lease) Renew(ctx context.Context) error {
	n, err := renewScript.Run(ctx, x.l.rdb, []string{x.l.key}, x.value, x.l.ttl.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("lease: renew %s: %w", x.l.key, err)
	}
	if n != 1 {
		return ErrLost
	}
	return nil
}

// Release gives the lease up, so another owner can take it at once. A
// lease that is no longer ours is left alone (ErrLost).
func (x *Lease) Release(ctx context.Context) error {
	n, err := releaseScript.Run(ctx, x.l.rdb, []string{x.l.key}, x.value).Int64()
	if err != nil {
		return fmt.Errorf("lease: release %s: %w", x.l.key, err)
	}
	if n != 1 {
		return ErrLost
	}
	return nil
}

// Keep renews the lease every TTL/3 until stop is called or ctx ends, and
// returns a context derived from ctx that is cancelled, with ErrLost as its
// cause (context.Cause), as soon as the lease may no longer be ours: a
// renewal found another value, or no renewal has succeeded for half the TTL
// (Redis unreachable: the lease may expire before we hear of it, so the
// holder stops early rather than late). Work done under the lease should
// run under that context. stop does not release the lease.
func (x *Lease) Keep(ctx context.Context) (kept context.Context, stop context.CancelFunc) {
	kctx, cancel := context.WithCancelCause(ctx)
	var once sync.Once
	done := make(chan struct{})
	stop = func() {
		once.Do(func() { close(done) })
		cancel(context.Canceled)
	}
	go func() {
		ttl := x.l.ttl
		every := ttl / 3
		// The lease lasts ttl from when the last successful renewal was
		// sent; giving up at half of that leaves the other half for clock
		// rate differences and the time our own work takes to notice.
		lastOK := time.Now()
		timer := time.NewTimer(every)
		defer timer.Stop()
		for {
			select {
			case <-done:
				return
			case <-kctx.Done():
				return
			case <-timer.C:
			}
			sent := time.Now()
			rctx, rcancel := context.WithTimeout(kctx, every)
			err := x.Renew(rctx)
			rcancel()
			switch {
			case err == nil:
				lastOK = sent
				timer.Reset(every)
			case errors.Is(err, ErrLost):
				cancel(ErrLost)
				return
			case time.Since(lastOK) >= ttl/2:
				cancel(fmt.Errorf("%w: no renewal for %s (%v)", ErrLost, time.Since(lastOK).Round(time.Millisecond), err))
				return
			default:
				timer.Reset(every / 4) // try again soon
			}
		}
	}()
	return kctx, stop
}
