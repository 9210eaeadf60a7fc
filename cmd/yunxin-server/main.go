// Command yunxin-server serves the yunxinIM server (package server) with its
// configuration from the environment (server.ConfigFromEnv):
//
//	yunxin-server                          serve on YUNXIN_ADDR until SIGINT/SIGTERM
//	yunxin-server user create ACCID [TOKEN] create an account, print its token
//
// Both use the database in YUNXIN_DATA; `user create` works with or without
// a running server (SQLite in WAL mode). Both refuse the default app secret
// when YUNXIN_ADDR is not a loopback address (server.Config.Check): the
// error names YUNXIN_APP_SECRET and the exit status is 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"yunxin/server"
)

const usage = `usage:
  yunxin-server                           serve (config from YUNXIN_* env vars)
  yunxin-server user create ACCID [TOKEN] create an account and print its token
`

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	os.Exit(run(os.Args[1:], server.ConfigFromEnv(), log, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, cfg server.Config, log *slog.Logger, stdout, stderr io.Writer) int {
	if log == nil {
		log = discard()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case len(args) == 0:
		if err := serve(ctx, cfg, log, stdout); err != nil {
			fmt.Fprintln(stderr, "yunxin-server:", err)
			return 1
		}
		return 0
	case len(args) >= 2 && args[0] == "user" && args[1] == "create" && (len(args) == 3 || len(args) == 4):
		token := ""
		if len(args) == 4 {
			token = args[3]
		}
		token, err := createUser(ctx, cfg, log, args[2], token)
		if err != nil {
			fmt.Fprintln(stderr, "yunxin-server: user create:", err)
			return 1
		}
		fmt.Fprintln(stdout, token)
		return 0
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help"):
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
}

func createUser(ctx context.Context, cfg server.Config, log *slog.Logger, accid, token string) (string, error) {
	srv, err := server.Open(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	token, err = srv.CreateUser(ctx, accid, "", token)
	return token, errors.Join(err, srv.Close())
}

// serve runs the server until ctx is done, then shuts down cleanly. It prints
// one line with the listen address on out. It refuses a data directory
// another server serves (lockDataDir).
func serve(ctx context.Context, cfg server.Config, log *slog.Logger, out io.Writer) error {
	dir := cfg.DataDir
	if dir == "" {
		dir = "." // as server.Open
	}
	unlock, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	srv, err := server.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen on %s: %w", cfg.Addr, err), srv.Close())
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	fmt.Fprintf(out, "yunxin-server listening on http://%s (data %s)\n", ln.Addr(), cfg.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = hs.Shutdown(sctx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, srv.Close())
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
