package cache

import (
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// subIdle is how long the subscriber waits for a message before it PINGs
// the connection; a second silent interval means the connection is dead
// (a vanished host sends no FIN) and it subscribes again.
const subIdle = 15 * time.Second

// subscribe keeps one subscription to the invalidation channel alive for the
// life of the Cache and drops the L1 entries each message names, skipping
// the messages this Cache sent itself.
func (c *Cache) subscribe() {
	defer c.wg.Done()
	first := true
	for c.ctx.Err() == nil {
		ps := c.subscribeTo(c.ctx)
		c.subMu.Lock()
		if c.ctx.Err() != nil { // Close ran while we were subscribing
			c.subMu.Unlock()
			_ = ps.Close()
			return
		}
		c.sub = ps
		c.subMu.Unlock()

		if _, err := ps.Receive(c.ctx); err != nil {
			_ = ps.Close()
			if !c.sleep(time.Second) {
				return
			}
			continue
		}
		if !first {
			// Messages sent while we were disconnected are lost for good:
			// drop everything rather than serve what they invalidated.
			c.gen.Add(1)
			c.dropL1Matching("*")
		}
		first = false
		c.subOnce.Do(func() { close(c.subscribed) })
		c.receive(ps)
		_ = ps.Close()
		if !c.sleep(100 * time.Millisecond) {
			return
		}
	}
}

// receive handles messages until the connection fails.
func (c *Cache) receive(ps *redis.PubSub) {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(c.ctx, subIdle)
		if err != nil {
			var nerr net.Error
			if errors.As(err, &nerr) && nerr.Timeout() && !pinged && c.ctx.Err() == nil {
				if ps.Ping(c.ctx) != nil {
					return
				}
				pinged = true
				continue
			}
			return
		}
		pinged = false
		if m, ok := msg.(*redis.Message); ok {
			pattern := m.Payload
			if sender, p, ok := strings.Cut(m.Payload, "\n"); ok {
				if sender == c.id {
					continue
				}
				pattern = p
			}
			c.gen.Add(1)
			c.dropL1Matching(pattern)
			c.rewriteStale(pattern)
		}
	}
}

// sleep waits d unless the Cache is closed first; it reports whether to go on.
func (c *Cache) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
