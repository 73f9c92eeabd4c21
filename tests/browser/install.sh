#!/usr/bin/env bash
# Chromium and ChromeDriver for tests/test_browser.py (Debian packages `chromium` and
# `chromium-driver`). Idempotent: does nothing when both are installed. Without root or
# apt-get it says what is missing and exits 0; the browser test then skips with a reason.
set -u
want=()
[ -x /usr/bin/chromium ] || want+=(chromium)
[ -x /usr/bin/chromedriver ] || want+=(chromium-driver)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "browser/install.sh: not root or no apt-get; missing: ${want[*]} (the browser test will skip)"
    exit 0
fi
echo "browser/install.sh: installing ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
    || echo "browser/install.sh: apt-get failed for ${want[*]} (the browser test will skip)"
exit 0
