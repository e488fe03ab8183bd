#!/usr/bin/env bash
# Formats every C++ source of the tree with the checked-in .clang-format (Debian 12's
# clang-format 14), so that diffs are about content.
#   tools/format.sh            rewrite the files in place
#   tools/format.sh --check    list the files that are not formatted, with the first differences;
#                              exit 1 when there is any (ctest runs this as the test format_check)
set -euo pipefail
cd "$(dirname "$0")/.."

CLANG_FORMAT=${CLANG_FORMAT:-}
if [ -z "$CLANG_FORMAT" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null; then CLANG_FORMAT=$c; break; fi
  done
fi
if [ -z "$CLANG_FORMAT" ]; then
  echo "format: clang-format not found (tools/setup-deps.sh installs it)" >&2
  exit 2
fi

# The tracked sources when this is a git checkout, else every source below the tree's folders.
list_sources() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.h' '*.cc'
  else
    find daemon domain probes config tools tests bench -type f \
      \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \) 2>/dev/null
  fi
}

mapfile -t files < <(list_sources | grep -v '^build' | sort)
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    if ! out=$("$CLANG_FORMAT" --style=file "$f" | diff -u "$f" - 2>&1); then
      echo "format: $f is not formatted (tools/format.sh fixes it):"
      echo "$out" | head -20
      bad=1
    fi
  done
  [ $bad -eq 0 ] && echo "format: ${#files[@]} files formatted"
  exit $bad
fi
for f in "${files[@]}"; do [ -f "$f" ] && "$CLANG_FORMAT" --style=file -i "$f"; done
echo "format: ${#files[@]} files"
