// Package e2e holds the end-to-end tests of yunxinIM for the web: the real
// bin/yunxin-server binary, the real SDK (web/sdk) and headless Chromium,
// driven with chromedp.
//
// Run them with `make test-e2e` (which builds first), or after `make build`:
//
//	go test -count=1 -timeout 15m ./tests/e2e -v
//
// The harness (files named harness_*_test.go):
//
//   - harness_main_test.go: TestMain finds the repo, the built server and the
//     SDK, and Chromium ($CHROMIUM or /usr/bin/chromium); it starts the test
//     page server and one shared IM server.
//   - harness_server_test.go: imServer, the real binary on a free 127.0.0.1
//     port with its own data dir; stop (SIGTERM), kill (SIGKILL) and start
//     again on the same port and dir; createUser through the CLI; the REST API.
//   - harness_page_test.go: the test page server, a separate origin that
//     serves a bare page including the SDK's script tag, recording every
//     listener event into window.events and exposing window.call.
//   - harness_browser_test.go: browser, one Chromium process per "device" with
//     its own profile (its own IndexedDB); eval, call, waitFor, reload, and a
//     dump of events and console output when a test fails.
//   - harness_views_test.go: the JSON shapes the SDK hands to pages.
//
// The tests:
//
//   - login_test.go: TestLogin (steps 1,2,4,5,7,8; 302 for a wrong token or
//     unknown account; api.require), TestRESTUserCreate (user/create.action
//     with NetEase's checksum), TestDisallowedOrigin (an origin not in
//     YUNXIN_ALLOWED_ORIGINS cannot log in), TestAccountSwitch (another
//     account on the same device sees none of the first one's data).
//   - messaging_test.go: TestSendReceive (message shape, ext, sessions, unread
//     counts, markAllMessagesReadInSession), TestReceipts, TestOfflineDelivery
//     (logged out), TestOfflineDeliveryAfterClose (browser closed, reopened on
//     the same profile), TestBurstSend (30 concurrent sends).
//   - persistence_test.go: TestReloadPersistence (offline-first cache after a
//     reload, also with the server down; autoLogin retries until it is back).
//   - resilience_test.go: TestServerRestart (SIGTERM, reconnect, kill -9).
//   - multidevice_test.go: TestMultiDevice (one account in two profiles;
//     multiLoginClientsChanged; kickOtherClient), TestTwoTabs (two tabs of
//     one profile share one IndexedDB without duplicates).
//   - badparams_test.go: TestBadParams (414s naming the parameter; the runtime
//     survives bad calls and throwing page callbacks).
//   - demo_test.go: TestDemoPage (two people chat through the demo UI at /).
//
// Every browser also gets checkHealth when its test ends: no callback called
// twice, no dead Go runtime.
//
// Every test uses its own account names; tests that stop the server start
// their own.
package e2e
