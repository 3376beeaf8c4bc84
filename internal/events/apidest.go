package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/store"
)

// invocationTimeout is EventBridge's limit on one API destination call.
const invocationTimeout = 5 * time.Second

// APIDestinations sends events to API destinations over HTTP with their
// connection's authorization. It caches OAuth tokens in memory (they are
// re-fetched after a restart, as they would be after expiry).
type APIDestinations struct {
	store  store.Reader
	sealer Sealer
	client *http.Client
	clock  clock.Clock

	mu     sync.Mutex
	tokens map[string]oauthToken // by connection ARN
}

type oauthToken struct {
	value   string
	expires time.Time
}

// NewAPIDestinations returns the API destination sender. client may be nil.
func NewAPIDestinations(st store.Reader, sealer Sealer, client *http.Client, clk clock.Clock) *APIDestinations {
	if client == nil {
		client = &http.Client{Timeout: invocationTimeout}
	}
	return &APIDestinations{store: st, sealer: sealer, client: client, clock: clk, tokens: map[string]oauthToken{}}
}

// Send invokes the API destination with the delivery's payload. EventBridge
// retries 401, 407, 409, 429 and 5xx responses and network failures; other
// statuses fail at once.
func (a *APIDestinations) Send(ctx context.Context, del store.Delivery, target Target) error {
	dest, err := apiDestinationByARN(ctx, a.store, del.AccountID, del.Region, del.TargetArn)
	if err != nil {
		return notFoundDelivery(err)
	}
	conn, err := connectionByARN(ctx, a.store, del.AccountID, del.Region, dest.ConnectionArn)
	if err != nil {
		return notFoundDelivery(err)
	}
	plain, err := a.sealer.Open(conn.Sealed, connectionAAD(conn))
	if err != nil {
		return fmt.Errorf("events: open connection %s: %w", conn.Name, err)
	}
	var auth ConnectionAuth
	if err := json.Unmarshal(plain, &auth); err != nil {
		return fmt.Errorf("events: connection %s: %w", conn.Name, err)
	}
	req, err := buildRequest(ctx, dest, target, auth, del.Payload)
	if err != nil {
		return &DeliveryError{Code: "SDK_CLIENT_ERROR", Message: err.Error()}
	}
	connARN := connectionARN(conn)
	switch conn.AuthorizationType {
	case AuthBasic:
		req.SetBasicAuth(auth.BasicAuthParameters.Username, auth.BasicAuthParameters.Password)
	case AuthAPIKey:
		req.Header.Set(auth.ApiKeyAuthParameters.ApiKeyName, auth.ApiKeyAuthParameters.ApiKeyValue)
	case AuthOAuth:
		token, err := a.token(ctx, connARN, *auth.OAuthParameters)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return &DeliveryError{Code: "SDK_CLIENT_ERROR", Message: "Unable to invoke ApiDestination endpoint: " + err.Error(), Retryable: true}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusProxyAuthRequired {
		a.mu.Lock()
		delete(a.tokens, connARN)
		a.mu.Unlock()
	}
	retryable := resp.StatusCode == 401 || resp.StatusCode == 407 || resp.StatusCode == 409 || resp.StatusCode == 429 || resp.StatusCode >= 500
	return &DeliveryError{Code: "SDK_CLIENT_ERROR", Retryable: retryable,
		Message: fmt.Sprintf("Unable to invoke ApiDestination endpoint: The endpoint responded with %d %s.", resp.StatusCode, http.StatusText(resp.StatusCode))}
}

func notFoundDelivery(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &DeliveryError{Code: "RESOURCE_NOT_FOUND", Message: e.Message}
	}
	return err
}

// buildRequest fills path wildcards and merges parameters: the target's
// HttpParameters first, the connection's on top (they take precedence).
func buildRequest(ctx context.Context, dest store.ApiDestination, target Target, auth ConnectionAuth, payload []byte) (*http.Request, error) {
	endpoint := dest.Endpoint
	var hp HttpParameters
	if target.HttpParameters != nil {
		hp = *target.HttpParameters
	}
	for _, v := range hp.PathParameterValues {
		endpoint = strings.Replace(endpoint, "*", url.PathEscape(v), 1)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("invalid InvocationEndpoint %q: %v", dest.Endpoint, err)
	}
	q := u.Query()
	for k, v := range hp.QueryStringParameters {
		q.Set(k, v)
	}
	inv := auth.InvocationHttpParameters
	if inv == nil {
		inv = &ConnectionHTTPParameters{}
	}
	for _, p := range inv.QueryStringParameters {
		q.Set(p.Key, p.Value)
	}
	u.RawQuery = q.Encode()
	body := payload
	if len(inv.BodyParameters) > 0 {
		var obj map[string]json.RawMessage
		if json.Unmarshal(payload, &obj) == nil && obj != nil {
			for _, p := range inv.BodyParameters {
				v, _ := json.Marshal(p.Value)
				obj[p.Key] = v
			}
			if merged, err := json.Marshal(obj); err == nil {
				body = merged
			}
		}
	}
	var reader io.Reader
	if dest.HTTPMethod != http.MethodGet && dest.HTTPMethod != http.MethodHead {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, dest.HTTPMethod, u.String(), reader)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Amazon/EventBridge/ApiDestinations")
	for k, v := range hp.HeaderParameters {
		req.Header.Set(k, v)
	}
	for _, p := range inv.HeaderParameters {
		req.Header.Set(p.Key, p.Value)
	}
	return req, nil
}

// token returns a cached OAuth client-credentials token or fetches one: the
// client ID and secret go as HTTP Basic credentials and the connection's
// OAuthHttpParameters as body, query and headers; the response's
// access_token (and expires_in) are used.
func (a *APIDestinations) token(ctx context.Context, connARN string, o OAuth) (string, error) {
	a.mu.Lock()
	t, ok := a.tokens[connARN]
	a.mu.Unlock()
	if ok && (t.expires.IsZero() || a.clock.Now().Before(t.expires)) {
		return t.value, nil
	}
	u, err := url.Parse(o.AuthorizationEndpoint)
	if err != nil {
		return "", &DeliveryError{Code: "SDK_CLIENT_ERROR", Message: "invalid AuthorizationEndpoint: " + err.Error()}
	}
	params := o.OAuthHttpParameters
	if params == nil {
		params = &ConnectionHTTPParameters{}
	}
	q := u.Query()
	for _, p := range params.QueryStringParameters {
		q.Set(p.Key, p.Value)
	}
	u.RawQuery = q.Encode()
	form := url.Values{}
	for _, p := range params.BodyParameters {
		form.Set(p.Key, p.Value)
	}
	var body io.Reader
	if o.HttpMethod != http.MethodGet {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, o.HttpMethod, u.String(), body)
	if err != nil {
		return "", &DeliveryError{Code: "SDK_CLIENT_ERROR", Message: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, p := range params.HeaderParameters {
		req.Header.Set(p.Key, p.Value)
	}
	req.SetBasicAuth(o.ClientParameters.ClientID, o.ClientParameters.ClientSecret)
	resp, err := a.client.Do(req)
	if err != nil {
		return "", &DeliveryError{Code: "SDK_CLIENT_ERROR", Message: "OAuth token request failed: " + err.Error(), Retryable: true}
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if resp.StatusCode/100 != 2 {
		return "", &DeliveryError{Code: "SDK_CLIENT_ERROR", Retryable: true,
			Message: fmt.Sprintf("OAuth token request failed: the authorization endpoint responded with %d.", resp.StatusCode)}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", &DeliveryError{Code: "SDK_CLIENT_ERROR", Retryable: true, Message: "OAuth token response has no access_token."}
	}
	t = oauthToken{value: tok.AccessToken}
	if tok.ExpiresIn > 0 {
		t.expires = a.clock.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	a.mu.Lock()
	a.tokens[connARN] = t
	a.mu.Unlock()
	return t.value, nil
}
