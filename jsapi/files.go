package jsapi

import (
	"context"

	"yunxin/internal/jx"
)

// FilesEngine is the user group's file methods' part of Engine.
type FilesEngine interface {
	Upload(ctx context.Context, path string, progress func(sent, total int64)) (string, error)
	Download(ctx context.Context, url string) (string, error)
	CancelTask(ctx context.Context, path string) error
}

// uploadProgress is upload's interim ret (the doc's iOS shape): progress
// 0…1 of the bytes sent.
type uploadProgress struct {
	Status   bool    `json:"status"`
	Progress float64 `json:"progress"`
}

// doUpload: the callback gets {status:true, progress} while the file goes
// up, then {status:true, urlString} once.
func doUpload(ctx context.Context, e Engine, p params) (jx.Value, error) {
	path, err := p.path("filepath")
	if err != nil {
		return nil, err
	}
	u, err := e.Upload(ctx, path, func(sent, total int64) {
		if total > 0 {
			interim(ctx, &uploadProgress{true, float64(min(sent, total)) / float64(total)})
		}
	})
	if err != nil {
		return nil, err
	}
	return &uploadedRet{true, u}, nil
}

// doDownload: the ret adds path, the downloaded file's local path (an
// object URL), to the doc's {status}.
func doDownload(ctx context.Context, e Engine, p params) (jx.Value, error) {
	u, err := p.need("urlString")
	if err != nil {
		return nil, err
	}
	path, err := e.Download(ctx, u)
	if err != nil {
		return nil, err
	}
	return &downloadedRet{true, path}, nil
}

// doCancelTask cancels the upload of filepath or the download of a URL
// (what upload's filepath or download's urlString was).
func doCancelTask(ctx context.Context, e Engine, p params) (jx.Value, error) {
	path, err := p.path("filepath")
	if err != nil {
		return nil, err
	}
	return done(e.CancelTask(ctx, path))
}
