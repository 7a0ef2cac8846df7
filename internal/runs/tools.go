package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/query"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// Tools binds every tool of the catalogue to its question in funcs (the
// market questions of query.Queries.Tools), so the model's calls run the
// same code, with the same cache entries, as the HTTP endpoints. A tool
// without a question, or a question no tool names, is an error: the wiring
// is incomplete. A question's *query.Error goes back to the model as the
// tool's error message (it names the argument to fix); a store failure as
// a plain "unavailable", logged here with the details.
func Tools(catalogue []workflow.Tool, funcs map[string]query.ToolFunc, logger *slog.Logger) ([]agent.Tool, error) {
	if logger == nil {
		logger = slog.Default()
	}
	out := make([]agent.Tool, 0, len(catalogue))
	named := map[string]bool{}
	for _, spec := range catalogue {
		fn := funcs[spec.Name]
		if fn == nil {
			return nil, fmt.Errorf("runs: tool %s of the catalogue has no question to answer it", spec.Name)
		}
		named[spec.Name] = true
		name := spec.Name
		out = append(out, agent.NewTool(spec, func(ctx context.Context, args json.RawMessage) ([]byte, bool, error) {
			ans, err := fn(ctx, args)
			if err == nil {
				return ans.Body, ans.Cache == query.Hit, nil
			}
			var qe *query.Error
			if errors.As(err, &qe) {
				return nil, false, errors.New(qe.Message)
			}
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			logger.Error("workflow tool failed", "tool", name, "err", err)
			return nil, false, errors.New("the data store is unavailable; try again later")
		}))
	}
	var extra []string
	for name := range funcs {
		if !named[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("runs: questions %v are no tool of the catalogue", extra)
	}
	return out, nil
}
