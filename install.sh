#!/usr/bin/env sh
# Set up grader on a fresh machine: the system tools it uses (when root on Debian/Ubuntu)
# and the Python package with its test dependencies, into the current Python.
set -e
cd "$(dirname "$0")"

# apt_install COMMAND PACKAGE WHY: install PACKAGE unless COMMAND exists; never fatal.
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v "$1" >/dev/null 2>&1; then
        apt-get install -y -qq "$2" >/dev/null 2>&1 || \
            { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$2" >/dev/null 2>&1; } || \
            echo "install.sh: $2 not installed; $3" >&2
    fi
}

apt_install bwrap bubblewrap "grader falls back to a weaker sandbox"
apt_install setpriv util-linux "as root, the sandbox cannot drop to an unprivileged uid"
apt_install chromium chromium "the HTML report's rendering test will be skipped"
python3 -m pip install -q -e '.[test]'
# An editable install is not compiled, and where PYTHONDONTWRITEBYTECODE is set nothing ever
# writes the bytecode: every `grader check` would compile the engine from source (~0.1 s).
python3 -m compileall -q grader >/dev/null
