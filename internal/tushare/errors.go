package tushare

import (
	"errors"
	"fmt"
	"strings"
)

// Classes of failure a caller may test with errors.Is.
var (
	// ErrBadToken: the server rejected the token (code 40101, 您的token不对).
	ErrBadToken = errors.New("tushare: token rejected")
	// ErrRateLimited: the per-minute (or per-hour/day) quota of an api_name
	// is used up (code 40203, 抱歉，您每分钟最多访问该接口…).
	ErrRateLimited = errors.New("tushare: rate limit")
	// ErrNoPermission: the account's points do not allow the call (code
	// 40203, 抱歉，您没有接口访问权限…), or its daily quota is used up
	// (每天最多访问), which no retry within this run can fix.
	ErrNoPermission = errors.New("tushare: not enough points for this api")
)

// Codes Tushare Pro answers with. Tushare reuses 40203 for both "too many
// calls" and "not enough points", so the message decides between them.
const (
	codeBadToken = 40101
	codeQuota    = 40203
)

// APIError is a non-zero code in a Tushare answer.
type APIError struct {
	API       string // api_name of the call
	Code      int
	Msg       string // the server's message, verbatim
	RequestID string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("tushare %s: code %d: %s", e.API, e.Code, e.Msg)
}

// Is lets errors.Is match the class of the answer.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadToken:
		return e.Code == codeBadToken || strings.Contains(e.Msg, "token不对")
	case ErrRateLimited:
		return e.rateLimited()
	case ErrNoPermission:
		return e.Code == codeQuota && !e.rateLimited()
	}
	return false
}

// rateLimited tells a quota answer from every other one by its message: the
// code alone does not (see codeQuota).
func (e *APIError) rateLimited() bool {
	m := strings.ToLower(e.Msg)
	for _, s := range []string{"每分钟", "每小时", "频率", "频次", "rate"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// HTTPError is an answer with an HTTP status other than 200.
type HTTPError struct {
	API    string
	Status int
	Body   string // the start of the body, for the log
}

func (e *HTTPError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("tushare %s: HTTP %d", e.API, e.Status)
	}
	return fmt.Sprintf("tushare %s: HTTP %d: %s", e.API, e.Status, e.Body)
}

// Is makes a 429 answer count as a rate limit.
func (e *HTTPError) Is(target error) bool { return target == ErrRateLimited && e.Status == 429 }

// retryable reports whether trying the same call again may succeed.
func retryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return errors.Is(apiErr, ErrRateLimited)
	}
	var httpErr *HTTPError
	if errors.As(err, &httpErr) {
		return httpErr.Status >= 500 || httpErr.Status == 429 || httpErr.Status == 408
	}
	// Everything else is the network or a truncated body: a dropped
	// connection, a reset, a timeout of this one attempt.
	return true
}
