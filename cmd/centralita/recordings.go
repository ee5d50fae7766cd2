package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/recordings"
	"github.com/centralita/centralita/store"
)

// recordFlags configure call recording: where files come from and how
// long they are kept. Which calls are recorded is each queue's and
// campaign's "record" setting.
type recordFlags struct {
	workers   int
	retention int
	shared    string
	delay     time.Duration
	encoder   string
}

func (r *recordFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&r.workers, "record-workers", 2, "recordings fetched from Asterisk and converted to MP3 at once")
	fs.IntVar(&r.retention, "record-retention-days", 0, "delete recordings (files and index) of calls older than this many days, checked hourly; 0 keeps them forever")
	fs.StringVar(&r.shared, "record-dir-shared", "", "Asterisk's recording folder (/var/spool/asterisk/recording) mounted here: files are copied from it instead of fetched over ARI")
	fs.DurationVar(&r.delay, "record-delay", 0, "wait this long after a call before fetching its recording (recordings left from a previous run are fetched at once); the fetch waits anyway until Asterisk has closed the file (its live recording is gone)")
	fs.StringVar(&r.encoder, "record-encoder", "", "MP3 encoder: sox or lame (default: sox when it can write MP3, else lame)")
}

// startRecordings builds the recordings engine on the ARI client and picks
// up the recordings a previous run left unfinished; it must run before the
// engines that record start.
func (t *telephony) startRecordings(ctx context.Context, c *serveConfig, db *store.DB, logger *slog.Logger) error {
	if c.rec.workers < 1 || c.rec.workers > 64 {
		return fmt.Errorf("--record-workers %d: want 1 to 64", c.rec.workers)
	}
	if c.rec.retention < 0 {
		return fmt.Errorf("--record-retention-days %d: must not be negative", c.rec.retention)
	}
	eng, err := recordings.New(recordings.Config{
		PBX: t.client, Store: store.NewRecordingService(db).InLocation(c.location), DataDir: c.dataDir,
		SharedDir: c.rec.shared, Workers: c.rec.workers, Retention: c.rec.retention, Delay: c.rec.delay,
		Encoder: c.rec.encoder, Location: c.location, Logger: logger.With("component", "recordings"),
	})
	if err != nil {
		return err
	}
	if err := eng.Resume(ctx); err != nil {
		return fmt.Errorf("start the recordings: %w", err)
	}
	t.rec = eng
	return nil
}

// recorder is the recordings engine as the engines that record see it;
// nil when it is not running.
func (t *telephony) recorder() centralita.Recorder {
	if t.rec == nil {
		return nil
	}
	return t.rec
}
