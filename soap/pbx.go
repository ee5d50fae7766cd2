package soap

import (
	"context"
	"encoding/xml"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// PBXConfig is what the PBX operations of apiws use (soap-apiws.md §6).
type PBXConfig struct {
	// Calls runs originateCall jobs.
	Calls centralita.CallOriginator
	// CDRs answers cdrData and cdrCustom.
	CDRs CDRFinder
	// Endpoints lists the PBX's extensions for extensionPbx.
	Endpoints EndpointLister
	// Location is the time zone inicio/fin are read in and calldate written
	// in; default time.Local.
	Location *time.Location
}

// CDRFinder reads call detail records.
type CDRFinder interface {
	FindCDRs(ctx context.Context, filter centralita.CDRFilter) ([]*centralita.CDR, error)
}

// EndpointLister lists PBX endpoints.
type EndpointLister interface {
	ListEndpoints(ctx context.Context) ([]centralita.EndpointInfo, error)
}

// RegisterPBX serves originateCall, originateCallStatus, originateCallCancel,
// extensionPbx, cdrData and cdrCustom.
func (s *Server) RegisterPBX(cfg PBXConfig) {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	p := &pbxOps{cfg}
	s.Handle("originateCall", p.originateCall)
	s.Handle("originateCallStatus", p.originateCallStatus)
	s.Handle("originateCallCancel", p.originateCallCancel)
	s.Handle("extensionPbx", p.extensionPbx)
	s.Handle("cdrData", p.cdrData)
	s.Handle("cdrCustom", p.cdrCustom)
}

type pbxOps struct{ cfg PBXConfig }

// originateCall returns the job id (§6.2). An empty or absent timeout takes
// the engine's default.
func (p *pbxOps) originateCall(ctx context.Context, r *Request) (any, error) {
	var timeout int
	if strings.TrimSpace(r.Param("timeout")) != "" {
		var err error
		if timeout, err = r.Int("timeout"); err != nil {
			return nil, err
		}
		if timeout <= 0 {
			return nil, centralita.Errorf(centralita.EINVALID, "timeout %d: want a number of seconds above 0", timeout)
		}
	}
	req := centralita.OriginationRequest{
		Src: strings.TrimSpace(r.Param("src")), SrcCallerID: r.Param("srcCallerID"),
		Dst: strings.TrimSpace(r.Param("dst")), DstCallerID: r.Param("dstCallerID"),
		Timeout: time.Duration(timeout) * time.Second, CallInfo: r.Param("callinfo"),
	}
	if r.Key != nil {
		req.KeyID = r.Key.ID
	}
	o, err := p.cfg.Calls.Originate(ctx, req)
	if err != nil {
		return nil, err
	}
	return o.ID, nil
}

// originateCallStatus returns 1…7, or 0 for an unknown or forgotten job (§6.3).
func (p *pbxOps) originateCallStatus(ctx context.Context, r *Request) (any, error) {
	st, err := p.cfg.Calls.OriginationStatus(ctx, strings.TrimSpace(r.Param("originatedID")))
	if err != nil {
		return nil, err
	}
	return int(st), nil
}

// originateCallCancel returns 1 when the call was cancelled, 0 when there
// was nothing to cancel (§6.4).
func (p *pbxOps) originateCallCancel(ctx context.Context, r *Request) (any, error) {
	if err := p.cfg.Calls.CancelOrigination(ctx, strings.TrimSpace(r.Param("originatedID"))); err != nil {
		return nil, err
	}
	return 1, nil
}

// extensionXML is extensionPbx's document (§6.6).
type extensionXML struct {
	XMLName    xml.Name `xml:"extensions"`
	Extensions []struct {
		Extension    string `xml:"extension,attr"`
		Channel      string `xml:"channel,attr"`
		CallerIDName string `xml:"calleridName,attr"`
	} `xml:"extensioninfo"`
}

var extensionResource = regexp.MustCompile(`^[0-9]+$`)

// extensionPbx lists the PBX's extensions: its endpoints whose resource is
// all digits (trunks are left out). Asterisk's endpoints carry no caller-id
// name, so calleridName is the extension number, as the spec's "321" row shows.
func (p *pbxOps) extensionPbx(ctx context.Context, _ *Request) (any, error) {
	eps, err := p.cfg.Endpoints.ListEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(eps, func(i, j int) bool {
		a, b := eps[i].Resource, eps[j].Resource
		return len(a) < len(b) || len(a) == len(b) && a < b
	})
	var doc extensionXML
	for _, ep := range eps {
		if !extensionResource.MatchString(ep.Resource) {
			continue
		}
		doc.Extensions = append(doc.Extensions, struct {
			Extension    string `xml:"extension,attr"`
			Channel      string `xml:"channel,attr"`
			CallerIDName string `xml:"calleridName,attr"`
		}{ep.Resource, ep.Technology + "/" + ep.Resource, ep.Resource})
	}
	return xmlDocument(doc)
}

// xmlDocument renders v as a complete XML document, declaration included,
// as the spec's XML results are strings holding one (§4, A3).
func xmlDocument(v any) (string, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", centralita.WrapError(centralita.EINTERNAL, err, "rendering XML")
	}
	return `<?xml version="1.0" encoding="UTF-8" ?>` + "\n" + string(b), nil
}
