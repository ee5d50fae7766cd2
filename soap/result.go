package soap

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/centralita/centralita"
)

// failure maps an error to the operation's wire result or a fault; it is
// the one place where centralita.Error kinds become SOAP (see Server).
// fromAuth marks errors of the key check, for which a rejected or
// rate-limited key gives the Denied result whatever Codes says.
func (s *Server) failure(ctx context.Context, rt *route, req *Request, err error, fromAuth bool) (string, *fault) {
	op := &rt.op
	kind := centralita.ErrorKind(err)
	attrs := []slog.Attr{slog.String("op", op.Name), slog.String("client_ip", req.ClientIP), slog.String("kind", string(kind))}
	code, ok := op.Codes[kind]
	switch kind {
	case centralita.EUNAUTHORIZED, centralita.EFORBIDDEN, centralita.ELIMITED:
		level := slog.LevelInfo
		if kind == centralita.ELIMITED {
			level = slog.LevelWarn
		}
		if fromAuth || !ok {
			s.log.LogAttrs(ctx, level, "soap: access denied", append(attrs, slog.String("error", err.Error()))...)
			if op.Denied == nil {
				return "", clientFault("access denied")
			}
			code, ok = op.Denied, true
		}
	case centralita.EUNAVAILABLE, centralita.EINTERNAL:
		s.log.LogAttrs(ctx, slog.LevelError, "soap: operation failed", append(attrs, slog.Any("error", err))...)
	}
	if ok {
		if op.Render != nil {
			code = op.Render(req, code)
		}
		value, encErr := encodeResult(op.Return, code)
		if encErr != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "soap: bad result code", append(attrs, slog.Any("error", encErr))...)
			return "", &fault{code: faultServer, reason: "internal error"}
		}
		return value, nil
	}
	switch kind {
	case centralita.EINVALID, centralita.ENOTFOUND, centralita.ECONFLICT:
		return "", clientFault("%s", centralita.ErrorMessage(err))
	case centralita.EUNAVAILABLE:
		return "", &fault{code: faultServer, reason: "service unavailable"}
	default:
		return "", &fault{code: faultServer, reason: "internal error"}
	}
}

// encodeResult writes a handler's result as the text of the return element.
func encodeResult(t Type, v any) (string, error) {
	switch t {
	case Int:
		if n, ok := integer(v); ok {
			return strconv.FormatInt(n, 10), nil
		}
	case Boolean:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
	default:
		switch x := v.(type) {
		case nil:
			return "", nil
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case bool:
			return "", fmt.Errorf("soap: a bool result for an %s operation", t)
		}
		if n, ok := integer(v); ok {
			return strconv.FormatInt(n, 10), nil
		}
		doc, err := xml.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("soap: marshal result: %w", err)
		}
		return xml.Header + string(doc), nil
	}
	return "", fmt.Errorf("soap: a %T result for an %s operation", v, t)
}

func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}
