#!/usr/bin/env bash
# Checks every page of a site (the firm's by default) with html-validate: builds it into a
# temporary folder, then validates each HTML file. Exits non-zero on any error.
#
# The rules are html-validate's recommended preset (scripts/htmlvalidate.json) less one:
# `no-redundant-role`, which flags `<ul role="list">`. The theme writes that role on purpose:
# Safari with VoiceOver stops announcing a list whose bullets CSS removed (`list-style: none`),
# and the role gives the list back. html-validate has no option to allow it on lists alone.
#
# Needs Node.js (npx fetches html-validate 10 on first use); without it, says so and skips.
# Usage: scripts/validate-html.sh [SITE_FOLDER]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npx >/dev/null 2>&1; then
    echo "skipped: html-validate runs on Node.js, and npx is not installed" >&2
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --quiet -- build --root "${1:-.}" --output "$work/public"
find "$work/public" -name '*.html' -print0 | sort -z |
    xargs -0 npx --yes html-validate@10 --config scripts/htmlvalidate.json
echo "html-validate: every page is valid"
