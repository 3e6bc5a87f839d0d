package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/sony/gobreaker/v2"
)

// Outcomes of one call to one provider, as audited.
const (
	outcomeOK          = "ok"
	outcomeTimeout     = "timeout"
	outcomeServerError = "server_error" // 5xx
	outcomeRateLimited = "rate_limited" // 429
	outcomeRefused     = "refused"      // another 4xx
	outcomeTransport   = "transport"    // no HTTP answer
	outcomeEmpty       = "empty"        // an answer without a choice
	outcomeOpen        = "circuit_open" // the breaker is open: not called
	outcomeCooling     = "retry_after"  // a 429's retry-after has not passed: not called
	outcomeCancelled   = "cancelled"    // the turn's own context ended
)

// endpoint is a provider with its client, breaker and retry-after.
type endpoint struct {
	Provider
	chat    openai.ChatCompletionService
	breaker *gobreaker.CircuitBreaker[*openai.ChatCompletion]

	mu        sync.Mutex
	notBefore time.Time // from a 429's retry-after
}

// defaultBase is the base URL of a kind when none is configured.
var defaultBase = map[string]string{
	KindOpenAI: "https://api.openai.com/v1/",
	KindOllama: "http://127.0.0.1:11434/v1/",
}

// newEndpoint builds the provider's client. The chat completions service
// is built on its own, not through openai.NewClient, so that no OPENAI_*
// variable of the environment (a key, a base URL) reaches a provider it
// was not configured for.
func newEndpoint(p Provider, o Options) (*endpoint, error) {
	switch p.Kind {
	case KindOpenAI, KindAzure, KindOllama, KindVLLM, KindLlamaCpp:
	default:
		return nil, fmt.Errorf("llm: provider %s: unknown kind %q", p.Name, p.Kind)
	}
	if p.Output != OutputJSONSchema && p.Output != OutputTools {
		return nil, fmt.Errorf("llm: provider %s: output %q: want %s or %s", p.Name, p.Output, OutputJSONSchema, OutputTools)
	}
	if p.Model == "" {
		return nil, fmt.Errorf("llm: provider %s: no model", p.Name)
	}
	base := p.BaseURL
	if base == "" {
		base = defaultBase[p.Kind]
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("llm: provider %s: base URL %q: want http(s)://host/…", p.Name, base)
	}
	opts := []option.RequestOption{option.WithBaseURL(base), option.WithHTTPClient(o.HTTPClient), option.WithMaxRetries(0)}
	switch {
	case p.Kind == KindAzure:
		if p.APIKey != "" {
			opts = append(opts, option.WithHeader("api-key", p.APIKey))
		}
		if p.APIVersion != "" {
			opts = append(opts, option.WithQuery("api-version", p.APIVersion))
		}
	case p.APIKey != "":
		opts = append(opts, option.WithAPIKey(p.APIKey))
	}
	ep := &endpoint{Provider: p, chat: openai.NewChatCompletionService(opts...)}
	failures := uint32(o.BreakerFailures)
	ep.breaker = gobreaker.NewCircuitBreaker[*openai.ChatCompletion](gobreaker.Settings{
		Name:         p.Name,
		MaxRequests:  1,
		Timeout:      o.BreakerCooldown,
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsSuccessful: func(err error) bool { return err == nil || !unhealthy(err) },
		IsExcluded:   func(err error) bool { var g callerGone; return errors.As(err, &g) },
	})
	return ep, nil
}

// callerGone wraps the error of a call whose turn ended meanwhile: it says
// nothing about the provider.
type callerGone struct{ error }

func (c callerGone) Unwrap() error { return c.error }

// unhealthy reports whether an error counts against a provider's health:
// a timeout, a transport error, a 5xx, a 429, 401 or 403. Another 4xx is
// about the request (too long, a parameter the server lacks).
func unhealthy(err error) bool {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		s := apiErr.StatusCode
		return s >= 500 || s == http.StatusTooManyRequests || s == http.StatusUnauthorized || s == http.StatusForbidden
	}
	return true
}

// attempt is one call to one provider.
type attempt struct {
	outcome    string
	status     int
	retryAfter time.Duration
	latency    time.Duration
	resp       *openai.ChatCompletion
	err        error
}

// do calls the provider once (its breaker and retry-after permitting),
// bounded by its timeout.
func (ep *endpoint) do(ctx context.Context, r *request, now func() time.Time, maxWait time.Duration) attempt {
	ep.mu.Lock()
	until := ep.notBefore
	ep.mu.Unlock()
	if t := now(); t.Before(until) {
		return attempt{outcome: outcomeCooling, retryAfter: until.Sub(t)}
	}
	params := ep.params(r)
	start := time.Now()
	resp, err := ep.breaker.Execute(func() (*openai.ChatCompletion, error) {
		cctx, cancel := context.WithTimeout(ctx, ep.Timeout)
		defer cancel()
		res, err := ep.chat.New(cctx, params)
		if err != nil && ctx.Err() != nil {
			return nil, callerGone{err}
		}
		if err == nil && len(res.Choices) == 0 {
			return nil, errEmpty
		}
		return res, err
	})
	a := attempt{outcome: outcomeOK, latency: time.Since(start), resp: resp, err: err}
	if err != nil {
		a.classify(err)
	}
	if a.outcome == outcomeRateLimited && a.retryAfter > 0 {
		ep.mu.Lock()
		ep.notBefore = now().Add(min(a.retryAfter, maxWait))
		ep.mu.Unlock()
	}
	return a
}

var errEmpty = errors.New("the answer holds no choice")

// classify names a failed attempt's outcome.
func (a *attempt) classify(err error) {
	var apiErr *openai.Error
	var gone callerGone
	switch {
	case errors.As(err, &gone):
		a.outcome = outcomeCancelled
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		a.outcome = outcomeOpen
	case errors.Is(err, errEmpty):
		a.outcome = outcomeEmpty
	case errors.As(err, &apiErr):
		a.status = apiErr.StatusCode
		switch {
		case a.status == http.StatusTooManyRequests:
			a.outcome = outcomeRateLimited
			if apiErr.Response != nil {
				a.retryAfter = retryAfter(apiErr.Response.Header, time.Now())
			}
		case a.status >= 500:
			a.outcome = outcomeServerError
		default:
			a.outcome = outcomeRefused
		}
	case errors.Is(err, context.DeadlineExceeded):
		a.outcome = outcomeTimeout
	default:
		a.outcome = outcomeTransport
	}
}

// retryAfter reads how long a server asks to wait: retry-after-ms, then
// Retry-After in seconds or as an HTTP date. 0 when absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := h.Get("Retry-After")
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// params is the request in the provider's form: a json_schema response
// format or function tools for structured answers, plain text otherwise.
func (ep *endpoint) params(r *request) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{Model: ep.Model}
	for _, m := range r.messages {
		switch m.role {
		case roleSystem:
			p.Messages = append(p.Messages, openai.SystemMessage(m.content))
		case roleAssistant:
			p.Messages = append(p.Messages, openai.AssistantMessage(m.content))
		default:
			p.Messages = append(p.Messages, openai.UserMessage(m.content))
		}
	}
	if ep.Kind == KindOpenAI || ep.Kind == KindAzure {
		p.MaxCompletionTokens = openai.Int(int64(ep.MaxTokens))
	} else {
		p.MaxTokens = openai.Int(int64(ep.MaxTokens))
	}
	switch {
	case r.format == nil:
	case ep.Output == OutputTools:
		fns := r.tools
		if len(fns) == 0 {
			fns = []function{{name: r.format.name, description: r.format.description, schema: r.format.schema}}
		}
		for _, f := range fns {
			p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name: f.name, Description: openai.String(f.description), Parameters: shared.FunctionParameters(f.schema),
			}))
		}
		p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	default:
		p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: r.format.name, Description: openai.String(r.format.description), Schema: r.format.schema},
		}}
	}
	return p
}
