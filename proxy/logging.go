package proxy

import (
	"io"
	"log/slog"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// NewLogger returns the logger logging.level and logging.format ask for,
// writing to w.
func NewLogger(cfg config.Logging, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
