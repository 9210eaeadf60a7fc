#!/bin/sh
# Makes sure the browsers and WebDriver drivers of the browser tests are
# there for each engine of $ENGINES (default: chromium firefox webkit):
# installs Debian's packages when running as root with apt-get, otherwise
# says what to install. Binaries given by env (CHROMIUM, CHROMEDRIVER,
# FIREFOX, WEBKITWEBDRIVER, MINIBROWSER, XVFB) count as installed.
set -e
engines=${ENGINES:-chromium firefox webkit}
missing=""
need() { # need <package> <path>...: the package unless one path is executable
	pkg=$1
	shift
	for p in "$@"; do
		[ -n "$p" ] && [ -x "$p" ] && return 0
	done
	case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
}
for e in $(echo "$engines" | tr ',' ' '); do
	case $e in
	chromium)
		need chromium "$CHROMIUM" /usr/bin/chromium
		need chromium-driver "$CHROMEDRIVER" /usr/bin/chromedriver
		;;
	firefox)
		need firefox-esr "$FIREFOX" /usr/bin/firefox-esr
		;;
	webkit)
		need webkit2gtk-driver "$WEBKITWEBDRIVER" /usr/bin/WebKitWebDriver
		need xvfb "$XVFB" /usr/bin/Xvfb
		;;
	*)
		echo "ensure-browsers: unknown engine $e (want chromium, firefox or webkit)" >&2
		exit 1
		;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "ensure-browsers: installing Debian's$missing" >&2
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	exit 0
fi
echo "ensure-browsers: missing for ENGINES=\"$engines\":$missing. Install them (Debian/Ubuntu: apt-get install$missing), set the binaries' env (CHROMIUM, CHROMEDRIVER, FIREFOX, WEBKITWEBDRIVER, MINIBROWSER, XVFB) or choose fewer ENGINES." >&2
exit 1
