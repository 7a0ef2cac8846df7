package cache

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "overview:hot", true},
		{"overview:*", "overview:hot_stocks:2025-12-18", true},
		{"overview:*", "basic:600519.SH", false},
		{"overview:*", "xoverview:a", false},
		{"*:2025-12-18", "overview:market_stats:2025-12-18", true},
		{"*:2025-12-18", "overview:market_stats:2025-12-19", false},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hbllo", true}, // reversed range, as Redis
		{"h[a-b]llo", "hcllo", false},
		{`h\*llo`, "h*llo", true},
		{`h\*llo`, "hello", false},
		{`[\]]`, "]", true},
		{"[abc", "b", true}, // unterminated class ends with the pattern
		{`a\`, `a\`, true},  // trailing backslash is literal
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"**a", "bba", true},
		{"workflow:*", "workflow:list:true", true},
		{"daily:600519.SH:*", "daily:600519.SH:20250101:20251218:qfq:20251218", true},
		{"a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"", "", true},
		{"", "a", false},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestEscapeGlobMatchesOnlyItself(t *testing.T) {
	for _, s := range []string{"plain", "a*b", "[x]", `back\slash`, "q?", "^-", ""} {
		p := escapeGlob(s)
		if !globMatch(p, s) {
			t.Errorf("escapeGlob(%q) = %q does not match itself", s, p)
		}
		for _, other := range []string{s + "x", "x" + s, "ab", "x"} {
			if other != s && globMatch(p, other) {
				t.Errorf("escapeGlob(%q) = %q also matches %q", s, p, other)
			}
		}
	}
}

// TestGlobMatchAgreesWithRedis asks the real Redis which keys each pattern
// matches (SCAN MATCH) and checks the in-process matcher picks the same
// ones, for hand-picked and random patterns over an alphabet rich in
// metacharacters.
func TestGlobMatchAgreesWithRedis(t *testing.T) {
	c, raw := newTestCache(t, Options{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const keyAlphabet = `ab-]^\*[`
	keys := map[string]bool{}
	for len(keys) < 150 {
		n := rng.IntN(5)
		b := make([]byte, n)
		for i := range b {
			b[i] = keyAlphabet[rng.IntN(len(keyAlphabet))]
		}
		keys[string(b)] = true
	}
	pipe := raw.Pipeline()
	for k := range keys {
		pipe.Set(ctx, c.prefix+k, "1", time.Minute)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}

	patterns := []string{"*", "a*", "*b", "[a-b]*", "[^a]*", "[b-a]?", `\**`, `*\\`, "[abc", `a\`, "*[", "[a-]", "[]a]*", "[^]]", "?", "??", "a*b*"}
	const patAlphabet = `ab*?[]^-\`
	for range 300 {
		n := 1 + rng.IntN(6)
		b := make([]byte, n)
		for i := range b {
			b[i] = patAlphabet[rng.IntN(len(patAlphabet))]
		}
		patterns = append(patterns, string(b))
	}
	for _, p := range patterns {
		var fromRedis []string
		iter := raw.Scan(ctx, 0, c.matchPrefix+p, 1000).Iterator()
		for iter.Next(ctx) {
			fromRedis = append(fromRedis, iter.Val()[len(c.prefix):])
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		var ours []string
		for k := range keys {
			if globMatch(p, k) {
				ours = append(ours, k)
			}
		}
		slices.Sort(fromRedis)
		fromRedis = slices.Compact(fromRedis) // SCAN may repeat a key
		slices.Sort(ours)
		if !slices.Equal(ours, fromRedis) {
			t.Errorf("pattern %q: Redis matches %q, globMatch %q", p, fromRedis, ours)
		}
	}
}

func BenchmarkGlobMatch(b *testing.B) {
	for b.Loop() {
		globMatch("overview:hot_*:2025-12-18:*", "overview:hot_stocks:2025-12-18:amount:20")
	}
}

func TestLiteralKey(t *testing.T) {
	for _, key := range []string{"workflow:abc", "daily:[weird]*key", `a\b`, `trailing\`, "x?y^z-", ""} {
		got, ok := literalKey(escapeGlob(key))
		if !ok || got != key {
			t.Errorf("literalKey(escapeGlob(%q)) = %q, %v", key, got, ok)
		}
		if !globMatch(escapeGlob(key), key) {
			t.Errorf("escaped %q does not match itself", key)
		}
	}
	for _, p := range []string{"workflow:*", "a?c", "[ab]c", `x\*y*`} {
		if k, ok := literalKey(p); ok {
			t.Errorf("literalKey(%q) = %q, true; it matches more than one key", p, k)
		}
	}
	// A lone trailing backslash matches itself, in Redis as here.
	if k, ok := literalKey(`a\`); !ok || k != `a\` || !globMatch(`a\`, `a\`) {
		t.Errorf(`literalKey("a\\") = %q, %v`, k, ok)
	}
}
