// Command benchbaseline is the yardstick of the cache benchmarks: it fetches
// each given path once from a running stockd, then serves those exact bytes
// from memory with no logic at all. The cached endpoints are measured
// against it (docs/BENCHMARKS.md).
//
//	benchbaseline -from http://127.0.0.1:8000 -addr 127.0.0.1:8099 /api/overview/hot-stocks …
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	from := flag.String("from", "http://127.0.0.1:8000", "stockd base URL to copy answers from")
	addr := flag.String("addr", "127.0.0.1:8099", "listen address")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: benchbaseline [-from URL] [-addr ADDR] PATH…")
		os.Exit(2)
	}
	bodies := map[string][]byte{}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, p := range flag.Args() {
		resp, err := client.Get(*from + p)
		if err != nil {
			log.Fatalf("fetch %s: %v", p, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			log.Fatalf("fetch %s: status %d, %v", p, resp.StatusCode, err)
		}
		bodies[p] = b
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	log.Printf("serving %d answers on %s", len(bodies), *addr)
	log.Fatal(http.ListenAndServe(*addr, handler))
}
