package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/openpca/openpca/internal/store"
)

// Sealer encrypts connection secrets at rest (keys.Software implements it).
type Sealer interface {
	Seal(plain, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// WithSealer sets the sealer for connection secrets.
func WithSealer(s Sealer) BusOption { return func(b *Bus) { b.sealer = s } }

// Connection authorization types and states as EventBridge names them.
const (
	AuthBasic  = "BASIC"
	AuthAPIKey = "API_KEY"
	AuthOAuth  = "OAUTH_CLIENT_CREDENTIALS"

	ConnectionAuthorized  = "AUTHORIZED"
	ApiDestinationActive  = "ACTIVE"
	defaultRateLimit      = 300
	connectionAADPrefix   = "openpca/events/connection/"
	apiDestinationARNPart = ":api-destination/"
	connectionARNPart     = ":connection/"
)

// Param is one extra header, query string or body parameter of a connection.
type Param struct {
	Key           string
	Value         string `json:",omitempty"`
	IsValueSecret bool   `json:",omitempty"`
}

// ConnectionHTTPParameters are added to every request made with a connection.
type ConnectionHTTPParameters struct {
	HeaderParameters      []Param `json:",omitempty"`
	QueryStringParameters []Param `json:",omitempty"`
	BodyParameters        []Param `json:",omitempty"`
}

// The secret fields are omitted from the public (describable) copy.
type BasicAuth struct {
	Username string
	Password string `json:",omitempty"`
}
type APIKeyAuth struct {
	ApiKeyName  string
	ApiKeyValue string `json:",omitempty"`
}
type OAuthClient struct {
	ClientID     string
	ClientSecret string `json:",omitempty"`
}
type OAuth struct {
	ClientParameters      OAuthClient
	AuthorizationEndpoint string
	HttpMethod            string
	OAuthHttpParameters   *ConnectionHTTPParameters `json:",omitempty"`
}

// ConnectionAuth is CreateConnection's AuthParameters; it is stored sealed.
type ConnectionAuth struct {
	BasicAuthParameters      *BasicAuth                `json:",omitempty"`
	ApiKeyAuthParameters     *APIKeyAuth               `json:",omitempty"`
	OAuthParameters          *OAuth                    `json:",omitempty"`
	InvocationHttpParameters *ConnectionHTTPParameters `json:",omitempty"`
}

type CreateConnectionInput struct {
	Name              string
	Description       string
	AuthorizationType string
	AuthParameters    ConnectionAuth
}

// ConnectionView is a connection as Describe/List show it: no secret ever.
type ConnectionView struct {
	ConnectionArn      string
	Name               string
	Description        string `json:",omitempty"`
	ConnectionState    string
	AuthorizationType  string
	AuthParameters     json.RawMessage `json:",omitempty"`
	CreationTime       time.Time
	LastModifiedTime   time.Time
	LastAuthorizedTime time.Time
}

func connectionARN(c store.Connection) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:connection/%s/%s", c.Region, c.AccountID, c.Name, c.UUID)
}

func connectionAAD(c store.Connection) []byte {
	return []byte(connectionAADPrefix + c.AccountID + "/" + c.Region + "/" + c.Name + "/" + c.UUID)
}

func viewConnection(c store.Connection) ConnectionView {
	return ConnectionView{ConnectionArn: connectionARN(c), Name: c.Name, Description: c.Description, ConnectionState: c.State,
		AuthorizationType: c.AuthorizationType, AuthParameters: c.Public, CreationTime: c.CreatedAt,
		LastModifiedTime: c.ModifiedAt, LastAuthorizedTime: c.AuthorizedAt}
}

// public strips every secret: passwords, API key values, client secrets and
// parameter values marked secret.
func (a ConnectionAuth) public() ConnectionAuth {
	strip := func(p *ConnectionHTTPParameters) *ConnectionHTTPParameters {
		if p == nil {
			return nil
		}
		out := &ConnectionHTTPParameters{}
		for _, list := range []struct{ in, out *[]Param }{{&p.HeaderParameters, &out.HeaderParameters},
			{&p.QueryStringParameters, &out.QueryStringParameters}, {&p.BodyParameters, &out.BodyParameters}} {
			for _, v := range *list.in {
				if v.IsValueSecret {
					v.Value = ""
				}
				*list.out = append(*list.out, v)
			}
		}
		return out
	}
	var out ConnectionAuth
	if a.BasicAuthParameters != nil {
		out.BasicAuthParameters = &BasicAuth{Username: a.BasicAuthParameters.Username}
	}
	if a.ApiKeyAuthParameters != nil {
		out.ApiKeyAuthParameters = &APIKeyAuth{ApiKeyName: a.ApiKeyAuthParameters.ApiKeyName}
	}
	if o := a.OAuthParameters; o != nil {
		out.OAuthParameters = &OAuth{ClientParameters: OAuthClient{ClientID: o.ClientParameters.ClientID},
			AuthorizationEndpoint: o.AuthorizationEndpoint, HttpMethod: o.HttpMethod, OAuthHttpParameters: strip(o.OAuthHttpParameters)}
	}
	out.InvocationHttpParameters = strip(a.InvocationHttpParameters)
	return out
}

func checkAuth(typ string, a ConnectionAuth) error {
	given := map[string]bool{AuthBasic: a.BasicAuthParameters != nil, AuthAPIKey: a.ApiKeyAuthParameters != nil,
		AuthOAuth: a.OAuthParameters != nil}
	if !given[typ] {
		return fail(Validation, "AuthParameters must include the parameters for AuthorizationType %s.", typ)
	}
	for other, set := range given {
		if other != typ && set {
			return fail(Validation, "AuthParameters must include only the parameters for AuthorizationType %s.", typ)
		}
	}
	return nil
}

// CreateConnection stores a connection with its secrets sealed. Basic and
// API key connections are authorized at once; OAuth connections too, and
// fetch their token on first use (refreshing it on 401 or 407).
func (b *Bus) CreateConnection(ctx context.Context, caller Caller, in CreateConnectionInput) (ConnectionView, error) {
	if err := checkAuth(in.AuthorizationType, in.AuthParameters); err != nil {
		return ConnectionView{}, err
	}
	if b.sealer == nil {
		return ConnectionView{}, errors.New("events: connections need a sealer")
	}
	now := b.clock.Now()
	c := store.Connection{AccountID: caller.AccountID, Region: b.region, Name: in.Name, UUID: uuid.NewString(),
		Description: in.Description, AuthorizationType: in.AuthorizationType, State: ConnectionAuthorized,
		CreatedAt: now, ModifiedAt: now, AuthorizedAt: now}
	public, err := json.Marshal(in.AuthParameters.public())
	if err != nil {
		return ConnectionView{}, fmt.Errorf("events: %w", err)
	}
	secret, err := json.Marshal(in.AuthParameters)
	if err != nil {
		return ConnectionView{}, fmt.Errorf("events: %w", err)
	}
	if c.Sealed, err = b.sealer.Seal(secret, connectionAAD(c)); err != nil {
		return ConnectionView{}, fmt.Errorf("events: seal connection: %w", err)
	}
	c.Public = public
	err = b.store.Update(ctx, func(tx store.Tx) error {
		err := tx.InsertConnection(ctx, c)
		if errors.Is(err, store.ErrConflict) {
			return fail(ResourceAlreadyExists, "Connection %s already exists.", in.Name)
		}
		return err
	})
	if err != nil {
		return ConnectionView{}, err
	}
	return viewConnection(c), nil
}

func (b *Bus) connection(ctx context.Context, r store.Reader, caller Caller, name string) (store.Connection, error) {
	c, err := r.GetConnection(ctx, caller.AccountID, b.region, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, fail(ResourceNotFound, "Failed to describe the connection(s). Connection '%s' does not exist.", name)
	}
	if err != nil {
		return store.Connection{}, fmt.Errorf("events: %w", err)
	}
	return c, nil
}

func (b *Bus) DescribeConnection(ctx context.Context, caller Caller, name string) (ConnectionView, error) {
	c, err := b.connection(ctx, b.store, caller, name)
	if err != nil {
		return ConnectionView{}, err
	}
	return viewConnection(c), nil
}

func (b *Bus) ListConnections(ctx context.Context, caller Caller, prefix, state string) ([]ConnectionView, error) {
	all, err := b.store.ListConnections(ctx, caller.AccountID, b.region)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := []ConnectionView{}
	for _, c := range all {
		if strings.HasPrefix(c.Name, prefix) && (state == "" || c.State == state) {
			v := viewConnection(c)
			v.AuthParameters = nil
			out = append(out, v)
		}
	}
	return out, nil
}

func (b *Bus) DeleteConnection(ctx context.Context, caller Caller, name string) (ConnectionView, error) {
	var v ConnectionView
	err := b.store.Update(ctx, func(tx store.Tx) error {
		c, err := b.connection(ctx, tx, caller, name)
		if err != nil {
			return err
		}
		v = viewConnection(c)
		return tx.DeleteConnection(ctx, caller.AccountID, b.region, name)
	})
	return v, err
}

// nameFromARN returns NAME of arn:aws:events:REGION:ACCOUNT:KIND/NAME/UUID
// when the ARN is of kind and of the given account and region.
func nameFromARN(arn, kindPart, region, account string) (name, id string, ok bool) {
	prefix := "arn:aws:events:" + region + ":" + account + kindPart
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return "", "", false
	}
	name, id, ok = strings.Cut(rest, "/")
	return name, id, ok && name != "" && id != ""
}

type CreateApiDestinationInput struct {
	Name                         string
	Description                  string
	ConnectionArn                string
	InvocationEndpoint           string
	HttpMethod                   string
	InvocationRateLimitPerSecond int
}

type ApiDestinationView struct {
	ApiDestinationArn            string
	Name                         string
	Description                  string `json:",omitempty"`
	ApiDestinationState          string
	ConnectionArn                string
	InvocationEndpoint           string
	HttpMethod                   string
	InvocationRateLimitPerSecond int
	CreationTime                 time.Time
	LastModifiedTime             time.Time
}

func apiDestinationARN(d store.ApiDestination) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:api-destination/%s/%s", d.Region, d.AccountID, d.Name, d.UUID)
}

func viewApiDestination(d store.ApiDestination) ApiDestinationView {
	return ApiDestinationView{ApiDestinationArn: apiDestinationARN(d), Name: d.Name, Description: d.Description,
		ApiDestinationState: d.State, ConnectionArn: d.ConnectionArn, InvocationEndpoint: d.Endpoint, HttpMethod: d.HTTPMethod,
		InvocationRateLimitPerSecond: d.RateLimit, CreationTime: d.CreatedAt, LastModifiedTime: d.ModifiedAt}
}

// CreateApiDestination registers an HTTP endpoint. Plain http:// endpoints
// are accepted (EventBridge requires https) because a self-hosted bus
// commonly posts to services on a private network or loopback.
func (b *Bus) CreateApiDestination(ctx context.Context, caller Caller, in CreateApiDestinationInput) (ApiDestinationView, error) {
	if !strings.HasPrefix(in.InvocationEndpoint, "https://") && !strings.HasPrefix(in.InvocationEndpoint, "http://") {
		return ApiDestinationView{}, fail(Validation, "InvocationEndpoint must be an http:// or https:// URL.")
	}
	rate := in.InvocationRateLimitPerSecond
	if rate == 0 {
		rate = defaultRateLimit
	}
	now := b.clock.Now()
	d := store.ApiDestination{AccountID: caller.AccountID, Region: b.region, Name: in.Name, UUID: uuid.NewString(),
		Description: in.Description, ConnectionArn: in.ConnectionArn, Endpoint: in.InvocationEndpoint, HTTPMethod: in.HttpMethod,
		RateLimit: rate, State: ApiDestinationActive, CreatedAt: now, ModifiedAt: now}
	err := b.store.Update(ctx, func(tx store.Tx) error {
		if _, err := connectionByARN(ctx, tx, caller.AccountID, b.region, in.ConnectionArn); err != nil {
			return err
		}
		err := tx.InsertApiDestination(ctx, d)
		if errors.Is(err, store.ErrConflict) {
			return fail(ResourceAlreadyExists, "An api-destination '%s' already exists.", in.Name)
		}
		return err
	})
	if err != nil {
		return ApiDestinationView{}, err
	}
	return viewApiDestination(d), nil
}

func connectionByARN(ctx context.Context, r store.Reader, account, region, arn string) (store.Connection, error) {
	name, id, ok := nameFromARN(arn, connectionARNPart, region, account)
	if !ok {
		return store.Connection{}, fail(ResourceNotFound, "Connection '%s' does not exist.", arn)
	}
	c, err := r.GetConnection(ctx, account, region, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.UUID != id) {
		return store.Connection{}, fail(ResourceNotFound, "Connection '%s' does not exist.", arn)
	}
	return c, err
}

func (b *Bus) apiDestinationByARN(ctx context.Context, r store.Reader, caller Caller, arn string) (store.ApiDestination, error) {
	return apiDestinationByARN(ctx, r, caller.AccountID, b.region, arn)
}

func apiDestinationByARN(ctx context.Context, r store.Reader, account, region, arn string) (store.ApiDestination, error) {
	name, id, ok := nameFromARN(arn, apiDestinationARNPart, region, account)
	if !ok {
		return store.ApiDestination{}, fail(ResourceNotFound, "API destination '%s' does not exist.", arn)
	}
	d, err := r.GetApiDestination(ctx, account, region, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.UUID != id) {
		return store.ApiDestination{}, fail(ResourceNotFound, "API destination '%s' does not exist.", arn)
	}
	return d, err
}

func (b *Bus) apiDestination(ctx context.Context, r store.Reader, caller Caller, name string) (store.ApiDestination, error) {
	d, err := r.GetApiDestination(ctx, caller.AccountID, b.region, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.ApiDestination{}, fail(ResourceNotFound, "Failed to describe the api-destination(s). An api-destination '%s' does not exist.", name)
	}
	if err != nil {
		return store.ApiDestination{}, fmt.Errorf("events: %w", err)
	}
	return d, nil
}

func (b *Bus) DescribeApiDestination(ctx context.Context, caller Caller, name string) (ApiDestinationView, error) {
	d, err := b.apiDestination(ctx, b.store, caller, name)
	if err != nil {
		return ApiDestinationView{}, err
	}
	return viewApiDestination(d), nil
}

func (b *Bus) ListApiDestinations(ctx context.Context, caller Caller, prefix, connectionArn string) ([]ApiDestinationView, error) {
	all, err := b.store.ListApiDestinations(ctx, caller.AccountID, b.region)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := []ApiDestinationView{}
	for _, d := range all {
		if strings.HasPrefix(d.Name, prefix) && (connectionArn == "" || d.ConnectionArn == connectionArn) {
			out = append(out, viewApiDestination(d))
		}
	}
	return out, nil
}

func (b *Bus) DeleteApiDestination(ctx context.Context, caller Caller, name string) error {
	return b.store.Update(ctx, func(tx store.Tx) error {
		if _, err := b.apiDestination(ctx, tx, caller, name); err != nil {
			return err
		}
		return tx.DeleteApiDestination(ctx, caller.AccountID, b.region, name)
	})
}
