echo "probe_broken: the build step failed on purpose" >&2
false
