#!/usr/bin/env bash
# Formats the Swift code with swift-format (the toolchain's `swift format`) and the
# configuration in .swift-format (swift-nio's style: 4 spaces, lines of at most 120
# characters, ordered imports).
#
#   scripts/format.sh          # format every Swift file in place
#   scripts/format.sh --check  # change nothing; list what is not formatted and exit 1
#                              # (the test command runs this)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "format.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

paths=(Package.swift Sources Tests)
[ -d Benchmarks ] && paths+=(Benchmarks)
if [ "$check" = 1 ]; then
  # Lint in strict mode: a file that formatting would change, or a rule it cannot fix
  # (a comment past the line length), is an error naming the file and line.
  if ! swift format lint --strict --parallel --recursive "${paths[@]}"; then
    echo "format.sh: not formatted; run scripts/format.sh" >&2
    exit 1
  fi
  echo "format.sh: every Swift file is formatted" >&2
else
  swift format format --in-place --parallel --recursive "${paths[@]}"
fi
