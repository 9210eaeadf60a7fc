#!/bin/sh
# Makes sure headless Chromium is there for the browser tests: installs
# Debian's package when running as root on Debian, otherwise says what to do.
set -e
for c in "$CHROMIUM" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
	[ -n "$c" ] && [ -x "$c" ] && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "ensure-chromium: installing Debian's chromium" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	exit 0
fi
echo "ensure-chromium: no Chromium found. Install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path/to/chrome" >&2
exit 1
