#!/usr/bin/env bash
# Enforces DESIGN.md's layering and STYLE.md's module boundaries on #include
# lines, so a violation fails `make check` instead of waiting for review:
#   - nothing lower includes anything higher: engine < raft < xml < gateway
#     (xml sits beside raft: it may use engine/assert.h only);
#   - a module includes another module's public header only;
#   - only xml/ includes libxml2, only gateway/ includes libmicrohttpd;
#   - the raft core is pure: no sockets, threads, clocks or files.
set -u
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 99

# Public headers, the only ones another module may include.
public='engine/kv.h engine/kv_io.h engine/assert.h engine/bytes.h engine/record_log.h engine/crc32c.h raft/raft.h raft/codec.h raft/net.h raft/node.h raft/transport.h raft/snapshot_xfer.h xml/s3xml.h'
# raft/ files that do I/O (issue 5); every other raft/ file is the pure core.
raft_io_files='raft/log_store raft/snapshot_xfer raft/transport raft/node raft/replicated_kv'
core_forbidden='sys/socket.h netinet/ arpa/ netdb.h pthread.h time.h sys/time.h unistd.h fcntl.h sys/stat.h poll.h sys/epoll.h stdatomic.h threads.h signal.h dirent.h'

fail=0
say() { echo "check_layers: $*"; fail=1; }

allowed_modules() {
	case $1 in
	engine) echo "engine" ;;
	raft) echo "engine raft" ;;
	xml) echo "engine xml" ;;
	gateway) echo "engine raft xml gateway" ;;
	esac
}

for mod in engine raft xml gateway; do
	[ -d "$mod" ] || continue
	for f in $(find "$mod" -name '*.[ch]' | sort); do
		while IFS= read -r line; do
			inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p' <<<"$line")
			[ -n "$inc" ] || continue
			case $inc in
			libxml/*) [ "$mod" = xml ] || say "$f includes <$inc>: only xml/ may include libxml2" ;;
			microhttpd.h) [ "$mod" = gateway ] || say "$f includes <$inc>: only gateway/ may include libmicrohttpd" ;;
			esac
			target=${inc%%/*}
			case $target in engine | raft | xml | gateway) ;; *) target= ;; esac
			if [ -n "$target" ]; then
				ok=0
				for m in $(allowed_modules "$mod"); do [ "$m" = "$target" ] && ok=1; done
				[ $ok = 1 ] || say "$f includes \"$inc\": $mod/ may not include $target/ (layering)"
				if [ "$target" != "$mod" ] && ! grep -qw -- "$inc" <<<"$public"; then
					say "$f includes \"$inc\": not a public header of $target/"
				fi
			fi
			if [ "$mod" = raft ]; then
				isio=0
				for p in $raft_io_files; do case $f in "$p"*) isio=1 ;; esac; done
				if [ $isio = 0 ]; then
					for h in $core_forbidden; do
						case $inc in "$h"*) say "$f includes <$inc>: the raft core does no I/O, threads or clocks" ;; esac
					done
				fi
			fi
		done <"$f"
	done
done
[ $fail = 0 ] && echo "check_layers: ok"
exit $fail
