#!/usr/bin/env sh
# Set up grader on a fresh machine: the system sandbox tool (when root on Debian/Ubuntu)
# and the Python package with its test dependencies, into the current Python.
set -e
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v bwrap >/dev/null 2>&1; then
    apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; } || \
        echo "install.sh: bubblewrap not installed; grader falls back to a weaker sandbox" >&2
fi
# chromium (headless) lets the tests check that the batch HTML report renders; optional
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
    apt-get install -y -qq chromium >/dev/null 2>&1 || \
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } || \
        echo "install.sh: chromium not installed; the HTML report's rendering test will be skipped" >&2
fi
python3 -m pip install -q -e '.[test]'
