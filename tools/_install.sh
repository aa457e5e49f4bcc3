# Shared install steps of tools/test and tools/demo; sourced, not run.
# Installs the Debian packages when missing and the project in ./.venv, so that a
# fresh Debian 12 machine with Python 3.11 needs nothing else. Idempotent.

# Debian packages: PC/SC daemon + virtual reader (and pyscard's build headers),
# the MQTT broker, PostgreSQL, fonts, Xvfb, and the system libraries the
# PySide6 wheels load (offscreen: EGL/GL/xkbcommon/fontconfig/dbus/glib; real
# X11 windows: the xcb family; on-screen keyboard: libpulse0), and libfaketime
# (tools/test's STATION_TEST_FAKETIME).
STATION_DEBS=(
    python3-venv python3-dev gcc          # plain Debian python3: venv, headers for pyscard
    procps                                # pgrep, used by tests
    libpcsclite-dev pcscd vsmartcard-vpcd
    mosquitto mosquitto-clients
    postgresql
    fonts-dejavu-core
    libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
    xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-randr0
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1
    libpulse0
    faketime                              # STATION_TEST_FAKETIME: pytest on a fake clock
    chromium chromium-driver              # web pages tested in a real browser (selenium)
)

_station_log() { printf '[station] %s\n' "$*" >&2; }

_station_sudo() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else _station_log "need root (or sudo) to run: $*"; return 1
    fi
}

station_install_debs() {
    local missing=() pkg installed
    # One dpkg-query for all: "name ii " per installed package.
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${STATION_DEBS[@]}" \
        2>/dev/null || true)
    for pkg in "${STATION_DEBS[@]}"; do
        grep -q "^$pkg ii" <<<"$installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null \
        || { _station_log "missing Debian packages and no apt-get: ${missing[*]}"; return 1; }
    _station_log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    _station_sudo apt-get update -q
    _station_sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# The interpreter that creates .venv: $STATION_PYTHON, else python3.11, else python3.
_station_python() {
    local candidate
    for candidate in ${STATION_PYTHON:-} python3.11 python3; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    _station_log "Python 3.11 or newer not found (set STATION_PYTHON)"; return 1
}

# Create .venv when absent (or broken) and `pip install -e .[dev]` whenever
# pyproject.toml changed since the last successful install (stamp file).
station_install_venv() {
    local venv=.venv python stamp want
    stamp="$venv/.station-install-stamp"
    if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
        _station_log "removing a broken $venv"; rm -rf "$venv"
    fi
    if [ ! -d "$venv" ]; then
        python=$(_station_python) || return 1
        _station_log "creating $venv with $python"
        "$python" -m venv "$venv"
    fi
    want="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$venv/bin/python" -V 2>&1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        _station_log "installing the project and its [dev] extra into $venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]' \
            || return 1
        echo "$want" > "$stamp"
    fi
}

station_install() {
    station_install_debs && station_install_venv
}
