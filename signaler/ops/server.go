package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// DefaultAddress is where /healthz and /metrics are served unless the config says otherwise:
// loopback only.
const DefaultAddress = "127.0.0.1:9464"

// DefaultShutdownTimeout bounds how long Serve waits for requests in flight once its
// context ends.
const DefaultShutdownTimeout = 5 * time.Second

// ErrNotLoopback is returned for an address that is reachable from other machines when
// remote access was not allowed explicitly.
var ErrNotLoopback = errors.New("not a loopback address")

// CheckAddress checks a host:port listen address. An empty host (all interfaces) or any host
// that is not a loopback IP or "localhost" is refused with ErrNotLoopback unless allowRemote.
func CheckAddress(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if allowRemote || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("address %q: %w (health and metrics would be reachable from other machines; allow it explicitly)", addr, ErrNotLoopback)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ServerConfig configures Listen.
type ServerConfig struct {
	// Address is host:port; "" means DefaultAddress.
	Address string
	// AllowRemote permits an address that is not loopback (logged as a warning).
	AllowRemote bool
	// ShutdownTimeout bounds the graceful shutdown; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Logger gets the listen address and errors; nil discards them.
	Logger *slog.Logger
}

// Server serves a Registry over HTTP.
type Server struct {
	ln      net.Listener
	srv     *http.Server
	timeout time.Duration
	log     *slog.Logger
}

// Listen checks the address and binds it, so a bad or busy address fails at start.
func Listen(r *Registry, cfg ServerConfig) (*Server, error) {
	if cfg.Address == "" {
		cfg.Address = DefaultAddress
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := CheckAddress(cfg.Address, cfg.AllowRemote); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("health and metrics: %w", err)
	}
	host, _, _ := net.SplitHostPort(cfg.Address)
	if !isLoopback(host) {
		cfg.Logger.Warn("health and metrics are served on a non-loopback address, reachable from other machines", "address", ln.Addr().String())
	} else {
		cfg.Logger.Info("health and metrics served", "address", ln.Addr().String())
	}
	return &Server{
		ln: ln, timeout: cfg.ShutdownTimeout, log: cfg.Logger,
		srv: &http.Server{
			Handler:           Handler(r),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      10 * time.Second,
			IdleTimeout:       60 * time.Second,
		},
	}, nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx ends, then shuts the server down, waiting at most the shutdown
// timeout for requests in flight. It returns nil after a shutdown through ctx, or the error
// that stopped serving.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("health and metrics: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("health and metrics: shutdown timed out; closing connections", "error", err)
		err = s.srv.Close()
	}
	<-errc // http.ErrServerClosed
	return err
}
