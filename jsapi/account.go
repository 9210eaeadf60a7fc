package jsapi

import (
	"context"

	"yunxin/core"
	"yunxin/internal/jx"
)

// AccountEngine is the account group's part of Engine.
type AccountEngine interface {
	SetConfig(core.Config)
	Config() core.Config
	Login(ctx context.Context, account, token string) error
	AutoLogin(ctx context.Context, account, token string) error
	Logout(ctx context.Context) error
	IsLogined() bool
	CurrentAccount() string
	KickOtherClient(ctx context.Context, clientType int) error
}

// doInit is yunxinIM.init({appKey, server, …}): config.xml's params, merged
// key by key into the current config; core checks the result.
func doInit(_ context.Context, e Engine, p params) (jx.Value, error) {
	cfg := e.Config()
	for _, err := range []error{
		p.cfgString("appKey", &cfg.AppKey),
		p.cfgString("server", &cfg.Server),
		p.cfgString("os", &cfg.OS),
		p.cfgBool("shouldSyncUnreadCount", &cfg.ShouldSyncUnreadCount),
		p.cfgBool("shouldCountTeam", &cfg.ShouldCountTeam),
		p.cfgBool("teamReceiptEnabled", &cfg.TeamReceiptEnabled),
		p.cfgInt("maxAutoLoginRetryTimes", &cfg.MaxAutoLoginRetryTimes),
		cfg.Check(),
	} {
		if err != nil {
			return nil, err
		}
	}
	e.SetConfig(cfg)
	return &statusTrue, nil
}

// doListen answers the listener methods if they ever reach Go: the loader
// keeps the listener lists itself.
func doListen(context.Context, Engine, params) (jx.Value, error) { return &statusTrue, nil }

func credentials(p params) (account, token string, err error) {
	if account, err = p.need("account"); err != nil {
		return
	}
	token, err = p.need("token")
	return
}

func doLogin(ctx context.Context, e Engine, p params) (jx.Value, error) {
	account, token, err := credentials(p)
	if err != nil {
		return nil, err
	}
	return done(e.Login(ctx, account, token))
}

func doAutoLogin(ctx context.Context, e Engine, p params) (jx.Value, error) {
	account, token, err := credentials(p)
	if err != nil {
		return nil, err
	}
	return done(e.AutoLogin(ctx, account, token))
}

func doLogout(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	return done(e.Logout(ctx))
}

func doIsLogined(_ context.Context, e Engine, _ params) (jx.Value, error) {
	return &status{e.IsLogined()}, nil
}

func doCurrentAccount(_ context.Context, e Engine, _ params) (jx.Value, error) {
	return &userIDRet{e.CurrentAccount()}, nil
}

func doKick(ctx context.Context, e Engine, p params) (jx.Value, error) {
	ct, err := p.needInt("client")
	if err != nil {
		return nil, err
	}
	return done(e.KickOtherClient(ctx, ct))
}
