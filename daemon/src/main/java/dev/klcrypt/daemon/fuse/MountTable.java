package dev.klcrypt.daemon.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code /proc/self/mountinfo}: which paths are mount points and of what type. */
public final class MountTable {
  /** One mount: where and what filesystem type (e.g. "fuse.klcrypt"). */
  public record Mount(Path mountPoint, String fsType) {}

  private final Path mountinfo;

  public MountTable(Path mountinfo) {
    this.mountinfo = mountinfo;
  }

  public static MountTable ofThisProcess() {
    return new MountTable(Path.of("/proc/self/mountinfo"));
  }

  public List<Mount> mounts() throws IOException {
    List<Mount> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(mountinfo)) {
      // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
      String[] fields = line.split(" ");
      int dash = line.indexOf(" - ");
      if (fields.length < 5 || dash < 0) {
        continue;
      }
      String[] tail = line.substring(dash + 3).split(" ");
      mounts.add(new Mount(Path.of(unescape(fields[4])), tail[0]));
    }
    return mounts;
  }

  /** True if {@code path} (absolute, normalized) is a mount point of a FUSE filesystem. */
  public boolean isFuseMount(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    for (Mount m : mounts()) {
      if (m.mountPoint().equals(p) && m.fsType().startsWith("fuse")) {
        return true;
      }
    }
    return false;
  }

  /** True if anything is mounted on {@code path}. */
  public boolean isMountPoint(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    return mounts().stream().anyMatch(m -> m.mountPoint().equals(p));
  }

  /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
  static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && isOctal(field, i + 1)) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
