// Package server wires openpca together: store, keys, accounts, the domain
// services and the HTTP listener. cmd/openpca and the end-to-end tests both
// start the server through it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/accounts"
	"github.com/openpca/openpca/internal/awsapi"
	"github.com/openpca/openpca/internal/awsapi/eventsapi"
	"github.com/openpca/openpca/internal/awsapi/pcaapi"
	"github.com/openpca/openpca/internal/awsapi/sqsapi"
	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/natstarget"
	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/queue"
	"github.com/openpca/openpca/internal/sigv4"
	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config is the server's configuration; the zero value of each optional
// field means its documented default.
type Config struct {
	Listen    string // default 127.0.0.1:8080
	DataDir   string // default ./openpca-data
	Region    string // default us-east-1
	Database  string // default: SQLite in the data dir
	AccountID string // the default account, default 000000000000
	KEK       string // key-encryption key (OPENPCA_KEK); default DATA_DIR/kek
	NATSURL   string // NATS server for NATS subject targets; none by default
	Pprof     bool   // serve net/http/pprof under /debug/pprof/
	// Bootstrap key of the default account (OPENPCA_ACCESS_KEY_ID / OPENPCA_SECRET_ACCESS_KEY).
	AccessKeyID     string
	SecretAccessKey string
}

func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./openpca-data"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.AccountID == "" {
		c.AccountID = "000000000000"
	}
}

// Server is a running openpca.
type Server struct {
	cfg      Config
	log      *slog.Logger
	clock    clock.Clock
	store    store.Store
	keys     keys.Backend
	listener net.Listener
	http     *http.Server
	metrics  *prometheus.Registry
	queues   *queue.Service
	nats     *natstarget.Sender // nil without --nats-url
	// dispatcher routes committed events to their targets from Serve to Shutdown.
	dispatcher   *events.Dispatcher
	stopDispatch context.CancelFunc
	dispatchDone chan struct{}
}

// Option adjusts how the server is built.
type Option func(*Server)

// WithLogger sets the logger (default: text to stderr).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock (default: the system clock).
func WithClock(c clock.Clock) Option { return func(s *Server) { s.clock = c } }

// WithNATS delivers NATS subject targets through the NATS server at url
// (the same as Config.NATSURL).
func WithNATS(url string) Option { return func(s *Server) { s.cfg.NATSURL = url } }

// WithKeyBackend replaces the software key backend (an HSM, or a failing one in tests).
func WithKeyBackend(b keys.Backend) Option { return func(s *Server) { s.keys = b } }

// Resources opened from a config: the database and the key-encryption key.
type Resources struct {
	Store  store.Store
	Sealer *keys.Software
}

// Open opens the database and key-encryption key named by cfg, creating the
// data directory on first use. `accounts create` shares it with serve.
func Open(ctx context.Context, cfg Config) (Resources, error) {
	cfg.defaults()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return Resources{}, fmt.Errorf("server: data dir: %w", err)
	}
	kek, err := keys.LoadKEK(cfg.DataDir, cfg.KEK)
	if err != nil {
		return Resources{}, err
	}
	sealer, err := keys.NewSoftware(kek)
	if err != nil {
		return Resources{}, err
	}
	var st store.Store
	switch {
	case cfg.Database == "":
		st, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "openpca.db"))
	case strings.HasPrefix(cfg.Database, "postgres://"), strings.HasPrefix(cfg.Database, "postgresql://"):
		return Resources{}, errors.New("server: PostgreSQL storage is not available in this build yet; omit --database to use the embedded SQLite store")
	default:
		return Resources{}, fmt.Errorf("server: --database %q is not a postgres:// URL", cfg.Database)
	}
	if err != nil {
		return Resources{}, err
	}
	return Resources{Store: st, Sealer: sealer}, nil
}

// New opens everything and binds the listener; Serve starts answering.
func New(ctx context.Context, cfg Config, opts ...Option) (*Server, error) {
	cfg.defaults()
	s := &Server{cfg: cfg, log: slog.New(slog.NewTextHandler(os.Stderr, nil)), clock: clock.Real{}}
	for _, o := range opts {
		o(s)
	}
	res, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.store = res.Store
	if s.keys == nil {
		s.keys = res.Sealer
	}
	registry := accounts.New(s.store, res.Sealer, s.clock)
	if err := s.bootstrap(ctx, registry); err != nil {
		s.store.Close()
		return nil, err
	}
	s.listener, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		s.store.Close()
		return nil, fmt.Errorf("server: listen: %w", err)
	}
	service := pca.New(s.store, s.keys, cfg.Region, pca.WithClock(s.clock), pca.WithLogger(s.log),
		pca.WithBaseURL("http://"+s.listener.Addr().String()))
	pcaAPI, err := pcaapi.New(service)
	if err != nil {
		s.listener.Close()
		s.store.Close()
		return nil, err
	}
	baseURL := "http://" + s.listener.Addr().String()
	s.queues = queue.New(s.store, cfg.Region, queue.WithClock(s.clock), queue.WithLogger(s.log), queue.WithBaseURL(baseURL))
	s.metrics = prometheus.NewRegistry()
	s.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	busOpts := []events.BusOption{events.WithBusClock(s.clock), events.WithSealer(res.Sealer)}
	dispatchOpts := []events.DispatcherOption{events.WithDispatchClock(s.clock), events.WithDispatchLogger(s.log),
		events.WithMetrics(events.NewMetrics(s.metrics)),
		events.WithSender(events.KindAPIDestination, events.NewAPIDestinations(s.store, res.Sealer, nil, s.clock))}
	if s.cfg.NATSURL != "" {
		if s.nats, err = natstarget.Connect(s.cfg.NATSURL); err != nil {
			s.listener.Close()
			s.store.Close()
			return nil, err
		}
		busOpts = append(busOpts, events.WithNATSTargets())
		dispatchOpts = append(dispatchOpts, events.WithSender(events.KindNATS, s.nats))
	}
	s.dispatcher = events.NewDispatcher(s.store, s.queues, dispatchOpts...)
	bus := events.NewBus(s.store, cfg.Region, busOpts...)
	eventsAPI, err := eventsapi.New(bus)
	if err != nil {
		s.listener.Close()
		s.store.Close()
		return nil, err
	}
	sqsAPI, err := sqsapi.New(s.queues)
	if err != nil {
		s.listener.Close()
		s.store.Close()
		return nil, err
	}
	verifier := &sigv4.Verifier{Region: cfg.Region, Credentials: registry, Now: s.clock.Now}
	edge := awsapi.NewHandler(verifier, s.log, pcaAPI, eventsAPI, sqsAPI)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	})
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}))
	mux.Handle("/", edge)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	return s, nil
}

// Addr is the bound listen address (useful with port 0).
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Serve answers requests until Shutdown.
func (s *Server) Serve() error {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopDispatch, s.dispatchDone = cancel, make(chan struct{})
	go func() {
		defer close(s.dispatchDone)
		s.dispatcher.Run(ctx)
	}()
	s.log.Info("openpca listening", "addr", s.Addr(), "region", s.cfg.Region, "data_dir", s.cfg.DataDir)
	err := s.http.Serve(s.listener)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown drains in-flight requests, stops event dispatch (deliveries in
// flight finish or are retried after a restart), then closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.queues.Close() // ends long polls so the HTTP drain does not wait for them
	err := s.http.Shutdown(ctx)
	if s.stopDispatch != nil {
		s.stopDispatch()
		select {
		case <-s.dispatchDone:
		case <-ctx.Done():
		}
	}
	if s.nats != nil {
		s.nats.Close()
	}
	return errors.Join(err, s.store.Close())
}

// bootstrap makes sure the default account exists with a key and that
// DATA_DIR/credentials holds a key for it.
func (s *Server) bootstrap(ctx context.Context, registry *accounts.Registry) error {
	exists, err := registry.Exists(ctx, s.cfg.AccountID)
	if err != nil {
		return err
	}
	var creds accounts.Credentials
	switch {
	case !exists:
		creds, err = registry.Create(ctx, s.cfg.AccountID, s.cfg.AccessKeyID, s.cfg.SecretAccessKey)
	case s.cfg.AccessKeyID != "":
		// A key given in the environment on a later start is added if new.
		if known, lookupErr := registry.LookupAccessKey(ctx, s.cfg.AccessKeyID); lookupErr == nil {
			if known.AccountID != s.cfg.AccountID || known.SecretAccessKey != s.cfg.SecretAccessKey {
				return fmt.Errorf("server: access key %s already exists with another secret or account", s.cfg.AccessKeyID)
			}
			return nil
		}
		creds, err = registry.AddKey(ctx, s.cfg.AccountID, s.cfg.AccessKeyID, s.cfg.SecretAccessKey)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	path := filepath.Join(s.cfg.DataDir, "credentials")
	content := fmt.Sprintf("[openpca]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n",
		creds.AccessKeyID, creds.SecretAccessKey, s.cfg.Region)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("server: write credentials: %w", err)
	}
	s.log.Info("credentials written", "path", path, "account", creds.AccountID, "profile", "openpca")
	return nil
}
