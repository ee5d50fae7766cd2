package centralita

import (
	"context"
	"time"
)

// CDR dispositions, as Asterisk's CDR engine writes them.
const (
	DispositionAnswered   = "ANSWERED"
	DispositionNoAnswer   = "NO ANSWER"
	DispositionBusy       = "BUSY"
	DispositionFailed     = "FAILED"
	DispositionCongestion = "CONGESTION"
)

// CDR is one call detail record in Asterisk's own `cdr` table layout, so that
// a real Asterisk writing through cdr_adaptive_odbc and Centralita share rows.
type CDR struct {
	ID          int64     `db:"id"`
	CallDate    time.Time `db:"calldate"`
	CLID        string    `db:"clid"`
	Src         string    `db:"src"`
	Dst         string    `db:"dst"`
	DContext    string    `db:"dcontext"`
	Channel     string    `db:"channel"`
	DstChannel  string    `db:"dstchannel"`
	LastApp     string    `db:"lastapp"`
	LastData    string    `db:"lastdata"`
	Duration    int       `db:"duration"`
	BillSec     int       `db:"billsec"`
	Disposition string    `db:"disposition"`
	AMAFlags    int       `db:"amaflags"`
	AccountCode string    `db:"accountcode"`
	UniqueID    string    `db:"uniqueid"`
	UserField   string    `db:"userfield"`
	LinkedID    string    `db:"linkedid"`
	PeerAccount string    `db:"peeraccount"`
	Sequence    int       `db:"sequence"`
}

// CDRFilter selects CDRs. Zero fields do not filter.
type CDRFilter struct {
	// From and To bound calldate: From <= calldate < To.
	From, To time.Time
	// UniqueID selects the records of one channel.
	UniqueID string
	// LinkedID selects every record of one call.
	LinkedID string
	// Src and Dst match exactly.
	Src, Dst string
	// Offset and Limit page the result, ordered by calldate then id.
	Offset, Limit int
}

// CDRService stores and reads call detail records.
type CDRService interface {
	// CreateCDR inserts cdr and sets its ID.
	CreateCDR(ctx context.Context, cdr *CDR) error
	// FindCDRs returns the records that match filter, oldest first.
	FindCDRs(ctx context.Context, filter CDRFilter) ([]*CDR, error)
}
