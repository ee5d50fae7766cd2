package soap

import (
	"context"
	"encoding/xml"
	"regexp"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// cdrXML is cdrData's document (§6.8): one empty <call> per CDR.
type cdrXML struct {
	XMLName xml.Name  `xml:"cdr"`
	Calls   []cdrCall `xml:"call"`
}

type cdrCall struct {
	UniqueID    string `xml:"uniqueid,attr"`
	Src         string `xml:"src,attr"`
	Dst         string `xml:"dst,attr"`
	DContext    string `xml:"dcontext,attr"`
	CLID        string `xml:"clid,attr"`
	Channel     string `xml:"channel,attr"`
	DstChannel  string `xml:"dstchannel,attr"`
	LastApp     string `xml:"lastapp,attr"`
	LastData    string `xml:"lastdata,attr"`
	CallDate    string `xml:"calldate,attr"`
	Duration    int    `xml:"duration,attr"`
	BillSec     int    `xml:"billsec,attr"`
	Disposition string `xml:"disposition,attr"`
}

// cdrCustomXML is cdrCustom's document (§6.9), wrapped in <cdr> as proposed.
type cdrCustomXML struct {
	XMLName xml.Name        `xml:"cdr"`
	Calls   []cdrCustomCall `xml:"call"`
}

type cdrCustomCall struct {
	ID            int64  `xml:"id,attr,omitempty"`
	UniqueID      string `xml:"uniqueid,attr"`
	Src           string `xml:"src,attr"`
	DNIS          string `xml:"dnis,attr"`
	Context       string `xml:"context,attr"`
	CallDate      string `xml:"calldate,attr"`
	Duration      int    `xml:"duration,attr"`
	Estado        string `xml:"estado,attr"`
	Observaciones string `xml:"observaciones,attr"`
}

// dateLayout is the spec's date-time format (§4).
const dateLayout = "2006-01-02 15:04:05"

// cdrData lists the CDRs of the inicio–fin period, or with uniqueid given
// the records of that call, whatever the dates.
func (p *pbxOps) cdrData(ctx context.Context, r *Request) (any, error) {
	f := centralita.CDRFilter{UniqueID: strings.TrimSpace(r.Param("uniqueid"))}
	if f.UniqueID == "" {
		var err error
		if f.From, f.To, err = p.period(r.Param("inicio"), r.Param("fin")); err != nil {
			return nil, err
		}
	}
	cdrs, err := p.cfg.CDRs.FindCDRs(ctx, f)
	if err != nil {
		return nil, err
	}
	doc := cdrXML{Calls: []cdrCall{}}
	for _, c := range cdrs {
		doc.Calls = append(doc.Calls, cdrCall{
			UniqueID: c.UniqueID, Src: c.Src, Dst: c.Dst, DContext: c.DContext, CLID: expandCLID(c.CLID),
			Channel: c.Channel, DstChannel: c.DstChannel, LastApp: c.LastApp, LastData: c.LastData,
			CallDate: c.CallDate.In(p.cfg.Location).Format(dateLayout), Duration: c.Duration, BillSec: c.BillSec,
			Disposition: c.Disposition,
		})
	}
	return xmlDocument(doc)
}

// cdrCustom lists the period's calls in the customised shape. The spec
// leaves estado and observaciones to each installation (A10): here estado
// is the disposition and observaciones the userfield, which holds the
// callinfo of originated calls; dnis is dst and context is dcontext.
func (p *pbxOps) cdrCustom(ctx context.Context, r *Request) (any, error) {
	from, to, err := p.period(r.Param("inicio"), r.Param("fin"))
	if err != nil {
		return nil, err
	}
	cdrs, err := p.cfg.CDRs.FindCDRs(ctx, centralita.CDRFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	doc := cdrCustomXML{Calls: []cdrCustomCall{}}
	for _, c := range cdrs {
		doc.Calls = append(doc.Calls, cdrCustomCall{
			ID: c.ID, UniqueID: c.UniqueID, Src: c.Src, DNIS: c.Dst, Context: c.DContext,
			CallDate: c.CallDate.In(p.cfg.Location).Format(dateLayout), Duration: c.Duration,
			Estado: c.Disposition, Observaciones: c.UserField,
		})
	}
	return xmlDocument(doc)
}

// period reads inicio and fin in the configured zone, as every report
// does (readPeriod): fin is inclusive, to the second or to the end of the
// day for a bare date.
func (p *pbxOps) period(inicio, fin string) (from, to time.Time, err error) {
	r, st := readPeriod(inicio, fin, p.cfg.Location)
	switch st {
	case periodBadStart:
		err = centralita.Errorf(centralita.EINVALID, "inicio %q: want YYYY-MM-DD HH:MM:SS", strings.TrimSpace(inicio))
	case periodBadEnd:
		err = centralita.Errorf(centralita.EINVALID, "fin %q: want YYYY-MM-DD HH:MM:SS", strings.TrimSpace(fin))
	case periodEmpty:
		err = centralita.Errorf(centralita.EINVALID, "fin %q is before inicio %q", fin, inicio)
	}
	return r.from, r.to, err
}

var asteriskCLID = regexp.MustCompile(`^"?(.*?)"?\s*<([^>]*)>$`)

// expandCLID turns Asterisk's `"Name" <number>` into eXpand's "Name (number)".
func expandCLID(clid string) string {
	m := asteriskCLID.FindStringSubmatch(clid)
	if m == nil {
		return clid
	}
	return m[1] + " (" + m[2] + ")"
}
