// Command openpca is a private certificate authority that speaks the AWS
// Private CA API.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/openpca/openpca/internal/accounts"
	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage:
  openpca serve [--listen 127.0.0.1:8080] [--data-dir ./openpca-data] [--region us-east-1]
                [--database postgres://...] [--account-id 000000000000] [--s3-endpoint URL]
                [--log-format text|json]
  openpca accounts create [--data-dir DIR | --database postgres://...] [--account-id ID]
  openpca version

Every flag also reads an environment variable: OPENPCA_LISTEN, OPENPCA_DATA_DIR, OPENPCA_REGION,
OPENPCA_DATABASE, OPENPCA_ACCOUNT_ID, OPENPCA_S3_ENDPOINT, OPENPCA_LOG_FORMAT.
OPENPCA_ACCESS_KEY_ID / OPENPCA_SECRET_ACCESS_KEY set the default account's key at first start;
OPENPCA_KEK sets the key-encryption key (64 hex digits) instead of DATA_DIR/kek.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stderr)
	case "accounts":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = createAccount(args[2:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "openpca", version)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "openpca: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "openpca:", err)
		return 1
	}
	return 0
}

// stringFlag defines a flag whose default comes from an environment variable.
func stringFlag(fs *flag.FlagSet, name, env, def, help string) *string {
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	return fs.String(name, def, help+" (env "+env+")")
}

type commonFlags struct {
	dataDir, database *string
}

func addCommon(fs *flag.FlagSet) commonFlags {
	return commonFlags{
		dataDir:  stringFlag(fs, "data-dir", "OPENPCA_DATA_DIR", "./openpca-data", "data directory"),
		database: stringFlag(fs, "database", "OPENPCA_DATABASE", "", "postgres:// URL (default: SQLite in the data dir)"),
	}
}

// serverGCPercent is the server's GOGC unless the environment sets one.
const serverGCPercent = 400

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := stringFlag(fs, "listen", "OPENPCA_LISTEN", "127.0.0.1:8080", "listen address")
	region := stringFlag(fs, "region", "OPENPCA_REGION", "us-east-1", "AWS region this server answers for")
	s3Endpoint := stringFlag(fs, "s3-endpoint", "OPENPCA_S3_ENDPOINT", "", "external S3 endpoint for CRLs and audit reports")
	pprof := fs.Bool("pprof", false, "serve net/http/pprof under /debug/pprof/ (for profiling; off by default)")
	logFormat := stringFlag(fs, "log-format", "OPENPCA_LOG_FORMAT", "text", "log format: text or json")
	common := addCommon(fs)
	natsURL := stringFlag(fs, "nats-url", "OPENPCA_NATS_URL", "", "NATS server URL for NATS subject event targets")
	accountID := stringFlag(fs, "account-id", "OPENPCA_ACCOUNT_ID", "000000000000", "the default account's ID")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, nil)
	case "json":
		handler = slog.NewJSONHandler(stderr, nil)
	default:
		return fmt.Errorf("serve: --log-format must be text or json, not %q", *logFormat)
	}
	if *s3Endpoint != "" {
		return errors.New("serve: --s3-endpoint is not supported by this build yet")
	}
	if os.Getenv("GOGC") == "" {
		// The live heap is a few MiB and issuance allocates fast: collecting at
		// 4× instead of 2× the live heap cuts GC from ~14% to ~9% of the CPU
		// per certificate (go run ./bench -cpuprofile) for tens of MiB.
		debug.SetGCPercent(serverGCPercent)
	}
	log := slog.New(handler)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, server.Config{
		Listen: *listen, DataDir: *common.dataDir, Region: *region, Database: *common.database,
		AccountID: *accountID, KEK: os.Getenv("OPENPCA_KEK"), NATSURL: *natsURL, Pprof: *pprof,
		AccessKeyID: os.Getenv("OPENPCA_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("OPENPCA_SECRET_ACCESS_KEY"),
	}, server.WithLogger(log))
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

func createAccount(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("accounts create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common := addCommon(fs)
	// Not read from OPENPCA_ACCOUNT_ID: that names the server's default
	// account, which already exists.
	accountID := fs.String("account-id", "", "the new account's 12-digit ID (default: random)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	res, err := server.Open(ctx, server.Config{DataDir: *common.dataDir, Database: *common.database, KEK: os.Getenv("OPENPCA_KEK")})
	if err != nil {
		return err
	}
	defer res.Store.Close()
	creds, err := accounts.New(res.Store, res.Sealer, clock.Real{}).Create(ctx, strings.TrimSpace(*accountID), "", "")
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(struct {
		AccountId       string
		AccessKeyId     string
		SecretAccessKey string
	}{creds.AccountID, creds.AccessKeyID, creds.SecretAccessKey})
}
