package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// writer creates, updates and deletes workflows, one write at a time, and
// remembers what each answer said. After a write that failed (a 5xx or no
// answer) it leaves that workflow alone, so the final state tells whether
// the failed write happened anyway.
type writer struct {
	c    *client
	run  string // names are unique to this run
	next int

	live   []*tracked // acknowledged, not deleted, not frozen
	all    []*tracked
	counts WriteCounts
}

// tracked is one workflow the writer made, and what it must look like at
// the end.
type tracked struct {
	name string
	id   string // "" until a create was acknowledged
	// want: "present" with description desc, or "absent".
	want string
	desc string
	// frozen: a write to it failed; why is kept for the report.
	frozen string
}

// WriteCounts count the writer's requests by outcome.
type WriteCounts struct {
	Acknowledged int `json:"acknowledged"`
	Failed       int `json:"failed"` // 5xx or no answer: allowed only while the store is down
	Other        int `json:"other"`  // an unexpected 4xx
}

// WriteCheck is the final check of the writes.
type WriteCheck struct {
	WriteCounts
	Workflows int `json:"workflows_tracked"`
	// Lost: acknowledged writes missing from the final state.
	Lost []string `json:"lost"`
	// FailedButDone: writes answered as failed that happened anyway.
	FailedButDone []string `json:"failed_but_done"`
	Error         string   `json:"error,omitempty"`
}

func newWriter(c *client) *writer {
	return &writer{c: c, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// maxLive keeps the writer far from the server's cap on workflows.
const maxLive = 150

func (w *writer) step(ctx context.Context, rng *rand.Rand) []result {
	switch p := rng.IntN(10); {
	case len(w.live) > 0 && (p < 2 || len(w.live) >= maxLive):
		i := rng.IntN(len(w.live))
		return w.remove(ctx, i)
	case len(w.live) > 0 && p < 5:
		return w.update(ctx, rng.IntN(len(w.live)))
	}
	return w.create(ctx)
}

// outcome sorts a write's answer: acknowledged, failed (the writer cannot
// know whether it happened) or refused (the server said no: a bug here).
func (w *writer) outcome(res result, ok int) string {
	switch {
	case res.status == ok:
		w.counts.Acknowledged++
		return "ack"
	case res.status == 0 || res.status >= 500:
		w.counts.Failed++
		return "failed"
	}
	w.counts.Other++
	return "refused"
}

func (w *writer) create(ctx context.Context) []result {
	w.next++
	t := &tracked{name: fmt.Sprintf("soak-%s-%d", w.run, w.next), desc: "v0"}
	body := fmt.Sprintf(`{"name":%q,"description":"v0","user_prompt_template":"分析 {{code}}","variables":[{"name":"code","type":"stock_code"}],"selected_tools":["get_stock_basic"]}`, t.name)
	res, b := w.c.do(ctx, "write", "POST", "/api/workflows", "application/json", body)
	w.all = append(w.all, t)
	switch w.outcome(res, 201) {
	case "ack":
		var out struct {
			ID string `json:"id"`
		}
		json.Unmarshal(b, &out)
		t.id, t.want = out.ID, "present"
		w.live = append(w.live, t)
	case "failed":
		t.want, t.frozen = "absent", fmt.Sprintf("create at %s answered %d %s", res.start.Format("15:04:05.000"), res.status, res.err)
	default:
		t.want = "absent"
	}
	return []result{res}
}

func (w *writer) update(ctx context.Context, i int) []result {
	t := w.live[i]
	desc := "v" + strconv.Itoa(w.next)
	w.next++
	res, _ := w.c.do(ctx, "write", "PUT", "/api/workflows/"+t.id, "application/json", fmt.Sprintf(`{"description":%q}`, desc))
	switch w.outcome(res, 200) {
	case "ack":
		t.desc = desc
	case "failed":
		t.frozen = fmt.Sprintf("update to %s at %s answered %d %s", desc, res.start.Format("15:04:05.000"), res.status, res.err)
		w.freeze(i)
	}
	return []result{res}
}

func (w *writer) remove(ctx context.Context, i int) []result {
	t := w.live[i]
	res, _ := w.c.do(ctx, "write", "DELETE", "/api/workflows/"+t.id, "", "")
	switch w.outcome(res, 200) {
	case "ack":
		t.want = "absent"
		w.freeze(i)
	case "failed":
		t.frozen = fmt.Sprintf("delete at %s answered %d %s", res.start.Format("15:04:05.000"), res.status, res.err)
		w.freeze(i)
	}
	return []result{res}
}

// freeze takes a workflow out of the writer's hands.
func (w *writer) freeze(i int) {
	w.live[i] = w.live[len(w.live)-1]
	w.live = w.live[:len(w.live)-1]
}

// verify lists every workflow through the API (what a user would see,
// cache included) and compares it with what the answers said.
func (w *writer) verify(ctx context.Context) WriteCheck {
	chk := WriteCheck{WriteCounts: w.counts, Workflows: len(w.all)}
	type seen struct{ id, desc string }
	byName := map[string]seen{}
	for offset := 0; ; offset += 100 {
		res, b := w.c.do(ctx, "verify", "GET", fmt.Sprintf("/api/workflows?include_templates=false&limit=100&offset=%d", offset), "", "")
		var page struct {
			Workflows []struct {
				ID          string `json:"id"`
				Name        string `json:"name"`
				Description string `json:"description"`
			} `json:"workflows"`
			Total int `json:"total"`
		}
		if res.status != 200 || json.Unmarshal(b, &page) != nil {
			chk.Error = fmt.Sprintf("listing the workflows: %d %s", res.status, res.err)
			return chk
		}
		for _, wf := range page.Workflows {
			byName[wf.Name] = seen{wf.ID, wf.Description}
		}
		if len(page.Workflows) < 100 || offset+100 >= page.Total {
			break
		}
	}
	for _, t := range w.all {
		got, present := byName[t.name]
		switch {
		case t.frozen != "" && t.want == "absent" && present: // a create answered as failed
			chk.FailedButDone = append(chk.FailedButDone, t.name+": "+t.frozen+", yet it exists")
		case t.frozen != "" && t.want == "present" && !present:
			chk.FailedButDone = append(chk.FailedButDone, t.name+": "+t.frozen+", yet it is gone")
		case t.frozen != "" && t.want == "present" && got.desc != t.desc:
			chk.FailedButDone = append(chk.FailedButDone, fmt.Sprintf("%s: %s, yet its description is %q (last acknowledged %q)", t.name, t.frozen, got.desc, t.desc))
		case t.frozen == "" && t.want == "present" && !present:
			chk.Lost = append(chk.Lost, t.name+": acknowledged, missing")
		case t.frozen == "" && t.want == "present" && got.desc != t.desc:
			chk.Lost = append(chk.Lost, fmt.Sprintf("%s: description %q, last acknowledged %q", t.name, got.desc, t.desc))
		case t.frozen == "" && t.want == "absent" && present:
			chk.Lost = append(chk.Lost, t.name+": deletion acknowledged, still listed")
		}
	}
	return chk
}
