package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"

	"github.com/openai/openai-go/v3"
)

// Error codes of a failed or canceled run (RunError.Code, the error event)
// and of a failed generation. The HTTP layer maps them to statuses.
const (
	CodeCanceled         = "canceled"              // the client left or POST /api/runs/{id}/cancel
	CodeRunTimeout       = "run_timeout"           // the run outlived Config.RunTimeout
	CodeTooManyRounds    = "too_many_rounds"       // still calling tools after Config.MaxRounds
	CodeInvalidRun       = "invalid_run"           // the request itself (no prompt, unknown tool)
	CodeRateLimited      = "llm_rate_limited"      // 429 after the retries
	CodeUnavailable      = "llm_unavailable"       // 5xx after the retries, or unreachable
	CodeAuth             = "llm_auth"              // 401/403: the key is refused
	CodeModelNotFound    = "llm_model_not_found"   // 404: no such model (or base URL)
	CodeToolsUnsupported = "llm_tools_unsupported" // the provider or model refuses tool definitions
	CodeBadRequest       = "llm_bad_request"       // another 4xx
	CodeBadStream        = "llm_bad_stream"        // a chunk that is not a chat.completion.chunk
	CodeStreamBroken     = "llm_stream_broken"     // the connection dropped or the stream ended early
	CodeBadDraft         = "invalid_draft"         // generation: still invalid after the repair round
)

// Error is a run's or a generation's failure, with a code for clients and
// a message naming the problem for people.
type Error struct {
	Code    string
	Message string
	Status  int // the provider's HTTP status, when it answered with one
	Err     error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// ErrCanceled is the cause to cancel a run's context with (see
// context.WithCancelCause) when a user cancels it: the run ends canceled
// with the message "the run was canceled", where any other cause reads as
// the client having gone away. Cancel uses it.
var ErrCanceled = errors.New("canceled through the API")

var (
	errRunTimeout  = errors.New("run timeout")
	errStreamEnded = errors.New("the stream ended before a finish_reason")
)

// providerError turns what the model call returned into an *Error. resp
// is the provider's last HTTP answer, if any; its body has been buffered
// by the SDK for an error status.
func (a *Agent) providerError(ctx context.Context, err error, resp *http.Response, attempts int, withTools bool) *Error {
	if ctxErr := contextError(ctx, a.cfg.RunTimeout); ctxErr != nil {
		return ctxErr
	}
	var apiErr *openai.Error
	status := 0
	if errors.As(err, &apiErr) {
		status = apiErr.StatusCode
	} else if resp != nil && resp.StatusCode >= 400 {
		status = resp.StatusCode
	}
	if status >= 400 {
		msg := providerMessage(apiErr, resp)
		e := &Error{Status: status, Err: err}
		switch {
		case status == http.StatusTooManyRequests:
			e.Code = CodeRateLimited
			e.Message = fmt.Sprintf("the model provider rate-limited the run (429) after %d attempts: %s", attempts, msg)
		case status >= 500:
			e.Code = CodeUnavailable
			e.Message = fmt.Sprintf("the model provider failed (%d) after %d attempts: %s", status, attempts, msg)
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			e.Code = CodeAuth
			e.Message = fmt.Sprintf("the model provider refused the API key (%d): %s; check OPENAI_API_KEY", status, msg)
		case withTools && mentionsTools(msg):
			e.Code = CodeToolsUnsupported
			e.Message = fmt.Sprintf("model %q does not accept tool definitions (function calling), which workflows need: the provider answered %d: %s; choose a model with tool support or enable tool calling on the server (vLLM: --enable-auto-tool-choice --tool-call-parser)", a.cfg.Model, status, msg)
		case status == http.StatusNotFound:
			e.Code = CodeModelNotFound
			e.Message = fmt.Sprintf("the model provider answered 404 for model %q: %s; check OPENAI_MODEL and OPENAI_BASE_URL", a.cfg.Model, msg)
		default:
			e.Code = CodeBadRequest
			e.Message = fmt.Sprintf("the model provider refused the request (%d): %s", status, msg)
		}
		return e
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) || errors.As(err, &typ):
		return &Error{Code: CodeBadStream, Message: fmt.Sprintf("the model sent a chunk that is not valid chat.completion.chunk JSON: %v", err), Err: err}
	case errors.Is(err, errStreamEnded):
		return &Error{Code: CodeStreamBroken, Message: "the model's stream ended before it said it was finished (no finish_reason)", Err: err}
	case resp != nil && isBroken(err):
		return &Error{Code: CodeStreamBroken, Message: fmt.Sprintf("the connection to the model dropped mid-stream: %v", err), Err: err}
	case resp == nil:
		return &Error{Code: CodeUnavailable, Message: fmt.Sprintf("the model provider cannot be reached after %d attempts: %v", attempts, err), Err: err}
	}
	if strings.Contains(err.Error(), "received error while streaming") {
		return &Error{Code: CodeStreamBroken, Message: "the model provider reported an error mid-stream: " + err.Error(), Err: err}
	}
	return &Error{Code: CodeStreamBroken, Message: "the model stream failed: " + err.Error(), Err: err}
}

// contextError says why ctx ended, if it did: canceled, or the run
// timeout.
func contextError(ctx context.Context, timeout fmt.Stringer) *Error {
	if ctx.Err() == nil {
		return nil
	}
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errRunTimeout):
		return &Error{Code: CodeRunTimeout, Message: fmt.Sprintf("the run did not finish within %s (AGENT_RUN_TIMEOUT)", timeout), Err: cause}
	case errors.Is(cause, ErrCanceled):
		return &Error{Code: CodeCanceled, Message: "the run was canceled", Err: cause}
	case errors.Is(cause, context.DeadlineExceeded):
		return &Error{Code: CodeRunTimeout, Message: "the run's deadline passed", Err: cause}
	}
	return &Error{Code: CodeCanceled, Message: "the run was canceled: the client went away", Err: cause}
}

func isBroken(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), "unexpected EOF") || strings.Contains(err.Error(), "connection reset")
}

// mentionsTools spots the ways providers say they do not do tools: Ollama
// "does not support tools", vLLM "auto" tool choice requires
// --enable-auto-tool-choice, others "tool_choice"/"functions" not supported.
func mentionsTools(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "tool") || strings.Contains(m, "function call") || strings.Contains(m, "function_call") || strings.Contains(m, "functions")
}

// providerMessage digs the message out of an error answer in the shapes
// compatible servers use: {"error":{"message"}}, {"error":"…"},
// {"message"} (vLLM), {"detail"}; else the start of the body.
func providerMessage(apiErr *openai.Error, resp *http.Response) string {
	if apiErr != nil && apiErr.Message != "" {
		return apiErr.Message
	}
	if resp == nil || resp.Body == nil {
		return "no details"
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var shapes struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  any             `json:"detail"`
	}
	if json.Unmarshal(body, &shapes) == nil {
		var nested struct {
			Message string `json:"message"`
		}
		var flat string
		switch {
		case json.Unmarshal(shapes.Error, &nested) == nil && nested.Message != "":
			return nested.Message
		case json.Unmarshal(shapes.Error, &flat) == nil && flat != "":
			return flat
		case shapes.Message != "":
			return shapes.Message
		case shapes.Detail != nil:
			return fmt.Sprint(shapes.Detail)
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		return "empty answer"
	}
	return s
}
