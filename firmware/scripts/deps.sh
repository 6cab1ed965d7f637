#!/usr/bin/env bash
# Fetches the pinned third-party sources listed in deps.lock into one TFLM tree in the cache.
#
#   scripts/deps.sh <lock file> <tree dir> <git base>
#
# <git base> is a URL or folder prefix: "<git base><owner>/<repo>" must be something `git fetch` accepts
# (https://github.com/ by default, or a folder of local mirrors such as /work/gitbase/).
# Objects are kept in bare repositories under <tree dir>/../git so a second tree costs little.
# The tree is complete when <tree dir>/.deps-ok exists; an interrupted run starts over.
set -euo pipefail

lock=$1
tree=$2
git_base=$3
git_dir=$(dirname "$tree")/git

if [[ -f "$tree/.deps-ok" ]]; then
  echo "deps: $tree is complete"
  exit 0
fi
rm -rf "$tree" "$tree.partial"
mkdir -p "$tree.partial" "$git_dir"

# Prints the object store for <owner/repo>, creating it on first use.
store_for() {
  local store="$git_dir/${1//\//+}.git"
  [[ -d "$store" ]] || git init -q --bare "$store"
  echo "$store"
}

# Makes <commit> of <owner/repo> present in its store: a shallow fetch of just that commit, or the
# whole repository when the server refuses to serve a bare commit id.
fetch_commit() {
  local repo=$1 commit=$2 store
  store=$(store_for "$repo")
  if git -C "$store" cat-file -e "$commit^{commit}" 2>/dev/null; then
    return
  fi
  echo "deps: fetching $repo@$commit from $git_base$repo"
  if ! git -C "$store" -c uploadpack.allowAnySHA1InWant=true \
      fetch -q --depth 1 "$git_base$repo" "$commit" 2>/dev/null; then
    git -C "$store" fetch -q "$git_base$repo" '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'
  fi
  git -C "$store" cat-file -e "$commit^{commit}" || {
    echo "deps: $repo has no commit $commit" >&2
    exit 1
  }
}

while read -r name repo commit path patch; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  fetch_commit "$repo" "$commit"
  dest="$tree.partial/$path"
  mkdir -p "$dest"
  git -C "$(store_for "$repo")" archive --format=tar "$commit" | tar -x -C "$dest"
  if [[ "$patch" != "-" ]]; then
    # As TFLM's download scripts do: drop Bazel BUILD files, then apply TFLM's patch.
    find "$dest" \( -name BUILD -o -name BUILD.bazel \) -delete
    (cd "$dest" && patch -s -p1 -l < "$tree.partial/$patch")
  fi
  echo "deps: $name $commit -> $path"
done < "$lock"

# Pigweed is only used by TFLM's presubmit tooling; its download script is satisfied by the folder.
mkdir -p "$tree.partial/tensorflow/lite/micro/tools/make/downloads/pigweed"
cp "$lock" "$tree.partial/.deps-lock"
touch "$tree.partial/.deps-ok"
mv "$tree.partial" "$tree"
echo "deps: complete in $tree"
