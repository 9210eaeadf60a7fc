package server

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"yunxin/proto"
)

// maxClockSkew is how far a REST request's CurTime may be from the server's clock.
const maxClockSkew = 5 * time.Minute

// rest wraps a NIM server API action: POST only, AppKey/Nonce/CurTime/CheckSum
// headers checked, form body parsed, and the result written as
// {"code":200,"info":{...}} (or, for a restTop result, its fields beside
// "code") or {"code":N,"desc":"..."} with HTTP status 200 (as NetEase does).
func (s *Server) rest(action func(r *http.Request) (any, error)) http.HandlerFunc {
	return s.restMethod(http.MethodPost, action)
}

// restMethod is rest for requests of method: for GET, the action reads its
// parameters from the query (r.Form).
func (s *Server) restMethod(method string, action func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Method != method {
			w.Header().Set("Allow", method)
			w.WriteHeader(http.StatusMethodNotAllowed)
			json.NewEncoder(w).Encode(map[string]any{"code": proto.CodeBadParam, "desc": "use " + method})
			return
		}
		info, err := func() (any, error) {
			if err := s.checkRESTAuth(r); err != nil {
				return nil, err
			}
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil {
				return nil, errorf(proto.CodeBadParam, "bad form body: %v", err)
			}
			return action(r)
		}()
		reply := map[string]any{"code": proto.CodeOK}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				s.log.Error("rest action failed", "path", r.URL.Path, "err", err)
				e = errorf(proto.CodeServer, "internal server error")
			}
			reply = map[string]any{"code": e.Code, "desc": e.Msg}
		} else if top, ok := info.(restTop); ok {
			for k, v := range top {
				reply[k] = v
			}
		} else if info != nil {
			reply["info"] = info
		}
		json.NewEncoder(w).Encode(reply)
	}
}

// restTop is an action's result whose fields go at the top level of the
// reply, beside "code", instead of under "info" (NetEase's shape for
// user/getUinfos' "uinfos" and friend/get's "size" and "friends").
type restTop map[string]any

// checkRESTAuth checks the AppKey, Nonce, CurTime and CheckSum headers:
// CheckSum = lowercase hex sha1(AppSecret + Nonce + CurTime).
func (s *Server) checkRESTAuth(r *http.Request) error {
	appKey, nonce, curTime, sum := r.Header.Get("AppKey"), r.Header.Get("Nonce"), r.Header.Get("CurTime"), r.Header.Get("CheckSum")
	if appKey == "" || nonce == "" || curTime == "" || sum == "" {
		return errorf(proto.CodeBadParam, "missing header: AppKey, Nonce, CurTime and CheckSum are required")
	}
	if appKey != s.cfg.AppKey {
		return errorf(proto.CodeForbidden, "invalid AppKey")
	}
	if len(nonce) > 128 {
		return errorf(proto.CodeBadParam, "Nonce longer than 128 characters")
	}
	secs, err := strconv.ParseInt(curTime, 10, 64)
	if err != nil {
		return errorf(proto.CodeBadParam, "CurTime must be Unix seconds")
	}
	if d := s.now().Sub(time.Unix(secs, 0)); d > maxClockSkew || d < -maxClockSkew {
		return errorf(proto.CodeBadParam, "CurTime expired: more than 5 minutes from server time")
	}
	want := sha1.Sum([]byte(s.cfg.AppSecret + nonce + curTime))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(want[:])), []byte(sum)) != 1 {
		return errorf(proto.CodeBadParam, "bad CheckSum: want lowercase hex sha1(AppSecret + Nonce + CurTime)")
	}
	return nil
}

func (s *Server) restCreateUser(r *http.Request) (any, error) {
	accid, name := r.PostForm.Get("accid"), r.PostForm.Get("name")
	if accid == "" {
		return nil, errorf(proto.CodeBadParam, "accid is required")
	}
	token, err := s.createUser(r.Context(), accid, name, r.PostForm.Get("icon"), r.PostForm.Get("token"))
	if err != nil {
		return nil, err
	}
	return map[string]string{"token": token, "accid": accid, "name": name}, nil
}

func (s *Server) restRefreshToken(r *http.Request) (any, error) {
	accid := r.PostForm.Get("accid")
	if accid == "" {
		return nil, errorf(proto.CodeBadParam, "accid is required")
	}
	token, err := s.RefreshToken(r.Context(), accid, "")
	if err != nil {
		return nil, err
	}
	return map[string]string{"token": token, "accid": accid}, nil
}

// restConnections is GET /admin/connections?accid=X (our extension, not
// NetEase's): the number of X's logged-in connections on this node, as
// {"code":200,"accid":X,"connections":N}. Other nodes' connections are not
// counted.
func (s *Server) restConnections(r *http.Request) (any, error) {
	accid := r.Form.Get("accid")
	if accid == "" {
		return nil, errorf(proto.CodeBadParam, "accid is required")
	}
	return restTop{"accid": accid, "connections": s.registry.count(accid)}, nil
}
