// Command driver runs a soak against a stockd that is already up (see
// scripts/soak.sh, which starts the servers and passes the fault commands).
// It exits 1 when a goal did not hold.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/stockdatasource/stockd/internal/soak"
)

func main() {
	var (
		base      = flag.String("url", "http://127.0.0.1:8000", "the stockd under test")
		token     = flag.String("token", os.Getenv("API_TOKEN"), "its API_TOKEN")
		duration  = flag.Duration("duration", 10*time.Minute, "traffic, warm-up included")
		rate      = flag.Int("rate", 150, "reader requests per second, all readers together")
		readers   = flag.Int("readers", 8, "concurrent readers")
		redisDown = flag.String("redis-down", "", "shell command that kills Redis")
		redisUp   = flag.String("redis-up", "", "shell command that starts it again")
		storeDown = flag.String("store-down", "", "shell command that stops the store")
		storeKill = flag.String("store-kill", "", "shell command that kills the store")
		storeUp   = flag.String("store-up", "", "shell command that starts it again")
		jsonOut   = flag.String("json", "", "also write the report as JSON to this file")
	)
	flag.Parse()
	warm := min(60*time.Second, *duration/6)
	rest := *duration - warm
	at := func(f float64) time.Duration { return warm + time.Duration(f*float64(rest)) }
	down := func(f float64, floor time.Duration) time.Duration { return max(floor, time.Duration(f*float64(rest))) }
	sh := func(cmd string) []string {
		if cmd == "" {
			return nil
		}
		return []string{"bash", "-c", cmd}
	}
	// Two of each fault, the last 15 % of the run without any. Redis stays
	// away a while (the cache is optional); the store is restarted: down,
	// then started again after a second.
	faults := []soak.Fault{
		{Name: "redis killed", At: at(0.10), DownFor: down(0.08, 3*time.Second), Down: sh(*redisDown), Up: sh(*redisUp)},
		{Name: "store restarted", At: at(0.30), DownFor: time.Second, Down: sh(*storeDown), Up: sh(*storeUp), Store: true},
		{Name: "redis killed again", At: at(0.50), DownFor: down(0.08, 3*time.Second), Down: sh(*redisDown), Up: sh(*redisUp)},
		{Name: "store killed and restarted", At: at(0.68), DownFor: time.Second, Down: sh(*storeKill), Up: sh(*storeUp), Store: true},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := soak.Run(ctx, soak.Options{
		BaseURL: *base, Token: *token, Duration: *duration, WarmUp: warm,
		Rate: *rate, Readers: *readers, Faults: faults,
		Logf: func(format string, args ...any) { log.Printf(format, args...) },
	})
	if err != nil && rep == nil {
		log.Fatal(err)
	}
	fmt.Print(rep.Format())
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if werr := os.WriteFile(*jsonOut, b, 0o644); werr != nil {
			log.Print(werr)
		}
	}
	if err != nil {
		log.Fatal(err)
	}
	if len(rep.Violations()) > 0 {
		os.Exit(1)
	}
}
