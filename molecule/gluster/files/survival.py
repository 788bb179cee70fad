"""Write test data to a directory and record its checksums (molecule/gluster).

  survival.py write DIR PREFIX COUNT KIB   COUNT random files of KIB KiB each,
                                           each fsync'ed; exits non-zero on any
                                           write error (e.g. lost quorum)
  survival.py append FILE TEXT             append a line and fsync (a change the
                                           self-heal must carry to a stale copy)
  survival.py manifest DIR OUT             sha256 of every file under DIR, in
                                           `sha256sum -c` format, paths relative
"""

import hashlib
import os
import sys


def write(directory, prefix, count, kib):
    os.makedirs(directory, exist_ok=True)
    for index in range(int(count)):
        path = os.path.join(directory, "%s%03d.bin" % (prefix, index))
        with open(path, "wb") as handle:
            handle.write(os.urandom(int(kib) * 1024))
            handle.flush()
            os.fsync(handle.fileno())
    print("wrote %s files of %s KiB to %s" % (count, kib, directory))


def append(path, text):
    with open(path, "a") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    print("appended to %s" % path)


def manifest(directory, out):
    lines = []
    for root, _dirs, files in os.walk(directory):
        for name in sorted(files):
            path = os.path.join(root, name)
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            lines.append("%s  %s" % (digest.hexdigest(), os.path.relpath(path, directory)))
    lines.sort(key=lambda line: line.split("  ", 1)[1])
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("%d files in %s" % (len(lines), out))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"write": write, "append": append, "manifest": manifest}[command](*args)
