// Package e2e holds the end-to-end tests of yunxinIM for the web: the real
// bin/yunxin-server binary, the real SDK (web/sdk) and real browsers
// (Chromium, Firefox, WebKit), driven through W3C WebDriver
// (internal/webdriver).
//
// Run them with `make test-e2e` (which builds first and runs the suite once
// per engine of ENGINES), or after `make build`, one engine per run:
//
//	YUNXIN_ENGINE=firefox go test -count=1 -timeout 30m ./tests/e2e -v
//
// YUNXIN_ENGINE is chromium (the default), firefox or webkit. Tests that
// close a browser and start it again on the same profile expecting its
// cache are skipped on WebKit (skipUnlessKeepsProfile): WebKitGTK's
// MiniBrowser under automation keeps IndexedDB in memory only.
//
// The harness (files named harness_*_test.go):
//
//   - harness_main_test.go: TestMain finds the repo, the built server and the
//     SDK, and the engine ($YUNXIN_ENGINE); it starts the test page server
//     and one shared IM server; webdriver.Shutdown at the end.
//   - harness_server_test.go: imServer, the real binary on a free 127.0.0.1
//     port with its own data dir; stop (SIGTERM), kill (SIGKILL) and start
//     again on the same port and dir; createUser through the CLI; the REST API.
//   - harness_page_test.go: the test page server, a separate origin that
//     serves a bare page including the SDK's script tag, recording every
//     listener event into window.events and exposing window.call; and any
//     page a test hands it (serveHTML).
//   - harness_browser_test.go: browser, one browser process per "device" with
//     its own profile (its own IndexedDB), newBrowserWith for engine options;
//     eval, call, waitFor, reload, and a dump of events and console output
//     when a test fails. Classic WebDriver has no console channel: the pages
//     record their console and uncaught errors in window.consoleLines
//     (consoleRecorderJS, first thing in the test pages, injected into the
//     demo after it loads); the harness reads those, plus what the driver
//     reports (BiDi on Firefox).
//   - harness_throttle_test.go: throttle, a reverse proxy in front of an IM
//     server that slows file uploads and downloads (throttleUpload,
//     limitDownload) for a browser whose page reaches the server through
//     it (throttled): the same on every engine.
//   - harness_views_test.go: the JSON shapes the SDK hands to pages.
//   - harness_ws_test.go: wsClient, a raw protocol client over a real
//     WebSocket from the test process: a cheap extra device (bob sending 100
//     long messages, carol sending a receipt) and a probe of which clients of
//     an account the server sees online (webClients, waitWebClients).
//
// The tests:
//
//   - login_test.go: TestLogin (steps 1,2,4,5,7,8; 302 for a wrong token or
//     unknown account; api.require), TestRESTUserCreate (user/create.action
//     with NetEase's checksum), TestDisallowedOrigin (an origin not in
//     YUNXIN_ALLOWED_ORIGINS gets err 403 naming the origin and the
//     variable), TestAccountSwitch (another account on the same device sees
//     none of the first one's data).
//   - lifecycle_test.go: TestConcurrentLogins (two login() calls at once:
//     one survives, nothing leaks: the server sees one client, the page's
//     databases delete without `blocked`), TestLoginCacheWriteFails (a
//     throwing IndexedDB put fails the login and leaves the SDK logged out).
//   - roaming_test.go: TestRoamingLargeHistory (a new device roams 100
//     messages of 5,000 CJK characters, ~1.5 MB, and finishes its sync).
//   - migration_test.go: TestMigrateOldDataDir (the binary started on a
//     data dir of the previous main migrates it; everything still syncs).
//   - messaging_test.go: TestSendReceive (message shape, ext, sessions, unread
//     counts, markAllMessagesReadInSession), TestReceipts, TestOfflineDelivery
//     (logged out), TestOfflineDeliveryAfterClose (browser closed, reopened on
//     the same profile), TestBurstSend (30 concurrent sends).
//   - persistence_test.go: TestReloadPersistence (offline-first cache after a
//     reload, also with the server down; autoLogin retries until it is back).
//   - resilience_test.go: TestServerRestart (SIGTERM, reconnect, kill -9).
//   - storage_test.go: TestStorageQuota (Firefox only, with a 5 MB storage
//     limit by pref; skipped elsewhere: the page fills its quota, the SDK
//     reports localCacheFull and a send answers err 500, without
//     reconnecting; the page frees its data and what waited arrives, once).
//   - multidevice_test.go: TestMultiDevice (one account in two profiles;
//     multiLoginClientsChanged; kickOtherClient), TestTwoTabs (two tabs of
//     one profile share one IndexedDB without duplicates),
//     TestTwoTabsDeletedSession (a session deleted in one tab is not brought
//     back by the other tab's writes).
//   - badparams_test.go: TestBadParams (414s naming the parameter; the runtime
//     survives bad calls and throwing page callbacks).
//   - demo_people_test.go: TestDemoPeople (the demo's people features through
//     its UI: own profile edit with the SDK's 414 shown, a friend request with a
//     message accepted from the inbox, add directly, search, the inbox badge and
//     mark-read, a request renewed by a second one then rejected, a muted
//     chat's grey count, senderName on messages, a message refused by the
//     receiver's blacklist (7101) then retried, a nickname change followed live,
//     a REST custom notification as a toast, Clear, delete friend; the same
//     state after a reload).
//   - people_test.go: the user, friend and notification groups.
//     TestFriendRequestAccept (a request to an offline account reaches it
//     at login; accept → both friend lists on two devices each, live and
//     after a reload; delete ends it on both sides; reject; add directly),
//     TestBlacklistAndMute (7101 and isBlackListed, unblock restores
//     delivery; blacklist and mute list synced to the other device),
//     TestProfiles (onUserInfoChanged live at a chat partner, senderName
//     and fromNick, 414s naming the field, fetchUserInfos of 150 and 151),
//     TestSearchUser (every range and option, case, alias; friends offline
//     after openLocalCache), TestNotificationsSync (unread, mark all read,
//     delete all on two devices and after a reload), TestCustomNotification
//     (msg/sendAttachMsg save 1 and 2), TestBlockedAccount (user/block with
//     needkick, 422, unblock; user/getUinfos), TestPeopleBadParams,
//     TestPeopleTwoTabs (two tabs of one profile: each hears a request and a
//     new friend once; a quick mute then unmute in one ends unmuted in both;
//     mark all read and a reload agree).
//   - readme_test.go: TestREADMEMethodLists (the README's lists of
//     implemented and not yet implemented methods match jsapi's table).
//   - readme_snippet_test.go: TestREADMESnippet (the README's page snippet,
//     as copied, logs in and sends from an allowed origin and logs a clear
//     err from another).
//   - attachments_test.go (issue 6): TestAttachmentEachType (a canvas PNG,
//     a WAV, a MediaRecorder WebM (testdata/clip.webm on WebKit, which records none) and a picked File, a location and a tip,
//     received with the doc's body fields; downloaded with the same md5),
//     TestUploadProgressCancelResend (progress in order ending at 1 under
//     upload throttling (the throttle proxy); cancelSendingMessage and cancelTask mid-
//     upload leave deliveryState 0; resendMessage delivers once),
//     TestOfflineOutbox (three messages sent with the server down arrive
//     once each in order; again after a reload while offline, an image
//     among them; reSend:false is an immediate 415).
//   - history_test.go (issue 6): TestRevoke (live and roaming revoke
//     notifications; the message leaves every cache; 403, 404, 508 after a
//     short YUNXIN_REVOKE_WINDOW), TestPullMessageHistory (paging back past
//     the roaming window to the first of 130 messages, persist, forward
//     paging, after deleteAllMessages, limit 101 → 414), TestDeletes (every
//     delete, updateRecentLocalExt, deleteRemoteSessions on a new device,
//     all across reloads), TestMessagingBadInput (missing and oversized
//     files, fs:// and widget://, revoked blob: URLs, a text file as an
//     image, bad coordinates, unknown ids: clear errs, nothing lost).
//   - demo_test.go: TestDemoPage (two people chat through the demo's UI;
//     text is never HTML; a chat with an unknown account is refused at
//     once), TestDemoRecovery (server down: "reconnecting…", a message sent
//     meanwhile waits in the outbox and goes out by itself; one canceled
//     from its actions stays unsent until Retry).
//   - demo_media_test.go: TestDemoAttachments (a picture, a WAV, a
//     MediaRecorder WebM and a file picked with the attach input, a location
//     and a tip, each shown as what it is at the peer; the file card
//     downloads with progress and saves the same bytes; an upload canceled
//     part way shows Retry, which delivers it once; a recall shows on both
//     sides; a delete holds across a reload), TestDemoHistory (Load older
//     past the roaming window to the first of 130 messages; after Clear chat
//     it brings the latest page back from the server), TestDemoVoiceAndDrop
//     (the record button with a real MediaRecorder on a synthesized
//     microphone; a dropped file). Screenshots:
//     tests/e2e/artifacts/issue6-*.png.
//
// Every browser also gets checkHealth when its test ends: no callback called
// twice, no dead Go runtime.
//
// Every test uses its own account names; tests that stop the server start
// their own. Tests wait on events and conditions, never on a bare sleep:
// "nothing more arrives" is shown by a later message arriving, and "nothing
// happens" by a condition that holds throughout a window (browser.stays).
package e2e
