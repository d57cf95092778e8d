# Sourced by scripts/test: the Debian packages the tests use for real, installed when
# missing (git; PostgreSQL, whose test server the store suite starts and stops itself;
# chromium, the browser the console's tests drive through Playwright: never one Playwright downloads;
# unzip, which the README's pipeline story opens its artifact with).
need=()
command -v git >/dev/null 2>&1 || need+=(git)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian packages: ${need[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "missing Debian packages (install them, or run as root): ${need[*]}" >&2
    fi
fi
