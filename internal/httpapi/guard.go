package httpapi

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// guardWrites stands in front of every route of the table whose method
// changes something (anything but GET, HEAD and OPTIONS), so a route added
// later gets the same rules without asking:
//
//   - a browser's cross-site request is refused (403): Sec-Fetch-Site says
//     cross-site or same-site, or Origin names another host than Host
//     (net/http's CrossOriginProtection);
//   - without an API_TOKEN only a client on this machine may write (403):
//     a server nobody configured must not be writable from the network;
//   - the body must be declared JSON (415): a form or a text/plain body is
//     what a page on another site can send without asking.
//
// The bearer token itself is checked by the routes that need it
// (RequireToken), after these.
func guardWrites(token string, next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		if err := cop.Check(r); err != nil {
			WriteError(w, r, Errorf(http.StatusForbidden, CodeForbidden,
				"cross-site request refused: a page of another site cannot write here (Origin %q, Sec-Fetch-Site %q)",
				r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")))
			return
		}
		if token == "" && !fromLoopback(r) {
			WriteError(w, r, Errorf(http.StatusForbidden, CodeForbidden,
				"this server has no API_TOKEN, so only clients on its own machine may write; set API_TOKEN on the server and send Authorization: Bearer <API_TOKEN>"))
			return
		}
		if !jsonContent(r) {
			WriteError(w, r, Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType,
				"Content-Type %q is not accepted: send the body as application/json", r.Header.Get("Content-Type")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fromLoopback reports whether a request comes from this machine: the
// connection is from a loopback address, and a proxy in between, if any,
// says it forwards for a loopback client too. Forwarding headers can only
// make a request less trusted here, so a client gains nothing by forging
// them.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !loopbackAddr(host) {
		return false
	}
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(v, ",") {
			if !loopbackAddr(hop) {
				return false
			}
		}
	}
	for _, v := range r.Header.Values("X-Real-Ip") {
		if !loopbackAddr(v) {
			return false
		}
	}
	for _, v := range r.Header.Values("Forwarded") {
		for elem := range strings.SplitSeq(v, ",") {
			for pair := range strings.SplitSeq(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") && !loopbackAddr(val) {
					return false
				}
			}
		}
	}
	return true
}

// loopbackAddr reports whether s is a loopback IP, with or without a port,
// brackets or quotes (the spellings of Forwarded and X-Forwarded-For).
func loopbackAddr(s string) bool {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// hasToken reports whether r carries the bearer token; never when the
// server has none.
func hasToken(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
