#!/usr/bin/env bash
# Debian packages some tests drive for real: Perl CGI.pm and php-cgi (CGI scripts),
# Chromium + ChromeDriver (the manager's browser test), Kannel (the Kannel provider),
# Node.js + npm (the counter's JavaScript; axe-core, pinned in tests/axe/package-lock.json,
# which the browser test injects into every page), nginx (the reverse proxy of
# deploy/nginx.conf, in front of gunicorn), openssl (test certificates for nginx and the http
# provider's TLS), Prometheus with promtool (deploy/prometheus: the rules' unit tests, a real
# Prometheus scraping two hosts).
# PostgreSQL (initdb/pg_ctl: the tests start a private server; `make test` runs on both).
# Idempotent: installs only what is missing. Without root or apt it says so and the
# tests that need a missing program skip with that reason.
set -u
want=()
perl -MCGI -e1 2>/dev/null || want+=(libcgi-pm-perl)
command -v php-cgi >/dev/null || want+=(php-cgi)
command -v openssl >/dev/null || want+=(openssl)
command -v chromium >/dev/null || want+=(chromium)
command -v chromedriver >/dev/null || want+=(chromium-driver)
command -v bearerbox >/dev/null || want+=(kannel)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || want+=(nginx-light)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null \
    || want+=(postgresql)
command -v node >/dev/null || want+=(nodejs)
command -v npm >/dev/null || want+=(npm)
command -v promtool >/dev/null || want+=(prometheus)
axe() {
    local folder
    folder="$(dirname "$0")/axe"
    [ -f "$folder/node_modules/axe-core/axe.min.js" ] && return 0
    command -v npm >/dev/null || return 0
    npm ci --prefix "$folder" --no-audit --no-fund --loglevel=error >/dev/null \
        || echo "system-deps: npm ci in $folder failed (the browser test will skip axe)"
}
[ ${#want[@]} -eq 0 ] && { axe; exit 0; }
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-deps: not root or no apt-get; missing: ${want[*]} (their tests will skip)"
    axe
    exit 0
fi
echo "system-deps: installing ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
    || echo "system-deps: apt-get failed for ${want[*]} (their tests will skip)"
# Debian starts services on install; the tests start their own Kannel on free ports.
if command -v systemctl >/dev/null; then systemctl stop kannel 2>/dev/null || true; fi
pkill -x bearerbox 2>/dev/null || true
pkill -x smsbox 2>/dev/null || true
# Likewise the packaged nginx (its pid file only: the tests' own nginx keep running).
if [[ " ${want[*]} " == *" nginx-light "* ]]; then
    systemctl disable --now nginx 2>/dev/null || service nginx stop 2>/dev/null || true
fi
# Likewise the packaged Prometheus: the tests start their own, on a free port.
if [[ " ${want[*]} " == *" prometheus "* ]]; then
    systemctl disable --now prometheus 2>/dev/null || service prometheus stop 2>/dev/null || true
fi
# PostgreSQL's packaged cluster, if we just installed it: the tests start their own.
case " ${want[*]} " in *" postgresql "*)
    if command -v systemctl >/dev/null; then systemctl stop postgresql 2>/dev/null || true; fi
esac
axe
exit 0
