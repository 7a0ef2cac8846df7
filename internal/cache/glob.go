package cache

import "strings"

// globMatch reports whether s matches pattern with the semantics of Redis's
// stringmatchlen (SCAN MATCH, KEYS, PSUBSCRIBE), so the in-process tier drops
// exactly the keys that SCAN finds in Redis. path.Match differs: its `*`
// stops at '/', it rejects malformed patterns, and `[^...]` is not negation.
//
// Supported, byte-wise as Redis does: `*` any run of bytes, `?` one byte,
// `[abc]`, `[^abc]`, `[a-z]` (reversed ranges allowed), `\x` a literal x.
// A class left open at the end of the pattern ends there, as in Redis.
//
// Every token other than `*` consumes exactly one byte, so the classic
// single-backtrack algorithm is exact and runs in O(len(pattern)·len(s)),
// unlike Redis's recursive version, which is exponential on patterns like
// "a*a*a*a*b".
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			if pattern[p] == '*' {
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starI = p, i
				continue
			}
			if next, ok := matchToken(pattern, p, s[i]); ok {
				p, i = next, i+1
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last star swallow one more byte and retry from there.
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchToken matches the single-byte token of pattern at p against c and
// returns the index just past the token. pattern[p] is not '*'.
func matchToken(pattern string, p int, c byte) (next int, ok bool) {
	switch pattern[p] {
	case '?':
		return p + 1, true
	case '\\':
		if p+1 < len(pattern) {
			return p + 2, pattern[p+1] == c
		}
		return p + 1, c == '\\'
	case '[':
		return matchClass(pattern, p+1, c)
	default:
		return p + 1, pattern[p] == c
	}
}

// matchClass matches c against the class body starting at p (just past
// '['), following Redis: a leading '^' negates, `\x` is literal, `a-z` is a
// range when at least three bytes remain, and a missing ']' ends the class
// at the end of the pattern.
func matchClass(pattern string, p int, c byte) (next int, ok bool) {
	negate := false
	if p < len(pattern) && pattern[p] == '^' {
		negate = true
		p++
	}
	match := false
	for {
		rest := len(pattern) - p
		switch {
		case rest == 0:
			return p, match != negate
		case pattern[p] == '\\' && rest >= 2:
			p++
			if pattern[p] == c {
				match = true
			}
		case pattern[p] == ']':
			return p + 1, match != negate
		case rest >= 3 && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				match = true
			}
			p += 2
		default:
			if pattern[p] == c {
				match = true
			}
		}
		p++
	}
}

// escapeGlob quotes every glob metacharacter of s so that it matches only
// itself, both here and in Redis. The key prefix is escaped before a
// caller's pattern is appended, so a prefix containing '*' or '[' cannot
// widen a SCAN beyond our namespace.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]\^-`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// literalKey reports whether pattern matches exactly one string, and which:
// a pattern without unescaped metacharacters, as escapeGlob makes of a key.
// Such a key is deleted directly instead of with a SCAN of the keyspace.
func literalKey(pattern string) (string, bool) {
	if !strings.ContainsAny(pattern, `*?[\`) {
		return pattern, true
	}
	var b strings.Builder
	b.Grow(len(pattern))
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '*', '?', '[':
			return "", false
		case '\\':
			// A trailing backslash matches itself, as in matchToken.
			if i+1 < len(pattern) {
				i++
			}
		}
		b.WriteByte(pattern[i])
	}
	return b.String(), true
}
